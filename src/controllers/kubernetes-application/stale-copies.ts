/**
 * Copies left on clusters the Application no longer runs on. The scheduler's
 * binding makes every cluster it chose an owner of the Application; a
 * migration off a cluster that could not be reached leaves its copy there.
 * Such a cluster stays an owner until its copy is deleted: every reconcile
 * tries the owners that are neither running_on nor scheduled_to and are not
 * OFFLINE, deletes the copy and then drops the owner (a Cluster that no longer
 * exists is simply dropped). A cluster coming back ONLINE brings its owned
 * Applications back (setup.ts), so the copy goes as soon as it can.
 */
import type { Application } from "../../../gen/krake/kubernetes/v1/application.js";
import { ClusterStatus_State as ClusterState } from "../../../gen/krake/kubernetes/v1/cluster.js";
import type { ResourceRef } from "../../../gen/krake/core/v1/types.js";
import type { ReconcileContext } from "../../controller/reconcile.js";
import { refKeyOf, resourcesOf, sameRef } from "./app-status.js";
import { undeploy } from "./deploy.js";
import type { ApplicationControllerDeps } from "./target.js";

function isClusterRef(ref: ResourceRef): boolean {
  return ref.api === "kubernetes" && ref.kind === "Cluster" && !!ref.name;
}

/** Owner clusters of `app` that it neither runs on nor is scheduled to. */
export function staleClusters(app: Application): ResourceRef[] {
  const status = app.status;
  return (app.metadata?.owners ?? []).filter((o) => isClusterRef(o) && !sameRef(o, status?.runningOn) && !sameRef(o, status?.scheduledTo));
}

export class StaleCopies {
  constructor(private readonly d: ApplicationControllerDeps) {}

  /**
   * Deletes what it can reach; answers the Application as it now is and
   * whether copies remain (then the caller looks again later).
   */
  async clean(ctx: ReconcileContext, key: string, app: Application): Promise<{ app: Application; remaining: boolean }> {
    const stale = staleClusters(app);
    if (stale.length === 0) return { app, remaining: false };
    const resources = resourcesOf(app);
    const gone: ResourceRef[] = [];
    for (const ref of stale) {
      const cluster = this.d.clusters.get(refKeyOf(ref));
      if (cluster && cluster.status?.state === ClusterState.OFFLINE) continue;
      if (cluster) {
        try {
          await undeploy(this.d.connections.connect(cluster), resources, ctx.signal);
        } catch (err) {
          ctx.signal.throwIfAborted();
          ctx.log.warn({ app: key, cluster: refKeyOf(ref), err: (err as Error).message }, "cannot delete a copy left on a former cluster yet");
          continue;
        }
        ctx.log.info({ app: key, cluster: refKeyOf(ref) }, "deleted the copy left on a former cluster");
      }
      gone.push(ref);
    }
    if (gone.length === 0) return { app, remaining: true };
    const owners = (app.metadata!.owners ?? []).filter((o) => !gone.some((g) => sameRef(g, o) && isClusterRef(o)));
    const updated = await this.d.client.update({ ...app, metadata: { ...app.metadata!, owners } }, { signal: ctx.signal });
    return { app: updated, remaining: gone.length < stale.length };
  }
}
