import type { KafkaSpec } from "../../../gen/krake/core/v1/metrics_provider.js";
import { MetricError } from "./errors.js";
import { exchange, expectSuccess, joinUrl, parseJson } from "./internal/http.js";
import { finiteNumber, isRecord } from "./internal/values.js";
import type { MetricsProvider, ProviderOptions } from "./provider.js";

const KSQL_MEDIA_TYPE = "application/vnd.ksql.v1+json";

/**
 * Reads a metric from a KSQL table as Krake does: the row whose
 * `comparison_column` equals the metric name, column `value_column`:
 *
 *   POST {url}/query
 *   {"ksql": "SELECT <value_column> FROM <table> WHERE <comparison_column> = '<metric>';",
 *    "streamsProperties": {}}
 *
 * with ksqlDB's media type in Accept and Content-Type. ksqlDB answers a JSON
 * array: a `header` object (query id, schema), then one `{row: {columns}}`
 * per row, possibly ended by `finalMessage` or `errorMessage`. The value is
 * `body[1].row.columns[0]`, a number or a numeric string.
 *
 * Failures: network, deadline, an HTTP error status (ksqlDB's statement
 * errors are 4xx), a body that is not a JSON array, or an `errorMessage` in
 * place of the row are UNREACHABLE_METRICS_PROVIDER; no row for the metric, or
 * a value that is not a finite number, are INVALID_METRIC.
 *
 * Tested against a local HTTP fixture that follows ksqlDB's documented
 * request and answer formats; no ksqlDB server runs in CI.
 */
export class KafkaProvider implements MetricsProvider {
  private readonly what: string;

  constructor(
    label: string,
    private readonly spec: KafkaSpec,
    private readonly options: ProviderOptions,
  ) {
    this.what = `KSQL provider "${label}"`;
  }

  async query(metricName: string, signal?: AbortSignal): Promise<number> {
    const answer = await exchange(joinUrl(this.spec.url, "query"), {
      method: "POST",
      headers: { accept: KSQL_MEDIA_TYPE, "content-type": KSQL_MEDIA_TYPE },
      body: JSON.stringify(ksqlQueryBody(this.spec, metricName)),
      timeoutMs: this.options.timeoutMs,
      ca: this.options.ca,
      maxResponseBytes: this.options.maxResponseBytes,
      signal,
      what: this.what,
    });
    expectSuccess(answer, this.what);
    const body = parseJson(answer, this.what);
    if (!Array.isArray(body)) throw MetricError.unreachable(`${this.what} answered with something other than a JSON array`);
    const second: unknown = body[1];
    if (isRecord(second) && typeof second.errorMessage === "string") {
      throw MetricError.unreachable(`${this.what} failed to run the query: ${second.errorMessage}`);
    }
    const row = isRecord(second) && isRecord(second.row) ? second.row : undefined;
    if (!row || !Array.isArray(row.columns) || row.columns.length === 0) {
      throw MetricError.invalid(`${this.what}: metric "${metricName}" has no row in table "${this.spec.table}"`);
    }
    const value = finiteNumber(row.columns[0]);
    if (value === undefined) {
      throw MetricError.invalid(`${this.what}: metric "${metricName}" has no finite value (${JSON.stringify(row.columns[0])})`);
    }
    return value;
  }
}

/** The body of `POST /query` for `metric`. The metric is a KSQL string literal (a `'` is doubled). */
export function ksqlQueryBody(spec: Pick<KafkaSpec, "valueColumn" | "table" | "comparisonColumn">, metric: string): unknown {
  const literal = `'${metric.replace(/'/g, "''")}'`;
  return {
    ksql: `SELECT ${spec.valueColumn} FROM ${spec.table} WHERE ${spec.comparisonColumn} = ${literal};`,
    streamsProperties: {},
  };
}
