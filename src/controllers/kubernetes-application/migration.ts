/**
 * Moving an Application when scheduled_to ≠ running_on (Krake deletes the
 * old copy first; here the new one must be ready before the old one goes):
 *
 * 1. MIGRATING, with kube_controller_triggered = the attempt's start;
 * 2. apply on the new cluster (every reconcile: server-side apply of an
 *    unchanged manifest changes nothing, and its answers are the current
 *    objects);
 * 3. ready (the workloads' ready counts) → delete the old copy, running_on =
 *    the new cluster; not ready within migration_ready_timeout_ms, or
 *    refused → roll back: the new copy is deleted, migration_retries + 1,
 *    migration_timeout = now + retries × migration_retry_timeout_ms, the
 *    old copy (which never stopped) RUNNING with the reason.
 *
 * Every step is read back from the status, so a restart at any point goes
 * on where it stopped.
 */
import type { Application } from "../../../gen/krake/kubernetes/v1/application.js";
import { ApplicationStatus_State as State } from "../../../gen/krake/kubernetes/v1/application.js";
import { Reason_Code } from "../../../gen/krake/core/v1/types.js";
import type { ResourceRef } from "../../../gen/krake/core/v1/types.js";
import type { ReconcileContext, Result } from "../../controller/reconcile.js";
import { refKeyOf, resourcesOf, statusOf } from "./app-status.js";
import { deploy, undeploy } from "./deploy.js";
import type { Deployed } from "./deploy.js";
import { summarizeWorkloads } from "./observe/workload-state.js";
import { deployedStatus, resolveTarget, watchTarget } from "./target.js";
import type { ApplicationControllerDeps, Target } from "./target.js";
import { timestampNow, timestampToMillis } from "../../kinds/timestamp.js";

/** Where the Application stays while it does not move (backing off, or given up). */
export type StayOn = (ctx: ReconcileContext, key: string, app: Application, ref: ResourceRef, retryAfterMs?: number) => Promise<Result | void>;

export class Migration {
  constructor(
    private readonly d: ApplicationControllerDeps,
    private readonly stayOn: StayOn,
  ) {}

  async reconcile(ctx: ReconcileContext, key: string, app: Application, from: ResourceRef, to: ResourceRef): Promise<Result | void> {
    const status = statusOf(app);
    const now = this.d.clock.now();
    const { migrationRetryMax, migrationReadyTimeoutMs, observerResyncMs } = this.d.settings;
    if (status.migrationRetries >= migrationRetryMax) {
      ctx.log.debug({ app: key, retries: status.migrationRetries, to: refKeyOf(to) }, "migration given up; staying");
      return this.stayOn(ctx, key, app, from);
    }
    const blockedUntil = status.migrationTimeout * 1000;
    if (blockedUntil > now) return this.stayOn(ctx, key, app, from, blockedUntil - now);
    let current = app;
    if (status.state !== State.MIGRATING) {
      status.state = State.MIGRATING;
      status.kubeControllerTriggered = timestampNow(now);
      current = await this.d.client.updateStatus({ ...app, status }, { signal: ctx.signal });
      ctx.log.info({ app: key, from: refKeyOf(from), to: refKeyOf(to) }, "migrating");
    }
    const triggered = current.status?.kubeControllerTriggered;
    const started = triggered ? timestampToMillis(triggered) : now;
    let t: Target | undefined;
    let deployed: Deployed;
    try {
      t = await resolveTarget(this.d, ctx, current, to, statusOf(current));
      if (!t) return { requeueAfter: observerResyncMs };
      deployed = await deploy(t.conn, t.desired, [], t.schema, ctx.signal);
    } catch (err) {
      ctx.signal.throwIfAborted();
      return this.rollback(ctx, key, current, from, to, t, err instanceof Error ? err.message : String(err));
    }
    await watchTarget(this.d, key, t);
    const summary = summarizeWorkloads(deployed.objects);
    if (!summary.ready) {
      const deadline = started + migrationReadyTimeoutMs;
      if (now >= deadline) {
        const why = `the new copy was not ready within ${migrationReadyTimeoutMs / 1000} s (${summary.notes.join("; ")})`;
        return this.rollback(ctx, key, current, from, to, t, why);
      }
      ctx.log.debug({ app: key, notes: summary.notes }, "waiting for the new copy to be ready");
      return { requeueAfter: Math.min(deadline - now, observerResyncMs) };
    }
    await this.removeOldCopy(ctx, key, current, from);
    const next = deployedStatus(current, t, deployed);
    next.runningOn = to;
    next.migrationRetries = 0;
    next.migrationTimeout = 0;
    ctx.log.info({ app: key, from: refKeyOf(from), to: refKeyOf(to) }, "migrated");
    this.d.metrics.migrated("migrated");
    await this.d.client.updateStatus({ ...current, status: next }, { signal: ctx.signal });
    return { requeueAfter: observerResyncMs };
  }

  /** An old cluster that cannot be reached keeps its copy for now: the move does not wait for a dead cluster (stale-copies.ts deletes it once the cluster is back). */
  private async removeOldCopy(ctx: ReconcileContext, key: string, app: Application, from: ResourceRef): Promise<void> {
    const cluster = this.d.clusters.get(refKeyOf(from));
    if (!cluster) return;
    try {
      const resources = resourcesOf(app);
      await undeploy(this.d.connections.connect(cluster), resources, ctx.signal);
    } catch (err) {
      ctx.signal.throwIfAborted();
      ctx.log.warn({ app: key, cluster: refKeyOf(from), err: (err as Error).message }, "cannot delete the old copy; leaving it");
    }
  }

  private async rollback(ctx: ReconcileContext, key: string, app: Application, from: ResourceRef, to: ResourceRef, t: Target | undefined, why: string): Promise<Result | void> {
    if (t) {
      try {
        await undeploy(t.conn, t.desired, ctx.signal);
      } catch (err) {
        ctx.signal.throwIfAborted();
        ctx.log.warn({ app: key, cluster: refKeyOf(to), err: (err as Error).message }, "cannot delete the new copy of a failed migration");
      }
    }
    const status = statusOf(app);
    status.migrationRetries += 1;
    const waitMs = this.d.settings.migrationRetryTimeoutMs * status.migrationRetries;
    status.migrationTimeout = Math.ceil((this.d.clock.now() + waitMs) / 1000);
    // Back on the old copy, which never stopped: the observer says how it is (and keeps the reason).
    status.state = State.RUNNING;
    status.reason = {
      code: Reason_Code.RECONCILE_FAILED,
      message: `migration from ${from.name} to ${to.name} failed (attempt ${status.migrationRetries} of ${this.d.settings.migrationRetryMax}): ${why}`,
    };
    ctx.log.warn({ app: key, reason: status.reason.message }, "migration rolled back");
    this.d.metrics.migrated("rolled_back");
    await this.d.client.updateStatus({ ...app, status }, { signal: ctx.signal });
    this.d.watches.forget(key);
    return { requeueAfter: 1 };
  }
}
