import type { Application } from "../../../gen/krake/kubernetes/v1/application.js";
import { ApplicationStatus, ApplicationStatus_State as State } from "../../../gen/krake/kubernetes/v1/application.js";
import type { Cloud, GlobalCloud } from "../../../gen/krake/infrastructure/v1/cloud.js";
import type { Cluster } from "../../../gen/krake/kubernetes/v1/cluster.js";
import { Reason_Code } from "../../../gen/krake/core/v1/types.js";
import type { Clock } from "../../client/clock.js";
import type { KindClient } from "../../client/kind-client.js";
import type { Indexer } from "../../controller/informer/indexer.js";
import { namespaceIndex } from "../../controller/informer/indexer.js";
import type { ReconcileContext, Reconciler, Result } from "../../controller/reconcile.js";
import { buildCandidates, decide } from "../../scheduling/index.js";
import type { Decision, SchedulingPolicy } from "../../scheduling/index.js";
import { decisionChanged, decisionStatus } from "./decision-status.js";
import type { MetricReadings } from "./metric-readings.js";
import type { MetricSources } from "./providers/index.js";
import type { SchedulerMetrics } from "./scheduler-metrics.js";

export interface SchedulerCaches {
  applications: Indexer<Application>;
  clusters: Indexer<Cluster>;
  clouds: Indexer<Cloud>;
  globalClouds: Indexer<GlobalCloud>;
  /** The metric and provider objects of a cycle. */
  metricSources(): MetricSources;
}

export interface SchedulerOptions {
  policy: SchedulingPolicy;
  /** Look at a scheduled Application again after this long (Krake's reschedule_after, 60 s). */
  rescheduleAfterMs: number;
  clock: Clock;
}

/**
 * Krake's scheduler, level-based: for an Application key it reads the
 * Application, the clusters of its namespace and the clouds from the
 * caches, reads the metrics of the cycle, decides (src/scheduling), binds
 * through the `binding` subresource when the decision places or moves it,
 * and writes the decision into `status.scheduling` when it says something
 * new. No cluster fits → DEGRADED with Krake's backoff, FAILED past
 * `backoff_limit`.
 */
export class Scheduler implements Reconciler {
  constructor(
    private readonly caches: SchedulerCaches,
    private readonly applications: KindClient<Application>,
    private readonly readings: MetricReadings,
    private readonly metrics: SchedulerMetrics,
    private readonly opts: SchedulerOptions,
  ) {}

  async reconcile(ctx: ReconcileContext, key: string): Promise<Result | void> {
    const app = this.caches.applications.get(key);
    if (!app?.metadata || app.metadata.deleted) return;
    if (app.status?.state === State.FAILED) return;
    const started = this.opts.clock.now();
    const decision = await this.decide(app, ctx.signal);
    this.metrics.observe(decision, (this.opts.clock.now() - started) / 1000);
    ctx.log.debug({ app: key, action: decision.action, chosen: decision.chosen?.name, reason: decision.reason.code }, "scheduled");

    let current = app;
    if ((decision.action === "place" || decision.action === "move") && decision.chosen) {
      current = await this.applications.subresource(
        "binding", app.metadata.namespace, app.metadata.name, { cluster: decision.chosen }, app.metadata.resourceVersion, { signal: ctx.signal },
      );
    }
    const next = this.nextStatus(current, decision);
    if (next) current = await this.applications.updateStatus({ ...current, status: next }, { signal: ctx.signal });
    if (decision.action === "none") {
      const retryAt = current.status?.scheduledRetry?.getTime() ?? 0;
      return { requeueAfter: Math.max(1, retryAt - this.opts.clock.now()) };
    }
    return app.spec?.constraints?.migration === false ? undefined : { requeueAfter: this.opts.rescheduleAfterMs };
  }

  /** The decision for `app` now (the dry run calls the same path). */
  async decide(app: Application, signal: AbortSignal): Promise<Decision> {
    const clusters = this.caches.clusters.byIndex(namespaceIndex, app.metadata?.namespace ?? "");
    const candidates = buildCandidates(clusters, { clouds: this.caches.clouds.list(), globalClouds: this.caches.globalClouds.list() });
    const values = await this.readings.read(candidates, () => this.caches.metricSources(), signal);
    const history = (app.status?.migrations ?? []).map((d) => new Date(d));
    return decide(app, candidates, values, new Date(this.opts.clock.now()), this.opts.policy, history);
  }

  /** The status to write, or undefined when the stored one already says it all. */
  private nextStatus(app: Application, decision: Decision): ApplicationStatus | undefined {
    const status = ApplicationStatus.fromPartial(app.status ?? {});
    const explained = decisionStatus(decision);
    const moved = decision.action === "place" || decision.action === "move";
    let changed = moved || decisionChanged(status.scheduling, explained);
    const now = this.opts.clock.now();
    const waiting = status.state === State.DEGRADED && (status.scheduledRetry?.getTime() ?? 0) > now;
    // Still no cluster, and the retry is not due: nothing new to say (the requeue comes back at the retry).
    if (decision.action === "none" && waiting && !changed) return undefined;
    status.scheduling = explained;
    status.migrations = decision.migrations.map((t) => new Date(t));
    if (decision.action === "none") {
      // Krake: an error of the scheduler is DEGRADED with backoff, FAILED past backoff_limit (-1: never).
      const limit = app.spec?.backoffLimit ?? -1;
      status.retries = (status.retries ?? 0) + 1;
      status.state = limit !== -1 && status.retries > limit ? State.FAILED : State.DEGRADED;
      status.reason = { code: Reason_Code.NO_SUITABLE_RESOURCE, message: decision.reason.message };
      status.scheduledRetry = new Date(now + retryDelayMs(app));
      changed = true;
    } else if (status.state === State.DEGRADED && status.reason?.code === Reason_Code.NO_SUITABLE_RESOURCE) {
      // placed again after failing to: back to the state a new Application starts in
      status.state = State.PENDING;
      status.reason = undefined;
      status.retries = 0;
      changed = true;
    }
    return changed ? status : undefined;
  }
}

/** Krake's `backoff_delay · backoff` seconds (defaults 1 and 1). */
function retryDelayMs(app: Application): number {
  return Math.max(1, (app.spec?.backoffDelay ?? 1) * (app.spec?.backoff ?? 1)) * 1000;
}
