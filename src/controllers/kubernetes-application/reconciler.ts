import type { Application, ApplicationStatus } from "../../../gen/krake/kubernetes/v1/application.js";
import { ApplicationStatus_State as State, applicationStatus_StateToJSON } from "../../../gen/krake/kubernetes/v1/application.js";
import { Reason_Code } from "../../../gen/krake/core/v1/types.js";
import type { ResourceRef } from "../../../gen/krake/core/v1/types.js";
import type { ReconcileContext, Reconciler, Result } from "../../controller/reconcile.js";
import { isRetriedError, resourcesFinalizer, retryDelayMs, sameRef, sameStatus, statusOf, unsupportedSource } from "./app-status.js";
import { ApplyFailures } from "./apply-failures.js";
import { clusterKey } from "./cluster-connections.js";
import { deploy } from "./deploy.js";
import type { Deployed } from "./deploy.js";
import { Deletion } from "./deletion.js";
import type { Manifest } from "./manifest/index.js";
import { Migration } from "./migration.js";
import { observe, watchedResources } from "./observe/observation.js";
import { apiHost, serviceEndpoints } from "./observe/services.js";
import { summarizeWorkloads } from "./observe/workload-state.js";
import { StaleCopies } from "./stale-copies.js";
import { deployedStatus, resolveTarget, watchTarget } from "./target.js";
import type { ApplicationControllerDeps, Target } from "./target.js";

export type { ApplicationControllerDeps } from "./target.js";

const steady = new Set([State.RUNNING, State.DEGRADED, State.RESTARTING, State.COMPLETED]);

/**
 * Krake's Kubernetes application controller, level-based: everything it
 * needs to go on after a restart is in the Application's status (state,
 * running_on, last_applied_manifest, migration counters, and
 * kube_controller_triggered as the start of a migration attempt).
 *
 * - not scheduled: nothing; TOSCA/CSAR without a manifest: FAILED with a reason;
 * - scheduled: finalizer, then apply (CREATING/RECONCILING) when the spec
 *   changed, the cluster lost or changed a resource, or a failed apply is due
 *   again (apply-failures.ts); otherwise observe (state, container health,
 *   services, last_observed_manifest) from the cluster watches;
 * - copies left on former clusters: stale-copies.ts;
 * - scheduled_to ≠ running_on: migration.ts;
 * - deleted: deletion.ts.
 */
export class ApplicationController implements Reconciler {
  private readonly failures: ApplyFailures;
  private readonly migration: Migration;
  private readonly deletion: Deletion;
  private readonly staleCopies: StaleCopies;

  constructor(private readonly d: ApplicationControllerDeps) {
    this.staleCopies = new StaleCopies(d);
    this.failures = new ApplyFailures(d);
    this.migration = new Migration(d, (ctx, key, app, ref, retryAfterMs) => this.converge(ctx, key, app, ref, retryAfterMs));
    this.deletion = new Deletion(d);
  }

  async reconcile(ctx: ReconcileContext, key: string): Promise<Result | void> {
    const app = this.d.applications.get(key);
    if (!app?.metadata) {
      this.d.watches.forget(key);
      this.failures.succeeded(key);
      return;
    }
    if (app.metadata.deleted) return this.deletion.reconcile(ctx, key, app);
    const status = app.status;
    const unsupported = unsupportedSource(app);
    if (unsupported) return this.failUnsupported(ctx, app, unsupported);
    if (status?.state === State.FAILED && status.observedGeneration === app.metadata.generation) {
      this.d.watches.forget(key);
      return;
    }
    const scheduledTo = status?.scheduledTo;
    if (!scheduledTo?.name) return;
    const wait = this.failures.waitFor(key, app);
    if (wait > 0) return { requeueAfter: wait };
    const { app: current, remaining } = await this.staleCopies.clean(ctx, key, await this.withFinalizer(ctx, app));
    const runningOn = current.status?.runningOn;
    const result =
      runningOn?.name && !sameRef(runningOn, scheduledTo)
        ? await this.migration.reconcile(ctx, key, current, runningOn, scheduledTo)
        : await this.converge(ctx, key, current, scheduledTo);
    // A former cluster that could not be reached is asked again soon, whatever else brings the Application back.
    if (!remaining) return result;
    const again = retryDelayMs(current) * 5;
    return { requeueAfter: Math.min(result?.requeueAfter ?? again, again) };
  }

  /** Applies on `ref` when needed, else observes it. */
  private async converge(ctx: ReconcileContext, key: string, app: Application, ref: ResourceRef, retryAfterMs?: number): Promise<Result | void> {
    const status = statusOf(app);
    let target: Target | undefined;
    try {
      target = await resolveTarget(this.d, ctx, app, ref, status);
    } catch (err) {
      ctx.signal.throwIfAborted();
      return this.failures.record(ctx, key, app, err);
    }
    if (!target) return { requeueAfter: this.d.settings.observerResyncMs };
    const sameCluster = sameRef(status.runningOn, ref);
    const mustApply = !sameCluster || status.observedGeneration !== app.metadata!.generation || !steady.has(status.state) || isRetriedError(status);
    if (!mustApply) {
      const why = await this.observeAndReport(ctx, key, app, target, status);
      if (why === undefined) return { requeueAfter: Math.min(retryAfterMs ?? Infinity, this.d.settings.observerResyncMs) };
      ctx.log.info({ app: key, why }, "resources changed on the cluster; applying again");
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
    const seen = observe(this.d.watches, watched, applied, status.mangledObserverSchema as Manifest[], status.lastObservedManifest as Manifest[]);
    // A cluster that cannot be listed keeps its last status (the cluster controller reports the cluster).
    if (!seen.known) return undefined;
    if (seen.missing.length > 0) return `missing: ${seen.missing.join(", ")}`;
    if (seen.drifted.length > 0) return `changed: ${seen.drifted.join(", ")}`;
    const summary = summarizeWorkloads(seen.objects);
    const next = statusOf(app);
    // The scheduler's DEGRADED (nothing fits any more) stays until it places the Application again.
    if (next.reason?.code !== Reason_Code.NO_SUITABLE_RESOURCE) next.state = summary.state;
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
    // Resources the last manifest had on this cluster and the new one has not are deleted.
    const previous = sameRef(status.runningOn, t.ref) ? (status.lastAppliedManifest as Manifest[]) : [];
    let deployed: Deployed;
    try {
      deployed = await deploy(t.conn, t.desired, previous, t.schema, ctx.signal);
    } catch (err) {
      ctx.signal.throwIfAborted();
      return this.failures.record(ctx, key, current, err);
    }
    const next = deployedStatus(current, t, deployed);
    next.runningOn = t.ref;
    this.failures.succeeded(key);
    this.d.metrics.applied("applied");
    ctx.log.info({ app: key, cluster: t.ref.name, state: applicationStatus_StateToJSON(next.state), resources: t.desired.length }, "applied");
    await this.d.client.updateStatus({ ...current, status: next }, { signal: ctx.signal });
    await watchTarget(this.d, key, t);
    return { requeueAfter: this.d.settings.observerResyncMs };
  }

  /** Krake translates TOSCA and CSAR into a manifest; this controller does not (yet): FAILED, saying so. */
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
}
