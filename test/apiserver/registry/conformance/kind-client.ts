/** The uniform client a kind's fixture builds over its generated service, and the request defaults it fills in. */
import type { EventType } from "../../../../gen/krake/core/v1/watch.js";
import type { ListMetadata } from "../../../../gen/krake/core/v1/types.js";
import type { ResponseStream } from "../../../../src/client/promise-client.js";

export interface ListParams {
  labelSelector?: string;
  limit?: number;
  continue?: string;
}

export interface DeleteParams {
  resourceVersion?: string;
  force?: boolean;
  propagationPolicy?: string;
  blocking?: string;
}

export interface WatchParams {
  labelSelector?: string;
  resourceVersion?: string;
  allowBookmarks?: boolean;
  sendInitialEvents?: boolean;
}

export interface ListResult<T> {
  api: string;
  kind: string;
  metadata: ListMetadata | undefined;
  items: T[];
}

export interface WatchEvent<T> {
  type: EventType;
  object: T | undefined;
}

/** One kind's service, with the namespace as a parameter (ignored by global kinds). */
export interface KindClient<T> {
  create(namespace: string, obj: T | undefined, blocking?: string): Promise<T>;
  get(namespace: string, name: string): Promise<T>;
  list(namespace: string, params?: ListParams): Promise<ListResult<T>>;
  update(namespace: string, name: string, obj: T | undefined): Promise<T>;
  delete(namespace: string, name: string, params?: DeleteParams): Promise<T>;
  watch(namespace: string, params?: WatchParams): ResponseStream<WatchEvent<T>>;
  /** Present for kinds with a status subresource. */
  updateStatus?(namespace: string, name: string, obj: T | undefined): Promise<T>;
}

/** Defaults for the request fields a test does not set (ts-proto encoders need every field). */
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
