/**
 * The Kafka (KSQL) provider against a local HTTP server that follows ksqlDB's
 * documented `/query` endpoint (request body `{ksql, streamsProperties}`, a
 * JSON array answer: header, rows, optional final or error message): no
 * ksqlDB server runs in CI.
 */
import { expect } from "chai";
import { Reason_Code } from "../../../gen/krake/core/v1/types.js";
import { createMetricsProvider } from "../../../src/scheduling/providers/index.js";
import { expectMetricError } from "./support/expect.js";
import { json, startFixtureServer } from "./support/http-fixture.js";
import type { FixtureServer, Reply } from "./support/http-fixture.js";
import { globalProvider } from "./support/objects.js";

const { INVALID_METRIC, UNREACHABLE_METRICS_PROVIDER } = Reason_Code;
const KSQL = "application/vnd.ksql.v1+json";

function ksqlAnswer(...rows: unknown[]): Reply {
  return json([{ header: { queryId: "query_1764961190000", schema: "`VALUE` DOUBLE" } }, ...rows], 200, KSQL);
}

describe("scheduler metrics providers: Kafka/KSQL (documented API, local fixture server)", () => {
  let server: FixtureServer;
  afterEach(async () => {
    await server?.close();
  });

  const kafka = (url: string) =>
    createMetricsProvider(
      globalProvider("kafka-1", {
        type: "kafka",
        kafka: { url, table: "METRICS_TABLE", valueColumn: "VALUE", comparisonColumn: "METRIC_NAME" },
      }),
    );

  it("sends Krake's pull query to POST /query as ksqlDB documents it", async () => {
    server = await startFixtureServer(() => ksqlAnswer({ row: { columns: [0.42] } }));
    await kafka(server.url).query("heat_demand");
    expect(server.requests).to.have.length(1);
    const [req] = server.requests;
    expect(req!.method).to.equal("POST");
    expect(req!.path).to.equal("/query");
    expect(req!.headers.accept).to.equal(KSQL);
    expect(req!.headers["content-type"]).to.equal(KSQL);
    expect(JSON.parse(req!.body)).to.deep.equal({
      ksql: "SELECT VALUE FROM METRICS_TABLE WHERE METRIC_NAME = 'heat_demand';",
      streamsProperties: {},
    });
  });

  const values: Array<[string, unknown, number]> = [
    ["a DOUBLE column", 0.42, 0.42],
    ["a STRING column holding a number (as in Krake's tests)", "0.42", 0.42],
    ["an integer", 7, 7],
  ];
  for (const [what, column, expected] of values) {
    it(`returns body[1].row.columns[0]: ${what}`, async () => {
      server = await startFixtureServer(() => ksqlAnswer({ row: { columns: [column] } }, { finalMessage: "Query Completed" }));
      expect(await kafka(server.url).query("heat_demand")).to.equal(expected);
    });
  }

  it("fails with INVALID_METRIC (91) when no row matches the metric", async () => {
    server = await startFixtureServer(() => ksqlAnswer({ finalMessage: "Query Completed" }));
    const err = await expectMetricError(kafka(server.url).query("heat_demand"), INVALID_METRIC);
    expect(err.message).to.contain('has no row in table "METRICS_TABLE"');
  });

  it("fails with INVALID_METRIC when the value is null or not numeric", async () => {
    server = await startFixtureServer(() => ksqlAnswer({ row: { columns: [null] } }));
    await expectMetricError(kafka(server.url).query("heat_demand"), INVALID_METRIC);
    server.handler = () => ksqlAnswer({ row: { columns: ["warm"] } });
    await expectMetricError(kafka(server.url).query("heat_demand"), INVALID_METRIC);
  });

  it("fails with UNREACHABLE_METRICS_PROVIDER (92) when an errorMessage comes in place of the row", async () => {
    server = await startFixtureServer(() => ksqlAnswer({ row: null, errorMessage: "Query terminated" }));
    const err = await expectMetricError(kafka(server.url).query("heat_demand"), UNREACHABLE_METRICS_PROVIDER);
    expect(err.message).to.contain("Query terminated");
  });

  it("fails with 92 on a statement error (HTTP 400 with ksqlDB's error body)", async () => {
    server = await startFixtureServer(() =>
      json({ "@type": "statement_error", error_code: 40001, message: "METRICS_TABLE does not exist." }, 400, KSQL),
    );
    const err = await expectMetricError(kafka(server.url).query("heat_demand"), UNREACHABLE_METRICS_PROVIDER);
    expect(err.message).to.contain("answered HTTP 400").and.contain("METRICS_TABLE does not exist.");
  });

  it("fails with 92 when the answer is not a JSON array", async () => {
    server = await startFixtureServer(() => json({ rows: [] }, 200, KSQL));
    await expectMetricError(kafka(server.url).query("heat_demand"), UNREACHABLE_METRICS_PROVIDER);
  });
});
