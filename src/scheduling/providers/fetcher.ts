import { Registry } from "prom-client";
import type { GlobalMetric, Metric, MetricSpec } from "../../../gen/krake/core/v1/metric.js";
import type {
  GlobalMetricsProvider,
  MetricsProvider as MetricsProviderObject,
} from "../../../gen/krake/core/v1/metrics_provider.js";
import { realClock } from "../../client/clock.js";
import type { Clock } from "../../client/clock.js";
import { MetricError } from "./errors.js";
import type { MetricReasonCode } from "./errors.js";
import { providerQueriesCounter } from "./metrics.js";
import type { ProviderQueriesCounter } from "./metrics.js";
import { createMetricsProvider } from "./create-provider.js";
import { providerOptions } from "./provider.js";
import type { MetricsProvider, ProviderObject, ProviderOptions } from "./provider.js";

/** The objects a scheduling cycle sees (from its informers' caches). */
export interface MetricSources {
  metrics?: Iterable<Metric>;
  globalMetrics?: Iterable<GlobalMetric>;
  providers?: Iterable<MetricsProviderObject>;
  globalProviders?: Iterable<GlobalMetricsProvider>;
}

export interface MetricsFetcherOptions {
  /** Where `krake_scheduler_provider_queries_total` lives; share one across cycles. Default: a private registry. */
  registry: Registry;
  /** Stamps `fetchedAt`. */
  clock: Clock;
  /** Passed to `createProvider` (timeout, CA, answer size). */
  providerOptions: Partial<ProviderOptions>;
  /** Builds the client of a provider object; the seam for tests and new provider types. */
  createProvider: (object: ProviderObject, options: Partial<ProviderOptions>) => MetricsProvider;
  /** The cycle's signal: aborting it stops every query, and pending fetches reject with its reason. */
  signal: AbortSignal | undefined;
}

/** How a resource names a metric: a Cluster's or Cloud's `MetricRef` satisfies it. */
export interface MetricReference {
  name: string;
  /** true: a Metric (and its MetricsProvider) in the resource's namespace; false: a GlobalMetric and GlobalMetricsProvider. */
  namespaced: boolean;
}

export interface MetricValue {
  ok: true;
  /** The Metric's or GlobalMetric's name. */
  metric: string;
  namespaced: boolean;
  /** As the provider sent it. */
  value: number;
  /** `(value - min) / (max - min)`, in [0, 1]: what scores use (Krake's `normalize`). */
  normalized: number;
  /** When the provider answered (the fetcher's clock, ms since the epoch). */
  fetchedAt: number;
}

export interface MetricFailure {
  ok: false;
  metric: string;
  namespaced: boolean;
  /** For `status.metrics_reasons[metric]`. */
  reason: { code: MetricReasonCode; message: string };
}

export type MetricResult = MetricValue | MetricFailure;

/** What one provider query came to; shared by every fetch of the same (provider, metric). */
type QueryOutcome = { ok: true; value: number; fetchedAt: number } | { ok: false; error: MetricError };

/**
 * The metric values of ONE scheduling cycle. Build it from the cycle's
 * Metric, GlobalMetric and provider objects, then `fetch` each resource's
 * metric references: every (provider, provider metric) pair is queried at
 * most once per fetcher, however many applications, clusters or Metric
 * objects refer to it, and concurrent fetches of a pair share the one
 * request in flight. Build a new fetcher for the next cycle, so that values
 * are re-read each cycle.
 *
 * A fetch never rejects for a metric's own problem: it resolves with a value
 * or with Krake's reason (errors.ts): UNKNOWN_METRIC, UNKNOWN_METRICS_PROVIDER,
 * UNREACHABLE_METRICS_PROVIDER, or INVALID_METRIC, which also covers a value
 * outside the Metric's [min, max] or not one of its allowed_values (each Metric
 * is checked against its own bounds, even when two share a query). It rejects
 * only when the cycle's signal aborts.
 */
export class MetricsFetcher {
  private readonly metrics = new Map<string, Metric>();
  private readonly globalMetrics = new Map<string, GlobalMetric>();
  private readonly providers = new Map<string, MetricsProviderObject>();
  private readonly globalProviders = new Map<string, GlobalMetricsProvider>();
  private readonly clients = new Map<string, MetricsProvider>();
  private readonly queries = new Map<string, Promise<QueryOutcome>>();
  private readonly counter: ProviderQueriesCounter;
  private readonly clock: Clock;
  private readonly providerOptions: Partial<ProviderOptions>;
  private readonly createProvider: MetricsFetcherOptions["createProvider"];
  private readonly signal: AbortSignal | undefined;

  constructor(sources: MetricSources, options: Partial<MetricsFetcherOptions> = {}) {
    this.counter = providerQueriesCounter(options.registry ?? new Registry());
    this.clock = options.clock ?? realClock;
    this.providerOptions = options.providerOptions ?? {};
    providerOptions(this.providerOptions); // fail fast on a bad timeout or size
    this.createProvider = options.createProvider ?? createMetricsProvider;
    this.signal = options.signal;
    for (const m of sources.metrics ?? []) this.metrics.set(key(m.metadata?.namespace ?? "", m.metadata?.name ?? ""), m);
    for (const m of sources.globalMetrics ?? []) this.globalMetrics.set(m.metadata?.name ?? "", m);
    for (const p of sources.providers ?? []) this.providers.set(key(p.metadata?.namespace ?? "", p.metadata?.name ?? ""), p);
    for (const p of sources.globalProviders ?? []) this.globalProviders.set(p.metadata?.name ?? "", p);
  }

  /** Provider queries sent so far by this fetcher (one per distinct provider and metric). */
  get queryCount(): number {
    return this.queries.size;
  }

  /**
   * The value of the metric `ref` names, for a resource in `namespace` (""
   * for a global resource, which cannot refer to a namespaced metric).
   */
  async fetch(ref: MetricReference, namespace = ""): Promise<MetricResult> {
    const fail = (error: MetricError): MetricFailure => ({
      ok: false,
      metric: ref.name,
      namespaced: ref.namespaced,
      reason: { code: error.code, message: error.message },
    });
    const what = ref.namespaced ? `metric "${namespace}/${ref.name}"` : `global metric "${ref.name}"`;
    if (ref.namespaced && namespace === "") {
      return fail(MetricError.invalid(`a resource without a namespace cannot use the namespaced metric "${ref.name}"`));
    }
    const metric = ref.namespaced ? this.metrics.get(key(namespace, ref.name)) : this.globalMetrics.get(ref.name);
    if (!metric) return fail(MetricError.unknownMetric(`The ${what} was not found.`));
    const spec = metric.spec;
    if (!spec?.provider?.name || !spec.provider.metric) {
      return fail(MetricError.invalid(`The ${what} names no provider metric.`));
    }
    const provider = ref.namespaced ? this.providers.get(key(namespace, spec.provider.name)) : this.globalProviders.get(spec.provider.name);
    // as providerLabel() names it, but from where it was found: the dedupe key must not depend on its metadata
    const label = ref.namespaced ? key(namespace, spec.provider.name) : spec.provider.name;
    if (!provider) {
      const kind = ref.namespaced ? "metrics provider" : "global metrics provider";
      return fail(MetricError.unknownProvider(`The ${kind} "${label}" of the ${what} was not found.`));
    }
    const outcome = await this.query(label, provider, spec.provider.metric);
    if (!outcome.ok) return fail(outcome.error);
    const checked = checkValue(spec, outcome.value, what);
    if (checked instanceof MetricError) return fail(checked);
    return { ok: true, metric: ref.name, namespaced: ref.namespaced, value: outcome.value, normalized: checked, fetchedAt: outcome.fetchedAt };
  }

  /** `fetch` for each reference, in order. */
  fetchAll(refs: readonly MetricReference[], namespace = ""): Promise<MetricResult[]> {
    return Promise.all(refs.map((ref) => this.fetch(ref, namespace)));
  }

  /** The one query of (provider, metric) in this cycle, started on first use. */
  private query(label: string, object: ProviderObject, metric: string): Promise<QueryOutcome> {
    const id = `${label}\n${metric}`;
    let pending = this.queries.get(id);
    if (!pending) {
      pending = this.send(label, object, metric);
      this.queries.set(id, pending);
    }
    return pending;
  }

  private async send(label: string, object: ProviderObject, metric: string): Promise<QueryOutcome> {
    this.counter.inc({ provider: label, metric });
    try {
      let client = this.clients.get(label);
      if (!client) this.clients.set(label, (client = this.createProvider(object, this.providerOptions)));
      const value = await client.query(metric, this.signal);
      return { ok: true, value, fetchedAt: this.clock.now() };
    } catch (err) {
      if (this.signal?.aborted) throw this.signal.reason;
      if (err instanceof MetricError) return { ok: false, error: err };
      // a fault in a provider implementation must not end the cycle
      const message = err instanceof Error ? err.message : String(err);
      return { ok: false, error: MetricError.unreachable(`provider "${label}" failed: ${message}`, err) };
    }
  }
}

/**
 * Krake's check of a fetched value against its Metric: within [min, max] and,
 * when allowed_values is not empty, one of them. Returns the normalised value
 * or an INVALID_METRIC error.
 */
export function checkValue(spec: MetricSpec, value: number, what = "metric"): number | MetricError {
  const { min, max } = spec;
  if (!Number.isFinite(min) || !Number.isFinite(max) || !(min < max)) {
    return MetricError.invalid(`The ${what} has unusable bounds: min ${min}, max ${max}.`);
  }
  if (!(value >= min && value <= max)) {
    return MetricError.invalid(`Invalid metric value for the ${what}: ${value} out of range [${min}, ${max}].`);
  }
  const allowed = spec.allowedValues ?? [];
  if (allowed.length > 0 && !allowed.includes(value)) {
    return MetricError.invalid(`Invalid metric value for the ${what}: ${value} not in [${allowed.join(", ")}].`);
  }
  return (value - min) / (max - min);
}

/**
 * True when `result` is a value fetched no more than `maxAgeMs` before `now`.
 * A value kept beyond one cycle (to score with while a provider is down, say)
 * counts as missing once stale: use it only when this holds.
 */
export function isFresh(result: MetricResult, now: number, maxAgeMs: number): result is MetricValue {
  return result.ok && now - result.fetchedAt <= maxAgeMs;
}

function key(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}
