import type { Reason } from "../../../gen/krake/core/v1/types.js";
import type { MetricDefinition, MetricReading, MetricValues } from "../metrics.js";
import type { MetricSources, MetricsFetcher } from "./fetcher.js";

/** Whatever refers to metrics: a cluster Candidate, a CloudCandidate. */
export interface MetricUser {
  readonly metrics: readonly { readonly name: string; readonly namespaced: boolean; readonly key: string | undefined }[];
}

/** What reading the metrics of some candidates came to. */
export interface Readings {
  /** The values src/scheduling decides with, keyed by `metricKey`. */
  readonly values: MetricValues;
  /** Why a metric could not be read, by `metricKey`: Krake's reason (codes 91–94). */
  readonly failures: ReadonlyMap<string, Reason>;
}

/**
 * Reads, through `fetcher`, every metric the candidates refer to, once per
 * metric however many candidates share it, and pairs each value with its
 * Metric's or GlobalMetric's definition from `sources`: the MetricValues
 * `decide` takes. A reference that cannot resolve (no key) is left to
 * `decide`, which reports it as invalid. Rejects only when `signal` aborts.
 */
export async function readMetrics(
  fetcher: MetricsFetcher,
  candidates: readonly MetricUser[],
  sources: MetricSources,
  signal?: AbortSignal,
): Promise<Readings> {
  const values = new Map<string, MetricReading>();
  const failures = new Map<string, Reason>();
  const definitions = definitionsOf(sources);
  const wanted = new Map<string, { name: string; namespaced: boolean }>();
  for (const candidate of candidates) {
    for (const m of candidate.metrics) if (m.key !== undefined && !wanted.has(m.key)) wanted.set(m.key, m);
  }
  await Promise.all(
    [...wanted].map(async ([key, m]) => {
      signal?.throwIfAborted();
      // the key of a namespaced metric is "<namespace>/<name>": where the referring resource lives
      const namespace = m.namespaced ? key.slice(0, key.length - m.name.length - 1) : "";
      const result = await fetcher.fetch({ name: m.name, namespaced: m.namespaced }, namespace);
      const definition = definitions.get(key);
      const known = definition ? { definition } : {};
      if (!result.ok) failures.set(key, result.reason);
      values.set(
        key,
        result.ok
          ? { ...known, value: result.value, observedAt: new Date(result.fetchedAt) }
          : { ...known, error: `${result.reason.code}: ${result.reason.message}` },
      );
    }),
  );
  return { values, failures };
}

/** Each Metric's and GlobalMetric's definition, by `metricKey`. */
function definitionsOf(sources: MetricSources): Map<string, MetricDefinition> {
  const out = new Map<string, MetricDefinition>();
  for (const m of sources.globalMetrics ?? []) if (m.spec) out.set(m.metadata?.name ?? "", m.spec);
  for (const m of sources.metrics ?? []) if (m.spec) out.set(`${m.metadata?.namespace ?? ""}/${m.metadata?.name ?? ""}`, m.spec);
  return out;
}
