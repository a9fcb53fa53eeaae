/**
 * The seam for Krake's complete and shutdown hooks (built in hooks/): what
 * the controller lets a hook change. `prepareManifest` turns spec.manifest
 * into what is applied (hooks inject their environment, Secrets, volumes);
 * `beforeDelete` runs before an Application's resources are removed and may
 * hold the deletion back (the shutdown hook's grace period), answering how
 * long to wait before asking again.
 */
import type { Application, ApplicationStatus } from "../../../gen/krake/kubernetes/v1/application.js";
import type { Cluster } from "../../../gen/krake/kubernetes/v1/cluster.js";
import type { ReconcileContext } from "../../controller/reconcile.js";
import type { Manifest } from "./manifest/resource-id.js";

export interface ApplicationHooks {
  /**
   * The resources to apply on `cluster` for `app`. Called on every apply and
   * migration step, with `status` a private copy of the Application's status:
   * the controller does not store what the hook sets in it, so a hook that
   * must keep fields (tokens) writes them itself, before returning; that
   * write moves the resource_version on, the controller's next write of its
   * older copy is refused, and the reconcile runs again on the stored fields.
   * Must be deterministic for the same inputs: its output is what the cluster
   * is compared with.
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
