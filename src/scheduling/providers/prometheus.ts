import type { PrometheusSpec } from "../../../gen/krake/core/v1/metrics_provider.js";
import { MetricError } from "./errors.js";
import { exchange, expectSuccess, joinUrl, parseJson } from "./internal/http.js";
import { finiteNumber, isRecord } from "./internal/values.js";
import type { MetricsProvider, ProviderOptions } from "./provider.js";

/** One element of an instant vector in Prometheus' query API answer. */
interface VectorSample {
  metric?: Record<string, string>;
  value?: [number, string];
}

/**
 * Reads a metric through Prometheus' HTTP API, as Krake does:
 * `GET {url}/api/v1/query?query=<metric>`, then the value of the first sample
 * of the answer's vector whose `__name__` label equals the metric name. The
 * query is the bare metric name, so each series of that name is a candidate
 * and the first one wins; an expression whose result has no `__name__`
 * (`rate(x[5m])`, `sum(x)`) never matches, exactly like Krake.
 *
 * Failures (the codes Krake gives): a network error, the deadline, an HTTP
 * error status or a body that is not Prometheus' JSON envelope are
 * UNREACHABLE_METRICS_PROVIDER; no sample of that name, or a value that is not
 * a finite number ("NaN", "+Inf") is INVALID_METRIC. One deliberate refinement:
 * Prometheus rejecting the query itself (HTTP 400, `errorType: "bad_data"`, a
 * metric name that is no valid PromQL) is INVALID_METRIC, since the provider
 * did answer and the fault is the metric's; Krake reports it as unreachable.
 */
export class PrometheusProvider implements MetricsProvider {
  private readonly what: string;

  constructor(
    label: string,
    private readonly spec: PrometheusSpec,
    private readonly options: ProviderOptions,
  ) {
    this.what = `Prometheus provider "${label}"`;
  }

  async query(metricName: string, signal?: AbortSignal): Promise<number> {
    const url = joinUrl(this.spec.url, "api/v1/query");
    url.searchParams.set("query", metricName);
    const answer = await exchange(url, {
      method: "GET",
      headers: { accept: "application/json" },
      timeoutMs: this.options.timeoutMs,
      ca: this.options.ca,
      maxResponseBytes: this.options.maxResponseBytes,
      signal,
      what: this.what,
    });
    if (answer.status === 400 && answer.body.includes("bad_data")) {
      const body = tryJson(answer.body);
      if (isRecord(body) && body.errorType === "bad_data") {
        throw MetricError.invalid(`${this.what} rejected the query "${metricName}": ${String(body.error)}`);
      }
    }
    expectSuccess(answer, this.what);
    const body = parseJson(answer, this.what);
    if (!isRecord(body) || body.status !== "success" || !isRecord(body.data)) {
      throw MetricError.unreachable(`${this.what} answered without a successful query result`);
    }
    const data = body.data;
    const result = data.resultType === "vector" && Array.isArray(data.result) ? (data.result as unknown[]) : [];
    for (const item of result) {
      if (!isRecord(item)) continue;
      const sample = item as VectorSample;
      if (sample.metric?.__name__ !== metricName) continue;
      const value = finiteNumber(Array.isArray(sample.value) ? sample.value[1] : undefined);
      if (value === undefined) {
        throw MetricError.invalid(`${this.what}: metric "${metricName}" has no finite value (${JSON.stringify(sample.value)})`);
      }
      return value;
    }
    throw MetricError.invalid(`${this.what}: metric "${metricName}" is not in Prometheus' answer`);
  }
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
