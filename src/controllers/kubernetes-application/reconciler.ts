import type { Application, ApplicationStatus } from "../../../gen/krake/kubernetes/v1/application.js";
import { ApplicationStatus_State as State, applicationStatus_StateToJSON } from "../../../gen/krake/kubernetes/v1/application.js";
import type { Cluster } from "../../../gen/krake/kubernetes/v1/cluster.js";
import { Reason_Code } from "../../../gen/krake/core/v1/types.js";
import type { ResourceRef } from "../../../gen/krake/core/v1/types.js";
import type { Clock } from "../../client/clock.js";
import type { KindClient } from "../../client/kind-client.js";
import type { Indexer } from "../../controller/informer/indexer.js";
import type { ReconcileContext, Reconciler, Result } from "../../controller/reconcile.js";
import type { ClusterResources } from "../../kubernetes/cluster-resources.js";
import { ClusterUnreachableError } from "../../kubernetes/cluster-resources.js";
import {
  isRetriedError,
  manifestOf,
  refKeyOf,
  resourcesFinalizer,
  retryDelayMs,
  sameRef,
  sameStatus,
  statusOf,
  unionOf,
  unsupportedSource,
} from "./app-status.js";
import { clusterKey } from "./cluster-connections.js";
import type { ClusterConnections } from "./cluster-connections.js";
import { deploy, undeploy } from "./deploy.js";
import type { Deployed } from "./deploy.js";
import type { ApplicationHooks } from "./hooks.js";
import { mangledObserverSchema } from "./manifest/index.js";
import type { Manifest } from "./manifest/index.js";
import type { ClusterWatches } from "./observe/cluster-watches.js";
import { observe, watchedResources } from "./observe/observation.js";
import { apiHost, serviceEndpoints } from "./observe/services.js";
import { summarizeWorkloads } from "./observe/workload-state.js";
import type { ApplicationSettings } from "./settings.js";

export interface ApplicationControllerDeps {
  applications: Indexer<Application>;
  clusters: Indexer<Cluster>;
  client: KindClient<Application>;
  connections: ClusterConnections;
  watches: ClusterWatches;
  settings: ApplicationSettings;
  hooks: ApplicationHooks;
  clock: Clock;
}

/** What a manifest becomes on one cluster. */
interface Target {
  ref: ResourceRef;
  cluster: Cluster;
  conn: ClusterResources;
  desired: Manifest[];
  schema: Manifest[];
}

const steady = new Set([State.RUNNING, State.DEGRADED, State.RESTARTING, State.COMPLETED]);

/**
 * Krake's Kubernetes application controller, level-based: everything it
 * needs to go on after a restart is in the Application's status (state,
 * running_on, last_applied_manifest, migration counters, and
 * kube_controller_triggered as the start of a migration attempt).
 *
 * - not scheduled: nothing; TOSCA/CSAR without a manifest: FAILED with a reason;
 * - scheduled: finalizer, then apply (CREATING/RECONCILING) when the spec
 *   changed, the cluster lost or changed a resource, or an error is due for a
 *   retry; otherwise observe (state, container health, services) from the
 *   cluster watches;
 * - scheduled_to ≠ running_on: migrate (MIGRATING; apply on the new cluster,
 *   wait until that copy is ready, then delete the old one; roll back after
 *   a failure, with Krake's migration_retries / migration_timeout);
 * - deleted, our finalizer last: delete the resources on every cluster that
 *   may hold them, then drop the finalizer (after deletion_timeout even when
 *   a cluster stays unreachable).
 */
export class ApplicationController implements Reconciler {
  /** When a failed apply is due again (lost on restart: then it is retried at once). */
  private readonly retryAt = new Map<string, number>();

  constructor(private readonly d: ApplicationControllerDeps) {}

  async reconcile(ctx: ReconcileContext, key: string): Promise<Result | void> {
    const app = this.d.applications.get(key);
    if (!app?.metadata) {
      this.d.watches.forget(key);
      this.retryAt.delete(key);
      return;
    }
    if (app.metadata.deleted) return this.remove(ctx, key, app);
    const status = app.status;
    const generation = app.metadata.generation;
    const unsupported = unsupportedSource(app);
    if (unsupported) return this.failUnsupported(ctx, app, unsupported);
    if (status?.state === State.FAILED && status.observedGeneration === generation) {
      this.d.watches.forget(key);
      return;
    }
    const scheduledTo = status?.scheduledTo;
    if (!scheduledTo?.name) return;
    const due = this.retryAt.get(key) ?? 0;
    if (isRetriedError(status) && status?.observedGeneration === generation && due > this.d.clock.now()) {
      return { requeueAfter: due - this.d.clock.now() };
    }
    const current = await this.withFinalizer(ctx, app);
    const runningOn = current.status?.runningOn;
    if (runningOn?.name && !sameRef(runningOn, scheduledTo)) return this.migrate(ctx, key, current, runningOn, scheduledTo);
    return this.converge(ctx, key, current, scheduledTo);
  }

  // ---- steady state ---------------------------------------------------------------------------

  private async converge(ctx: ReconcileContext, key: string, app: Application, ref: ResourceRef, retryAfter?: number): Promise<Result | void> {
    const status = statusOf(app);
    const target = await this.target(ctx, app, ref, status).catch((err: unknown) => err);
    if (target === undefined) return { requeueAfter: this.d.settings.observerResyncMs };
    if (!isTarget(target)) return this.failed(ctx, key, app, target);
    const sameCluster = sameRef(status.runningOn, ref);
    const mustApply =
      !sameCluster || status.observedGeneration !== app.metadata!.generation || !steady.has(status.state) || isRetriedError(status);
    if (!mustApply) {
      const reason = await this.observeAndReport(ctx, key, app, target, status);
      if (reason === undefined) return { requeueAfter: Math.min(retryAfter ?? Infinity, this.d.settings.observerResyncMs) };
      ctx.log.info({ app: key, reason }, "resources changed on the cluster; applying again");
    }
    return this.apply(ctx, key, app, target, sameCluster && status.runningOn ? State.RECONCILING : State.CREATING);
  }

  /** Writes what the watches show; answers why the manifest must be applied again, if it must. */
  private async observeAndReport(ctx: ReconcileContext, key: string, app: Application, t: Target, status: ApplicationStatus): Promise<string | undefined> {
    const applied = status.lastAppliedManifest as Manifest[];
    let watched;
    try {
      watched = await watchedResources(clusterKey(t.ref.namespace ?? "", t.ref.name), t.conn, applied);
    } catch (err) {
      ctx.log.debug({ app: key, err: String(err) }, "cannot resolve the resources' kinds; keeping the last status");
      return undefined;
    }
    this.d.watches.observe(key, watched, () => t.conn);
    const seen = observe(this.d.watches, watched, applied, status.mangledObserverSchema as Manifest[]);
    if (!seen.known) return undefined;
    if (seen.missing.length > 0) return `missing: ${seen.missing.join(", ")}`;
    if (seen.drifted.length > 0) return `changed: ${seen.drifted.join(", ")}`;
    const summary = summarizeWorkloads(seen.objects);
    const next = statusOf(app);
    next.state = summary.state;
    next.containerHealth = summary.containerHealth;
    next.lastObservedManifest = seen.lastObserved;
    next.services = serviceEndpoints(seen.objects, apiHost(t.conn.server));
    if (!sameStatus(app.status, next)) {
      ctx.log.info({ app: key, state: applicationStatus_StateToJSON(next.state), notes: summary.notes }, "observed");
      await this.d.client.updateStatus({ ...app, status: next }, { signal: ctx.signal });
    }
    return undefined;
  }

  private async apply(ctx: ReconcileContext, key: string, app: Application, t: Target, phase: State): Promise<Result | void> {
    let current = app;
    const status = statusOf(app);
    if (status.state !== phase) {
      status.state = phase;
      current = await this.d.client.updateStatus({ ...app, status }, { signal: ctx.signal });
    }
    const previous = sameRef(status.runningOn, t.ref) ? (status.lastAppliedManifest as Manifest[]) : [];
    let deployed: Deployed;
    try {
      deployed = await deploy(t.conn, t.desired, previous, t.schema, ctx.signal);
    } catch (err) {
      ctx.signal.throwIfAborted();
      return this.failed(ctx, key, current, err);
    }
    const next = this.deployedStatus(current, t, deployed);
    next.runningOn = t.ref;
    this.retryAt.delete(key);
    ctx.log.info({ app: key, cluster: t.ref.name, state: applicationStatus_StateToJSON(next.state), resources: t.desired.length }, "applied");
    await this.d.client.updateStatus({ ...current, status: next }, { signal: ctx.signal });
    await this.watch(key, t);
    return { requeueAfter: this.d.settings.observerResyncMs };
  }

  private deployedStatus(app: Application, t: Target, deployed: Deployed): ApplicationStatus {
    const summary = summarizeWorkloads(deployed.objects);
    const next = statusOf(app);
    next.state = summary.state;
    next.reason = undefined;
    next.retries = 0;
    next.containerHealth = summary.containerHealth;
    next.mangledObserverSchema = t.schema;
    next.lastAppliedManifest = deployed.lastApplied;
    next.lastObservedManifest = deployed.lastObserved;
    next.services = serviceEndpoints(deployed.objects, apiHost(t.conn.server));
    next.observedGeneration = app.metadata!.generation;
    return next;
  }

  private async watch(key: string, t: Target): Promise<void> {
    try {
      const watched = await watchedResources(clusterKey(t.ref.namespace ?? "", t.ref.name), t.conn, t.desired);
      this.d.watches.observe(key, watched, () => t.conn);
    } catch {
      // the next reconcile registers them
    }
  }

  /** The cluster, its connection and the manifest for it; undefined when the Cluster is not (yet) known. */
  private async target(ctx: ReconcileContext, app: Application, ref: ResourceRef, status: ApplicationStatus): Promise<Target | undefined> {
    const cluster = this.d.clusters.get(refKeyOf(ref));
    if (!cluster) {
      ctx.log.info({ app: `${app.metadata?.namespace}/${app.metadata?.name}`, cluster: refKeyOf(ref) }, "cluster not found; waiting for it");
      return undefined;
    }
    let conn: ClusterResources;
    try {
      conn = this.d.connections.connect(cluster);
    } catch (err) {
      throw new ClusterUnreachableError(`cluster ${ref.name}: ${(err as Error).message}`);
    }
    const desired = await this.d.hooks.prepareManifest(app, cluster, manifestOf(app), status);
    const schema = mangledObserverSchema(desired, (app.spec?.observerSchema ?? []) as Manifest[]);
    return { ref, cluster, conn, desired, schema };
  }

  // ---- errors ---------------------------------------------------------------------------------

  /** Krake's backoff: DEGRADED and retried after backoff_delay · backoff, FAILED past backoff_limit. */
  private async failed(ctx: ReconcileContext, key: string, app: Application, err: unknown): Promise<Result | void> {
    const status = statusOf(app);
    const unreachable = err instanceof ClusterUnreachableError;
    const limit = app.spec?.backoffLimit ?? -1;
    status.retries = (status.retries ?? 0) + 1;
    status.state = limit !== -1 && status.retries > limit ? State.FAILED : State.DEGRADED;
    status.reason = { code: unreachable ? Reason_Code.CLUSTER_NOT_REACHABLE : Reason_Code.KUBERNETES_ERROR, message: (err as Error).message ?? String(err) };
    status.observedGeneration = app.metadata!.generation;
    const delay = retryDelayMs(app);
    this.retryAt.set(key, this.d.clock.now() + delay);
    ctx.log.warn({ app: key, state: applicationStatus_StateToJSON(status.state), retries: status.retries, reason: status.reason.message }, "apply failed");
    await this.d.client.updateStatus({ ...app, status }, { signal: ctx.signal });
    return status.state === State.FAILED ? undefined : { requeueAfter: delay };
  }

  private async failUnsupported(ctx: ReconcileContext, app: Application, message: string): Promise<void> {
    const status = statusOf(app);
    if (status.state === State.FAILED && status.reason?.code === Reason_Code.UNSUPPORTED_RESOURCE) return;
    status.state = State.FAILED;
    status.reason = { code: Reason_Code.UNSUPPORTED_RESOURCE, message };
    status.observedGeneration = app.metadata!.generation;
    await this.d.client.updateStatus({ ...app, status }, { signal: ctx.signal });
  }

  private async withFinalizer(ctx: ReconcileContext, app: Application): Promise<Application> {
    const finalizers = app.metadata!.finalizers ?? [];
    if (finalizers.includes(resourcesFinalizer)) return app;
    return this.d.client.update({ ...app, metadata: { ...app.metadata!, finalizers: [...finalizers, resourcesFinalizer] } }, { signal: ctx.signal });
  }

  // ---- migration ------------------------------------------------------------------------------

  private async migrate(ctx: ReconcileContext, key: string, app: Application, from: ResourceRef, to: ResourceRef): Promise<Result | void> {
    const status = statusOf(app);
    const now = this.d.clock.now();
    const { migrationRetryMax, migrationReadyTimeoutMs } = this.d.settings;
    const blockedUntil = status.migrationTimeout * 1000;
    if (status.migrationRetries >= migrationRetryMax) return this.converge(ctx, key, app, from);
    if (blockedUntil > now) return this.converge(ctx, key, app, from, blockedUntil - now);
    let current = app;
    if (status.state !== State.MIGRATING) {
      status.state = State.MIGRATING;
      // The start of this attempt: what the readiness deadline counts from, across restarts.
      status.kubeControllerTriggered = new Date(now);
      current = await this.d.client.updateStatus({ ...app, status }, { signal: ctx.signal });
      ctx.log.info({ app: key, from: refKeyOf(from), to: refKeyOf(to) }, "migrating");
    }
    const started = current.status?.kubeControllerTriggered?.getTime() ?? now;
    let t: Target | undefined;
    let deployed: Deployed;
    try {
      t = await this.target(ctx, current, to, statusOf(current));
      if (!t) return { requeueAfter: this.d.settings.observerResyncMs };
      deployed = await deploy(t.conn, t.desired, [], t.schema, ctx.signal);
    } catch (err) {
      ctx.signal.throwIfAborted();
      return this.rollback(ctx, key, current, from, to, t, (err as Error).message);
    }
    await this.watch(key, t);
    // The answers of the apply are the cluster's current objects: as fresh as the watches.
    const summary = summarizeWorkloads(deployed.objects);
    if (!summary.ready) {
      const deadline = started + migrationReadyTimeoutMs;
      if (now >= deadline) {
        return this.rollback(ctx, key, current, from, to, t, `the new copy was not ready within ${migrationReadyTimeoutMs / 1000} s (${summary.notes.join("; ")})`);
      }
      ctx.log.debug({ app: key, notes: summary.notes }, "waiting for the new copy to be ready");
      return { requeueAfter: Math.min(deadline - now, this.d.settings.observerResyncMs) };
    }
    await this.removeFrom(ctx, key, current, from);
    const next = this.deployedStatus(current, t, deployed);
    next.runningOn = to;
    next.migrationRetries = 0;
    next.migrationTimeout = 0;
    ctx.log.info({ app: key, from: refKeyOf(from), to: refKeyOf(to) }, "migrated");
    await this.d.client.updateStatus({ ...current, status: next }, { signal: ctx.signal });
    return { requeueAfter: this.d.settings.observerResyncMs };
  }

  /** Deletes the old copy; an unreachable old cluster keeps it (logged): the move does not wait for a dead cluster. */
  private async removeFrom(ctx: ReconcileContext, key: string, app: Application, from: ResourceRef): Promise<void> {
    const cluster = this.d.clusters.get(refKeyOf(from));
    if (!cluster) return;
    try {
      const conn = this.d.connections.connect(cluster);
      await undeploy(conn, unionOf(app.status?.lastAppliedManifest as Manifest[], manifestOf(app)), ctx.signal);
    } catch (err) {
      ctx.signal.throwIfAborted();
      ctx.log.warn({ app: key, cluster: refKeyOf(from), err: (err as Error).message }, "cannot delete the old copy; leaving it");
    }
  }

  private async rollback(
    ctx: ReconcileContext,
    key: string,
    app: Application,
    from: ResourceRef,
    to: ResourceRef,
    t: Target | undefined,
    why: string,
  ): Promise<Result | void> {
    if (t) {
      try {
        await undeploy(t.conn, t.desired, ctx.signal);
      } catch (err) {
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
    await this.d.client.updateStatus({ ...app, status }, { signal: ctx.signal });
    this.d.watches.forget(key);
    return { requeueAfter: 1 };
  }

  // ---- deletion -------------------------------------------------------------------------------

  private async remove(ctx: ReconcileContext, key: string, app: Application): Promise<Result | void> {
    const finalizers = app.metadata!.finalizers ?? [];
    if (!finalizers.includes(resourcesFinalizer)) {
      this.d.watches.forget(key);
      return;
    }
    // Finalizers are a stack: ours waits until the ones above it are done.
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
    // A crash between an apply and its status write leaves resources last_applied_manifest does not name.
    const resources = unionOf(status.lastAppliedManifest as Manifest[], manifestOf(app));
    const failures: string[] = [];
    const refs = [status.runningOn, status.scheduledTo].filter((r, i, all): r is ResourceRef => !!r?.name && all.findIndex((o) => sameRef(o, r)) === i);
    for (const ref of refs) {
      const cluster = this.d.clusters.get(refKeyOf(ref));
      if (!cluster) continue;
      try {
        await undeploy(this.d.connections.connect(cluster), resources, ctx.signal);
      } catch (err) {
        ctx.signal.throwIfAborted();
        failures.push(`cluster ${ref.name}: ${(err as Error).message}`);
      }
    }
    if (failures.length > 0) {
      const waited = this.d.clock.now() - (app.metadata!.deleted?.getTime() ?? 0);
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
    const left = (current.metadata!.finalizers ?? []).filter((f) => f !== resourcesFinalizer);
    await this.d.client.update({ ...current, metadata: { ...current.metadata!, finalizers: left } }, { signal: ctx.signal });
    ctx.log.info({ app: key }, "resources deleted; finalizer removed");
  }
}

function isTarget(v: unknown): v is Target {
  return typeof v === "object" && v !== null && "conn" in v && "desired" in v;
}
