/**
 * A deleted Application whose last finalizer is ours
 * (`kubernetes_resources_deletion`; finalizers are a stack, so the garbage
 * collector's `cascade_deletion` goes first): the hooks' beforeDelete may
 * hold it back (shutdown), then DELETING, the resources deleted on every
 * cluster that may hold them (running_on, scheduled_to when a migration
 * was under way, and former clusters still owning a copy: stale-copies.ts),
 * then the finalizer removed. A cluster that stays
 * unreachable holds the finalizer at most deletion_timeout_ms, counted from
 * metadata.deleted; then it is dropped with a reason saying the resources
 * may remain.
 */
import type { Application } from "../../../gen/krake/kubernetes/v1/application.js";
import { ApplicationStatus_State as State } from "../../../gen/krake/kubernetes/v1/application.js";
import { Reason_Code } from "../../../gen/krake/core/v1/types.js";
import type { ResourceRef } from "../../../gen/krake/core/v1/types.js";
import type { ReconcileContext, Result } from "../../controller/reconcile.js";
import { refKeyOf, resourcesFinalizer, resourcesOf, retryDelayMs, sameRef, sameStatus, statusOf } from "./app-status.js";
import { undeploy } from "./deploy.js";
import { staleClusters } from "./stale-copies.js";
import type { ApplicationControllerDeps } from "./target.js";
import { timestampToMillis } from "../../kinds/timestamp.js";

export class Deletion {
  constructor(private readonly d: ApplicationControllerDeps) {}

  async reconcile(ctx: ReconcileContext, key: string, app: Application): Promise<Result | void> {
    const finalizers = app.metadata!.finalizers ?? [];
    if (!finalizers.includes(resourcesFinalizer)) {
      this.d.watches.forget(key);
      return;
    }
    if (finalizers[finalizers.length - 1] !== resourcesFinalizer) return;
    const hook = await this.d.hooks.beforeDelete(app, ctx);
    if (!hook.proceed) return { requeueAfter: hook.retryAfterMs };
    this.d.watches.forget(key);
    let current = app;
    const status = statusOf(app);
    if (status.state !== State.DELETING) {
      status.state = State.DELETING;
      current = await this.d.client.updateStatus({ ...app, status }, { signal: ctx.signal });
    }
    const failures = await this.deleteEverywhere(ctx, current);
    if (failures.length > 0) {
      const deleted = app.metadata!.deleted;
      const waited = this.d.clock.now() - (deleted ? timestampToMillis(deleted) : 0);
      const timeout = this.d.settings.deletionTimeoutMs;
      const next = statusOf(current);
      if (waited < timeout) {
        next.reason = { code: Reason_Code.CLUSTER_NOT_REACHABLE, message: `cannot delete the resources: ${failures.join("; ")}` };
        if (!sameStatus(current.status, next)) await this.d.client.updateStatus({ ...current, status: next }, { signal: ctx.signal });
        return { requeueAfter: Math.min(timeout - waited, retryDelayMs(app) * 5) };
      }
      next.reason = {
        code: Reason_Code.CLUSTER_NOT_REACHABLE,
        message: `gave up deleting the resources after ${Math.round(timeout / 1000)} s (deletion_timeout); they may remain: ${failures.join("; ")}`,
      };
      ctx.log.warn({ app: key, reason: next.reason.message }, "finalizer dropped without deleting the resources");
      current = await this.d.client.updateStatus({ ...current, status: next }, { signal: ctx.signal });
    }
    this.d.metrics.deleted(failures.length > 0 ? "timed_out" : "deleted");
    const left = (current.metadata!.finalizers ?? []).filter((f) => f !== resourcesFinalizer);
    await this.d.client.update({ ...current, metadata: { ...current.metadata!, finalizers: left } }, { signal: ctx.signal });
    ctx.log.info({ app: key }, "resources deleted; finalizer removed");
  }

  /** Deletes on running_on, scheduled_to and former clusters that may keep a copy; answers one line per cluster that failed. */
  private async deleteEverywhere(ctx: ReconcileContext, app: Application): Promise<string[]> {
    const status = app.status;
    const resources = resourcesOf(app);
    const refs = [status?.runningOn, status?.scheduledTo, ...staleClusters(app)].filter(
      (r, i, all): r is ResourceRef => !!r?.name && all.findIndex((o) => sameRef(o, r)) === i,
    );
    const failures: string[] = [];
    for (const ref of refs) {
      const cluster = this.d.clusters.get(refKeyOf(ref));
      // A Cluster that is gone holds nothing Krake can reach.
      if (!cluster) continue;
      try {
        await undeploy(this.d.connections.connect(cluster), resources, ctx.signal);
      } catch (err) {
        ctx.signal.throwIfAborted();
        failures.push(`cluster ${ref.name}: ${(err as Error).message}`);
      }
    }
    return failures;
  }
}
