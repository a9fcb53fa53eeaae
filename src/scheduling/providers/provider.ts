import type {
  GlobalMetricsProvider,
  MetricsProvider as MetricsProviderObject,
} from "../../../gen/krake/core/v1/metrics_provider.js";

/**
 * A source of metric values, built from a (Global)MetricsProvider's spec.
 *
 * `query` asks the source for the current value of `metricName` (the name AT
 * the provider: a Metric's `spec.provider.metric`) and resolves with it as a
 * finite number. It does not check the value against a Metric's bounds: that
 * is the fetcher's job, since several Metrics may read one provider metric.
 *
 * It rejects with a MetricError: UNREACHABLE_METRICS_PROVIDER (92) when the
 * provider cannot be asked or does not answer (network, TLS, timeout, HTTP
 * error, a malformed body), INVALID_METRIC (91) when it answers without a
 * usable value for the metric. When `signal` aborts, it stops the request and
 * rejects with the signal's reason. Implementations hold no per-query state:
 * concurrent calls are fine.
 */
export interface MetricsProvider {
  query(metricName: string, signal?: AbortSignal): Promise<number>;
}

export interface ProviderOptions {
  /** Deadline of one query, connect to last byte. Krake's scheduler uses 20 s. */
  timeoutMs: number;
  /**
   * PEM CA certificates trusted for https provider URLs instead of Node's
   * default roots (a provider behind a private CA). http URLs ignore it.
   */
  ca?: string | Buffer;
  /** Answers longer than this fail as UNREACHABLE_METRICS_PROVIDER. */
  maxResponseBytes: number;
}

export const defaultProviderOptions: Readonly<ProviderOptions> = {
  timeoutMs: 20_000,
  maxResponseBytes: 8 * 1024 * 1024,
};

/** Fills defaults and rejects nonsense at startup (a programming or configuration error, thrown). */
export function providerOptions(options: Partial<ProviderOptions> = {}): ProviderOptions {
  const opts = { ...defaultProviderOptions, ...dropUndefined(options) };
  if (!(Number.isFinite(opts.timeoutMs) && opts.timeoutMs > 0)) {
    throw new Error(`metrics providers: timeoutMs must be a positive number of milliseconds, got ${opts.timeoutMs}`);
  }
  if (!(Number.isInteger(opts.maxResponseBytes) && opts.maxResponseBytes > 0)) {
    throw new Error(`metrics providers: maxResponseBytes must be a positive integer, got ${opts.maxResponseBytes}`);
  }
  return opts;
}

/** A namespaced or a global provider object: their specs are the same message. */
export type ProviderObject = MetricsProviderObject | GlobalMetricsProvider;

/**
 * How the provider is named in messages and in the queries counter:
 * `namespace/name` for a MetricsProvider, `name` for a GlobalMetricsProvider
 * (names never contain "/", so the two cannot collide).
 */
export function providerLabel(object: ProviderObject): string {
  const ns = object.metadata?.namespace ?? "";
  const name = object.metadata?.name ?? "";
  return ns ? `${ns}/${name}` : name;
}

function dropUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
}
