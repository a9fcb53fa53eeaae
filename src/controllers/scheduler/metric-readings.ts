import type { Registry } from "prom-client";
import type { Clock } from "../../client/clock.js";
import type { Candidate, MetricReading, MetricValues } from "../../scheduling/index.js";
import { metricKey } from "../../scheduling/index.js";
import { MetricsFetcher } from "./providers/index.js";
import type { MetricSources, ProviderOptions } from "./providers/index.js";

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

  /** The readings of every metric the candidates use, keyed as src/scheduling expects (`metricKey`). */
  async read(candidates: readonly Candidate[], sources: () => MetricSources, signal: AbortSignal): Promise<MetricValues> {
    const now = this.opts.clock.now();
    if (!this.fetcher || now - this.startedAt >= this.opts.cycleMs) {
      this.fetcher = new MetricsFetcher(sources(), { registry: this.opts.registry, clock: this.opts.clock, providerOptions: this.opts.providerOptions });
      this.startedAt = now;
    }
    const fetcher = this.fetcher;
    const values = new Map<string, MetricReading>();
    const definitions = definitionsOf(sources());
    await Promise.all(
      candidates.flatMap((c) =>
        c.metrics.map(async (m) => {
          const namespace = c.cluster.metadata?.namespace ?? "";
          const key = metricKey(m.name, m.namespaced, namespace);
          if (key === undefined || values.has(key)) return;
          values.set(key, {}); // claimed: fetch once
          signal.throwIfAborted();
          const result = await fetcher.fetch({ name: m.name, namespaced: m.namespaced }, namespace);
          const definition = definitions.get(key);
          values.set(
            key,
            result.ok
              ? { ...(definition ? { definition } : {}), value: result.value, observedAt: new Date(result.fetchedAt) }
              : { ...(definition ? { definition } : {}), error: `${result.reason.code}: ${result.reason.message}` },
          );
        }),
      ),
    );
    return values;
  }
}

function definitionsOf(sources: MetricSources): Map<string, MetricReading["definition"] & object> {
  const out = new Map<string, MetricReading["definition"] & object>();
  for (const m of sources.globalMetrics ?? []) if (m.spec) out.set(m.metadata?.name ?? "", m.spec);
  for (const m of sources.metrics ?? []) if (m.spec) out.set(`${m.metadata?.namespace ?? ""}/${m.metadata?.name ?? ""}`, m.spec);
  return out;
}
