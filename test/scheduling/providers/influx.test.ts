/**
 * The InfluxDB 2 provider against a local HTTP server that follows InfluxDB's
 * documented query API (POST /api/v2/query, Token auth, JSON query body with a
 * dialect, annotated CSV answers): no InfluxDB server runs in CI.
 */
import { expect } from "chai";
import { Reason_Code } from "../../../gen/krake/core/v1/types.js";
import { createMetricsProvider } from "../../../src/scheduling/providers/index.js";
import { parseAnnotatedCsv } from "../../../src/scheduling/providers/internal/annotated-csv.js";
import type { CsvTable } from "../../../src/scheduling/providers/internal/annotated-csv.js";
import { expectMetricError } from "./support/expect.js";
import { startFixtureServer } from "./support/http-fixture.js";
import type { FixtureServer, Reply } from "./support/http-fixture.js";
import { globalProvider } from "./support/objects.js";

const { INVALID_METRIC, UNREACHABLE_METRICS_PROVIDER } = Reason_Code;

/** InfluxDB answers CSV with CRLF line ends. */
function csv(...lines: string[]): Reply {
  return { status: 200, headers: { "content-type": "text/csv; charset=utf-8" }, body: `${lines.join("\r\n")}\r\n\r\n` };
}

/** The annotated CSV of `last()` over one series, as InfluxDB 2 sends it. */
function lastPoint(value: string, measurement = "heat_demand"): Reply {
  return csv(
    "#group,false,false,true,true,false,false,true,true,true",
    "#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,double,string,string,string",
    "#default,_result,,,,,,,,",
    ",result,table,_start,_stop,_time,_value,_field,_measurement,host",
    `,,0,2026-12-05T19:00:00Z,2026-12-05T20:00:00Z,2026-12-05T19:59:50Z,${value},value,${measurement},edge-1`,
  );
}

describe("scheduler metrics providers: InfluxDB 2 (documented API, local fixture server)", () => {
  let server: FixtureServer;
  afterEach(async () => {
    await server?.close();
  });

  const influx = (url: string) =>
    createMetricsProvider(
      globalProvider("influx-1", { type: "influx", influx: { url, token: "s3cr3t-token", org: "my org", bucket: "metrics" } }),
    );

  it("sends Krake's Flux query as InfluxDB 2's query API documents it", async () => {
    server = await startFixtureServer(() => lastPoint("0.42"));
    await influx(`${server.url}/`).query("heat_demand");
    expect(server.requests).to.have.length(1);
    const [req] = server.requests;
    expect(req!.method).to.equal("POST");
    expect(req!.path).to.equal("/api/v2/query");
    expect([...req!.query]).to.deep.equal([["org", "my org"]]);
    expect(req!.headers.authorization).to.equal("Token s3cr3t-token");
    expect(req!.headers.accept).to.equal("application/csv");
    expect(req!.headers["content-type"]).to.equal("application/json");
    expect(JSON.parse(req!.body)).to.deep.equal({
      query: 'from(bucket: "metrics") |> range(start: -1h) |> filter(fn: (r) => r._measurement == "heat_demand") |> last()',
      type: "flux",
      dialect: {
        header: true,
        delimiter: ",",
        annotations: ["datatype", "group", "default"],
        commentPrefix: "#",
        dateTimeFormat: "RFC3339",
      },
    });
  });

  it("returns _value of the last point", async () => {
    server = await startFixtureServer(() => lastPoint("0.42"));
    expect(await influx(server.url).query("heat_demand")).to.equal(0.42);
  });

  it("takes the first record when last() returns one table per series", async () => {
    server = await startFixtureServer(() =>
      csv(
        "#group,false,false,true,true,false,false,true,true,true",
        "#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,long,string,string,string",
        "#default,_result,,,,,,,,",
        ",result,table,_start,_stop,_time,_value,_field,_measurement,host",
        ",,0,2026-12-05T19:00:00Z,2026-12-05T20:00:00Z,2026-12-05T19:59:50Z,17,value,heat_demand,a",
        ",,1,2026-12-05T19:00:00Z,2026-12-05T20:00:00Z,2026-12-05T19:59:55Z,23,value,heat_demand,b",
      ),
    );
    expect(await influx(server.url).query("heat_demand")).to.equal(17);
  });

  it("fails with INVALID_METRIC (91) when the measurement has no point within the hour (an empty answer)", async () => {
    server = await startFixtureServer(() => ({ status: 200, headers: { "content-type": "text/csv; charset=utf-8" }, body: "\r\n" }));
    const err = await expectMetricError(influx(server.url).query("heat_demand"), INVALID_METRIC);
    expect(err.message).to.contain('has no point in bucket "metrics" within the past hour');
  });

  it("fails with INVALID_METRIC when _value is not a number", async () => {
    server = await startFixtureServer(() => lastPoint('"warm"'));
    await expectMetricError(influx(server.url).query("heat_demand"), INVALID_METRIC);
  });

  it("fails with UNREACHABLE_METRICS_PROVIDER (92) on an error table in the answer", async () => {
    server = await startFixtureServer(() =>
      csv("#datatype,string,string", "#group,true,true", "#default,,", ",error,reference", ',"panic: runtime error, in ""last""",897'),
    );
    const err = await expectMetricError(influx(server.url).query("heat_demand"), UNREACHABLE_METRICS_PROVIDER);
    expect(err.message).to.contain('panic: runtime error, in "last"');
  });

  for (const [status, code, message] of [
    [401, "unauthorized", "unauthorized access"],
    [404, "not found", 'failed to initialize execute state: could not find bucket "metrics"'],
  ] as const) {
    it(`fails with 92 on HTTP ${status} (InfluxDB's JSON error)`, async () => {
      server = await startFixtureServer(() => ({
        status,
        headers: { "content-type": "application/json; charset=utf-8" },
        body: JSON.stringify({ code, message }),
      }));
      const err = await expectMetricError(influx(server.url).query("heat_demand"), UNREACHABLE_METRICS_PROVIDER);
      expect(err.message).to.contain(`answered HTTP ${status}`).and.contain(message);
    });
  }
});

describe("scheduler metrics providers: annotated CSV", () => {
  const cases: Array<{ name: string; text: string; tables: CsvTable[] }> = [
    {
      name: "annotations, header and records; #default fills empty cells",
      text: "#datatype,string,long,double\r\n#group,false,false,false\r\n#default,_result,,\r\n,result,table,_value\r\n,,0,1.5\r\n,,0,\r\n",
      tables: [
        {
          columns: ["result", "table", "_value"],
          datatypes: ["string", "long", "double"],
          records: [
            { result: "_result", table: "0", _value: "1.5" },
            { result: "_result", table: "0", _value: "" },
          ],
        },
      ],
    },
    {
      name: "plain CSV without annotations, LF line ends",
      text: ",result,table,_value\n,_result,0,2\n",
      tables: [{ columns: ["result", "table", "_value"], datatypes: ["", "", ""], records: [{ result: "_result", table: "0", _value: "2" }] }],
    },
    {
      name: "quoted fields with a comma, a doubled quote and a line break",
      text: ',a,b\r\n,"x,y","say ""hi""\r\nbye"\r\n',
      tables: [{ columns: ["a", "b"], datatypes: ["", ""], records: [{ a: "x,y", b: 'say "hi"\r\nbye' }] }],
    },
    {
      name: "tables separated by an empty line, each with its own annotations",
      text: "#datatype,long\r\n,n\r\n,1\r\n\r\n#datatype,string\r\n,s\r\n,x\r\n\r\n",
      tables: [
        { columns: ["n"], datatypes: ["long"], records: [{ n: "1" }] },
        { columns: ["s"], datatypes: ["string"], records: [{ s: "x" }] },
      ],
    },
    {
      name: "an annotation row right after records starts a new table",
      text: "#datatype,long\n,n\n,1\n#datatype,double\n,m\n,2.5\n",
      tables: [
        { columns: ["n"], datatypes: ["long"], records: [{ n: "1" }] },
        { columns: ["m"], datatypes: ["double"], records: [{ m: "2.5" }] },
      ],
    },
    { name: "an empty answer", text: "\r\n", tables: [] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(parseAnnotatedCsv(c.text)).to.deep.equal(c.tables);
    });
  }
});
