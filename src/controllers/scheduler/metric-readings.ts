import type { Registry } from "prom-client";
import { Reason_Code } from "../../../gen/krake/core/v1/types.js";
import type { Reason } from "../../../gen/krake/core/v1/types.js";
import type { Clock } from "../../client/clock.js";
import { MetricsFetcher, readMetrics } from "../../scheduling/providers/index.js";
import type { MetricSources, MetricUser, ProviderOptions, Readings } from "../../scheduling/providers/index.js";

/**
 * The metric values the scheduler decides with. One MetricsFetcher serves a
 * whole cycle (`cycleMs`): every application scheduled in it shares its
 * queries, so each provider metric is asked once per cycle, however many
 * applications and clusters refer to it. Within a cycle the Readings of one
 * candidate array (CandidateCache gives every decision of a namespace the
 * same array) are computed once and shared, so that their identity can key
 * what is computed from them (EvaluationMemo). A change of a Metric,
 * GlobalMetric or provider object ends the cycle (`invalidate`): the next
 * read asks the providers again with the new objects.
 */
export class MetricReadings {
  private fetcher: MetricsFetcher | undefined;
  private startedAt = 0;
  private cycle: MetricSources | undefined;
  private readonly shared = new WeakMap<readonly MetricUser[], { fetcher: MetricsFetcher; readings: Promise<Readings> }>();

  constructor(
    private readonly opts: { cycleMs: number; clock: Clock; registry: Registry; providerOptions: Partial<ProviderOptions> },
  ) {}

  /**
   * Reads every metric the candidates use, whatever their state: a cluster
   * left out of the decision for FAILING_METRICS is read too, or it could
   * never come back.
   */
  read(candidates: readonly MetricUser[], sources: () => MetricSources, signal: AbortSignal): Promise<Readings> {
    const now = this.opts.clock.now();
    if (!this.fetcher || !this.cycle || now - this.startedAt >= this.opts.cycleMs) {
      this.cycle = sources();
      this.fetcher = new MetricsFetcher(this.cycle, { registry: this.opts.registry, clock: this.opts.clock, providerOptions: this.opts.providerOptions });
      this.startedAt = now;
    }
    const fetcher = this.fetcher;
    const found = this.shared.get(candidates);
    if (found !== undefined && found.fetcher === fetcher) return found.readings;
    const readings = readMetrics(fetcher, candidates, this.cycle, signal);
    this.shared.set(candidates, { fetcher, readings });
    // a read aborted with its reconcile is not kept for the next one
    readings.catch(() => {
      if (this.shared.get(candidates)?.readings === readings) this.shared.delete(candidates);
    });
    return readings;
  }

  /** Ends the cycle: the metric or provider objects changed. */
  invalidate(): void {
    this.fetcher = undefined;
    this.cycle = undefined;
  }
}

/**
 * The metrics of `candidate` that could not be read, by metric name, as
 * `status.metrics_reasons` holds them (Krake's `metrics_reasons`). A
 * reference that cannot resolve (a namespaced metric inherited from a
 * GlobalCloud) is INVALID_METRIC (91), as the fetcher would say.
 */
export function failingMetrics(candidate: MetricUser, readings: Readings): Record<string, Reason> {
  const reasons: Record<string, Reason> = {};
  for (const m of candidate.metrics) {
    if (Object.prototype.hasOwnProperty.call(reasons, m.name)) continue;
    const reason =
      m.key === undefined
        ? { code: Reason_Code.INVALID_METRIC, message: `a resource without a namespace cannot use the namespaced metric "${m.name}"` }
        : readings.failures.get(m.key);
    if (reason) reasons[m.name] = reason;
  }
  return reasons;
}
