import type { Registry } from "prom-client";
import { Reason_Code } from "../../../gen/krake/core/v1/types.js";
import type { Reason } from "../../../gen/krake/core/v1/types.js";
import type { Clock } from "../../client/clock.js";
import type { Candidate } from "../../scheduling/index.js";
import { MetricsFetcher, readMetrics } from "../../scheduling/providers/index.js";
import type { MetricSources, ProviderOptions, Readings } from "../../scheduling/providers/index.js";

/**
 * The metric values the scheduler decides with. One MetricsFetcher serves a
 * whole cycle (`cycleMs`): every application scheduled in it shares its
 * queries, so each provider metric is asked once per cycle, however many
 * applications and clusters refer to it.
 */
export class MetricReadings {
  private fetcher: MetricsFetcher | undefined;
  private startedAt = 0;

  constructor(
    private readonly opts: { cycleMs: number; clock: Clock; registry: Registry; providerOptions: Partial<ProviderOptions> },
  ) {}

  /**
   * Reads every metric the candidates use, whatever their state: a cluster
   * left out of the decision for FAILING_METRICS is read too, or it could
   * never come back.
   */
  async read(candidates: readonly Candidate[], sources: () => MetricSources, signal: AbortSignal): Promise<Readings> {
    const now = this.opts.clock.now();
    const cycle = sources();
    if (!this.fetcher || now - this.startedAt >= this.opts.cycleMs) {
      this.fetcher = new MetricsFetcher(cycle, { registry: this.opts.registry, clock: this.opts.clock, providerOptions: this.opts.providerOptions });
      this.startedAt = now;
    }
    return readMetrics(this.fetcher, candidates, cycle, signal);
  }
}

/**
 * The metrics of `candidate` that could not be read, by metric name, as
 * `status.metrics_reasons` holds them (Krake's `metrics_reasons`). A
 * reference that cannot resolve (a namespaced metric inherited from a
 * GlobalCloud) is INVALID_METRIC (91), as the fetcher would say.
 */
export function failingMetrics(candidate: Candidate, readings: Readings): Record<string, Reason> {
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
