/**
 * The seam for Krake's complete and shutdown hooks (not built here): what the
 * controller lets a hook change. `prepareManifest` turns spec.manifest into
 * what is applied (hooks inject their environment, Secrets, volumes) and may
 * fill status fields (tokens); `beforeDelete` runs before an Application's
 * resources are removed and may hold the deletion back (the shutdown hook's
 * grace period), answering how long to wait before asking again.
 */
import type { Application, ApplicationStatus } from "../../../gen/krake/kubernetes/v1/application.js";
import type { Cluster } from "../../../gen/krake/kubernetes/v1/cluster.js";
import type { ReconcileContext } from "../../controller/reconcile.js";
import type { Manifest } from "./manifest/resource-id.js";

export interface ApplicationHooks {
  /**
   * The resources to apply on `cluster` for `app`. Called on every apply, with
   * `status` the status about to be written (the hook may set fields of it).
   * Must be deterministic for the same inputs: its output is compared with
   * what is on the cluster.
   */
  prepareManifest(app: Application, cluster: Cluster, manifest: Manifest[], status: ApplicationStatus): Promise<Manifest[]>;
  /** `proceed`, or wait and be called again after `retryAfterMs` (the resources stay meanwhile). */
  beforeDelete(app: Application, ctx: ReconcileContext): Promise<{ proceed: true } | { proceed: false; retryAfterMs: number }>;
}

/** No hooks: the manifest as it is, deletion at once. */
export const noHooks: ApplicationHooks = {
  prepareManifest: (_app, _cluster, manifest) => Promise.resolve(manifest),
  beforeDelete: () => Promise.resolve({ proceed: true }),
};
