/**
 * Requests for the generated promise clients (`api.clients`), for tests that
 * call a kind's service directly: defaults for the fields a test does not set
 * (ts-proto encoders need every field).
 */
import type { DeleteParams, ListParams, WatchParams } from "./kind-client.js";

export const requests = {
  list: (namespace: string, p: ListParams = {}) => ({
    namespace,
    labelSelector: p.labelSelector ?? "",
    limit: p.limit ?? 0,
    continue: p.continue ?? "",
  }),
  delete: (namespace: string, name: string, p: DeleteParams = {}) => ({
    namespace,
    name,
    resourceVersion: p.resourceVersion ?? "",
    force: p.force ?? false,
    propagationPolicy: p.propagationPolicy ?? "",
    blocking: p.blocking ?? "",
  }),
  watch: (namespace: string, p: WatchParams = {}) => ({
    namespace,
    labelSelector: p.labelSelector ?? "",
    resourceVersion: p.resourceVersion ?? "",
    allowBookmarks: p.allowBookmarks ?? false,
    sendInitialEvents: p.sendInitialEvents ?? false,
  }),
};
