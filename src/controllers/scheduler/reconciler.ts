import type { Application } from "../../../gen/krake/kubernetes/v1/application.js";
import { ApplicationStatus, ApplicationStatus_State as State } from "../../../gen/krake/kubernetes/v1/application.js";
import { clusterStatus_StateToJSON } from "../../../gen/krake/kubernetes/v1/cluster.js";
import { Reason_Code } from "../../../gen/krake/core/v1/types.js";
import type { Clock } from "../../client/clock.js";
import type { KindClient } from "../../client/kind-client.js";
import type { Indexer } from "../../controller/informer/indexer.js";
import type { ReconcileContext, Reconciler, Result } from "../../controller/reconcile.js";
import { decide, decisionChanged, decisionStatus } from "../../scheduling/index.js";
import type { Candidate, Decision, SchedulingPolicy } from "../../scheduling/index.js";
import { EvaluationMemo } from "../../scheduling/evaluation-memo.js";
import type { MetricSources, Readings } from "../../scheduling/providers/index.js";
import type { ApplicationEvents } from "./application-events.js";
import type { CandidateCache } from "./candidate-cache.js";
import type { ClusterMetricsStatus } from "./cluster-metrics-status.js";
import { failingMetrics } from "./metric-readings.js";
import type { MetricReadings } from "./metric-readings.js";
import type { SchedulerMetrics } from "./scheduler-metrics.js";
import { timestampFromMillis, timestampNow, timestampToDate, timestampToMillis } from "../../kinds/timestamp.js";

export interface SchedulerCaches {
  applications: Indexer<Application>;
  /** The candidates of a namespace, shared by its decisions until a cluster or cloud changes. */
  candidates: CandidateCache;
  /** The metric and provider objects of a cycle. */
  metricSources(): MetricSources;
}

export interface SchedulerOptions {
  policy: SchedulingPolicy;
  /** Look at a scheduled Application again after this long (Krake's reschedule_after, 60 s). */
  rescheduleAfterMs: number;
  clock: Clock;
}

/** What a decision is made from. */
interface Inputs {
  namespace: string;
  candidates: readonly Candidate[];
  readings: Readings;
}

/**
 * Krake's scheduler, level-based: for an Application key it reads the
 * Application, the clusters of its namespace and the clouds from the
 * caches, reads the metrics of the cycle, reports the clusters whose metrics
 * fail as FAILING_METRICS (and those that read again as ONLINE, see
 * cluster-metrics-status.ts), decides (src/scheduling), binds
 * through the `binding` subresource when the decision places or moves it,
 * and writes the decision into `status.scheduling` when it says something
 * new. No cluster fits → DEGRADED with Krake's backoff, FAILED past
 * `backoff_limit`.
 */
export class Scheduler implements Reconciler {
  /** Per-candidate work shared by the decisions over one Readings (see EvaluationMemo). */
  private readonly memos = new WeakMap<Readings, EvaluationMemo>();
  /** The Readings whose metric states every candidate of the array already reports. */
  private readonly reported = new WeakMap<readonly Candidate[], Readings>();

  constructor(
    private readonly caches: SchedulerCaches,
    private readonly applications: KindClient<Application>,
    private readonly readings: MetricReadings,
    private readonly clusterStatus: ClusterMetricsStatus,
    private readonly metrics: SchedulerMetrics,
    private readonly events: ApplicationEvents,
    private readonly opts: SchedulerOptions,
  ) {}

  async reconcile(ctx: ReconcileContext, key: string): Promise<Result | void> {
    const app = this.caches.applications.get(key);
    if (!app?.metadata || app.metadata.deleted) return;
    if (app.status?.state === State.FAILED) return;
    const started = this.opts.clock.now();
    const inputs = await this.inputs(app, ctx.signal);
    inputs.candidates = await this.reportMetrics(inputs, ctx);
    const decision = this.decideWith(app, inputs);
    this.metrics.observe(decision, (this.opts.clock.now() - started) / 1000);
    ctx.log.debug({ app: key, action: decision.action, chosen: decision.chosen?.name, reason: decision.reason.code }, "scheduled");

    let current = app;
    const { namespace, name, resourceVersion } = app.metadata;
    const chosen = decision.chosen;
    if ((decision.action === "place" || decision.action === "move") && chosen) {
      current = await this.events.write(key, () =>
        this.applications.subresource("binding", namespace, name, { cluster: chosen }, resourceVersion, { signal: ctx.signal }),
      );
    }
    const next = this.nextStatus(current, decision);
    if (next) {
      const body = { ...current, status: next };
      current = await this.events.write(key, () => this.applications.updateStatus(body, { signal: ctx.signal }));
    }
    if (decision.action === "none") {
      const retry = current.status?.scheduledRetry;
      const retryAt = retry ? timestampToMillis(retry) : 0;
      return { requeueAfter: Math.max(1, retryAt - this.opts.clock.now()) };
    }
    return app.spec?.constraints?.migration === false ? undefined : { requeueAfter: this.opts.rescheduleAfterMs };
  }

  /**
   * The decision for `app` now (the dry run calls the same path). It writes
   * nothing: a cluster's FAILING_METRICS counts as stored.
   */
  async decide(app: Application, signal: AbortSignal): Promise<Decision> {
    return this.decideWith(app, await this.inputs(app, signal));
  }

  private async inputs(app: Application, signal: AbortSignal): Promise<Inputs> {
    const namespace = app.metadata?.namespace ?? "";
    const candidates = this.caches.candidates.get(namespace);
    const readings = await this.readings.read(candidates, () => this.caches.metricSources(), signal);
    return { namespace, candidates, readings };
  }

  private decideWith(app: Application, { candidates, readings }: Inputs): Decision {
    const history = (app.status?.migrations ?? []).map(timestampToDate);
    let memo = this.memos.get(readings);
    if (memo === undefined) this.memos.set(readings, (memo = new EvaluationMemo(readings.values, this.opts.policy.metricMaxAgeMs)));
    return decide(app, candidates, readings.values, new Date(this.opts.clock.now()), this.opts.policy, history, memo);
  }

  /**
   * Krake: a cluster whose metrics fail is FAILING_METRICS with
   * `metrics_reasons`, and left out; one whose metrics read again is ONLINE.
   * Every candidate's metrics were read, whatever its state, so a
   * FAILING_METRICS cluster comes back as soon as its provider does. Returns
   * the candidates as they now stand, for this decision to see its own
   * report. A write that fails (other than a lost race, which the cluster's
   * next change brings back) is logged and the decision goes on: the next
   * reconcile reports again.
   */
  private async reportMetrics({ namespace, candidates, readings }: Inputs, ctx: ReconcileContext): Promise<readonly Candidate[]> {
    if (this.reported.get(candidates) === readings) return candidates;
    const due: { candidate: Candidate; reasons: ReturnType<typeof failingMetrics> }[] = [];
    for (const candidate of candidates) {
      const reasons = failingMetrics(candidate, readings);
      if (this.clusterStatus.needsReport(candidate.cluster, reasons)) due.push({ candidate, reasons });
    }
    let changed = false;
    let failed = false;
    await Promise.all(
      due.map(async ({ candidate: c, reasons }) => {
        try {
          const now = await this.clusterStatus.report(c.cluster, reasons, ctx.signal);
          if (now !== c.cluster) {
            changed = true;
            const state = now.status?.state;
            if (state !== undefined && state !== c.cluster.status?.state) {
              const where = { cluster: c.ref.name, namespace: c.ref.namespace };
              ctx.log.info({ ...where, state: clusterStatus_StateToJSON(state), metricsReasons: now.status?.metricsReasons }, "cluster metrics state");
            }
          }
        } catch (err) {
          ctx.signal.throwIfAborted();
          failed = true;
          ctx.log.warn({ err, cluster: c.ref.name, namespace: c.ref.namespace }, "cannot write the cluster's metrics state");
        }
      }),
    );
    if (!changed) {
      if (!failed) this.reported.set(candidates, readings);
      return candidates;
    }
    // our writes are newer than the informer's copies: the namespace's candidates are built again with them
    this.caches.candidates.invalidate(namespace);
    return this.caches.candidates.get(namespace);
  }

  /** The status to write, or undefined when the stored one already says it all. */
  private nextStatus(app: Application, decision: Decision): ApplicationStatus | undefined {
    const status = ApplicationStatus.fromPartial(app.status ?? {});
    const explained = decisionStatus(decision);
    const moved = decision.action === "place" || decision.action === "move";
    let changed = moved || decisionChanged(status.scheduling, explained);
    const now = this.opts.clock.now();
    const waiting = status.state === State.DEGRADED && status.scheduledRetry !== undefined && timestampToMillis(status.scheduledRetry) > now;
    // Still no cluster, and the retry is not due: nothing new to say (the requeue comes back at the retry).
    if (decision.action === "none" && waiting && !changed) return undefined;
    status.scheduling = explained;
    status.migrations = decision.migrations.map((t) => timestampFromMillis(Date.parse(t)));
    if (decision.action === "none") {
      // Krake: an error of the scheduler is DEGRADED with backoff, FAILED past backoff_limit (-1: never).
      const limit = app.spec?.backoffLimit ?? -1;
      status.retries = (status.retries ?? 0) + 1;
      status.state = limit !== -1 && status.retries > limit ? State.FAILED : State.DEGRADED;
      status.reason = { code: Reason_Code.NO_SUITABLE_RESOURCE, message: decision.reason.message };
      status.scheduledRetry = timestampNow(now + retryDelayMs(app));
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
