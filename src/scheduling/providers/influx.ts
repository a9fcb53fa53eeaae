import type { InfluxSpec } from "../../../gen/krake/core/v1/metrics_provider.js";
import { MetricError } from "./errors.js";
import { parseAnnotatedCsv } from "./internal/annotated-csv.js";
import { exchange, expectSuccess, joinUrl, snippet } from "./internal/http.js";
import { finiteNumber } from "./internal/values.js";
import type { MetricsProvider, ProviderOptions } from "./provider.js";

/**
 * Reads a metric from an InfluxDB 2 bucket with Krake's Flux query, the last
 * point of the measurement named like the metric within the past hour:
 *
 *   from(bucket: "<bucket>") |> range(start: -1h)
 *     |> filter(fn: (r) => r._measurement == "<metric>") |> last()
 *
 * over InfluxDB 2's query API: `POST {url}/api/v2/query?org=<org>` with
 * `Authorization: Token <token>`, `Accept: application/csv` and a JSON body
 * `{query, type: "flux", dialect}` whose dialect asks for the annotated CSV
 * (`#datatype`, `#group`, `#default` rows), the form InfluxDB's client
 * libraries request. The value is `_value` of the first record, as in Krake.
 *
 * Failures: network, deadline, an HTTP error status, or an error table in the
 * CSV are UNREACHABLE_METRICS_PROVIDER; no record (no point in the past hour)
 * or a `_value` that is not a finite number are INVALID_METRIC.
 *
 * Tested against a local HTTP fixture that follows InfluxDB's documented
 * request and answer formats; no InfluxDB server runs in CI.
 */
export class InfluxProvider implements MetricsProvider {
  private readonly what: string;

  constructor(
    label: string,
    private readonly spec: InfluxSpec,
    private readonly options: ProviderOptions,
  ) {
    this.what = `InfluxDB provider "${label}"`;
  }

  async query(metricName: string, signal?: AbortSignal): Promise<number> {
    const url = joinUrl(this.spec.url, "api/v2/query");
    url.searchParams.set("org", this.spec.org);
    const answer = await exchange(url, {
      method: "POST",
      headers: {
        authorization: `Token ${this.spec.token}`,
        accept: "application/csv",
        "content-type": "application/json",
      },
      body: JSON.stringify(influxQueryBody(this.spec.bucket, metricName)),
      timeoutMs: this.options.timeoutMs,
      ca: this.options.ca,
      maxResponseBytes: this.options.maxResponseBytes,
      signal,
      what: this.what,
    });
    expectSuccess(answer, this.what);
    const tables = parseAnnotatedCsv(answer.body);
    const failed = tables.find((t) => t.columns.includes("error"));
    if (failed) {
      const message = failed.records[0]?.error ?? "";
      throw MetricError.unreachable(`${this.what} failed to run the query${snippet(message)}`);
    }
    for (const table of tables) {
      const record = table.records[0];
      if (!record || !("_value" in record)) continue;
      const value = finiteNumber(record._value);
      if (value === undefined) {
        throw MetricError.invalid(`${this.what}: metric "${metricName}" has no finite value (${JSON.stringify(record._value)})`);
      }
      return value;
    }
    throw MetricError.invalid(`${this.what}: metric "${metricName}" has no point in bucket "${this.spec.bucket}" within the past hour`);
  }
}

/** The Flux query for the last point of measurement `metric` in `bucket` within the past hour. */
export function fluxQuery(bucket: string, metric: string): string {
  return (
    `from(bucket: ${fluxString(bucket)}) |> range(start: -1h) ` +
    `|> filter(fn: (r) => r._measurement == ${fluxString(metric)}) |> last()`
  );
}

/** The JSON body of `POST /api/v2/query`: the Flux query and the annotated CSV dialect. */
export function influxQueryBody(bucket: string, metric: string): unknown {
  return {
    query: fluxQuery(bucket, metric),
    type: "flux",
    dialect: {
      header: true,
      delimiter: ",",
      annotations: ["datatype", "group", "default"],
      commentPrefix: "#",
      dateTimeFormat: "RFC3339",
    },
  };
}

/** A Flux string literal: `\` and `"` escaped, and `${`, which would start interpolation. */
function fluxString(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\$\{/g, "\\${")}"`;
}
