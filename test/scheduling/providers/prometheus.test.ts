import { expect } from "chai";
import { readFileSync } from "node:fs";
import { Registry } from "prom-client";
import { Cluster } from "../../../gen/krake/kubernetes/v1/cluster.js";
import { Reason_Code } from "../../../gen/krake/core/v1/types.js";
import { MetricError, MetricsFetcher, createMetricsProvider } from "../../../src/scheduling/providers/index.js";
import { makePki } from "../../controller/support/certs.js";
import type { Pki } from "../../controller/support/certs.js";
import { startPrometheus } from "../../fixtures/prometheus.js";
import type { PrometheusStack } from "../../fixtures/prometheus.js";
import { eventually, expectMetricError, queriesCounted } from "./support/expect.js";
import { deadUrl, json, startFixtureServer } from "./support/http-fixture.js";
import type { FixtureServer } from "./support/http-fixture.js";
import { globalMetric, globalProvider, prometheusSpec } from "./support/objects.js";

const { INVALID_METRIC, UNREACHABLE_METRICS_PROVIDER } = Reason_Code;

/** What Prometheus answers for an instant query of `name` with one series. */
function vectorAnswer(name: string, value: string) {
  return json({ status: "success", data: { resultType: "vector", result: [{ metric: { __name__: name, job: "x" }, value: [1, value] }] } });
}

describe("scheduler metrics providers: Prometheus, against a real Prometheus and Pushgateway", function () {
  this.timeout(60_000);
  let stack: PrometheusStack;

  before(async () => {
    stack = await startPrometheus();
  });

  after(async () => {
    await stack?.stop();
  });

  const prometheus = (url = stack.prometheusUrl, timeoutMs?: number) =>
    createMetricsProvider(globalProvider("prom", prometheusSpec(url)), { timeoutMs });

  it("returns the value pushed to the Pushgateway, once Prometheus has scraped it", async () => {
    await stack.set("krake_test_heat", 0.42);
    expect(await prometheus().query("krake_test_heat")).to.equal(0.42);
  });

  it("follows a change of the pushed value", async () => {
    await stack.set("krake_test_load", 0.1);
    expect(await prometheus().query("krake_test_load")).to.equal(0.1);
    await stack.set("krake_test_load", 0.9);
    expect(await prometheus().query("krake_test_load")).to.equal(0.9);
  });

  it("works with a URL that ends in a slash", async () => {
    await stack.set("krake_test_slash", 3);
    expect(await prometheus(`${stack.prometheusUrl}/`).query("krake_test_slash")).to.equal(3);
  });

  it("fails with INVALID_METRIC (91) for a metric Prometheus does not have", async () => {
    const err = await expectMetricError(prometheus().query("krake_test_never_pushed"), INVALID_METRIC);
    expect(err.message).to.contain("krake_test_never_pushed").and.contain("not in Prometheus' answer");
  });

  it("fails with INVALID_METRIC for a name Prometheus rejects as a query (HTTP 400, bad_data)", async () => {
    const err = await expectMetricError(prometheus().query("krake test{"), INVALID_METRIC);
    expect(err.message).to.contain("rejected the query");
  });

  it("fails with INVALID_METRIC when the value is not a finite number", async () => {
    await stack.set("krake_test_nan", NaN);
    const err = await expectMetricError(prometheus().query("krake_test_nan"), INVALID_METRIC);
    expect(err.message).to.contain("no finite value");
  });

  it("fails with UNREACHABLE_METRICS_PROVIDER (92) when nothing listens at the URL", async () => {
    const err = await expectMetricError(prometheus(await deadUrl()).query("krake_test_heat"), UNREACHABLE_METRICS_PROVIDER);
    expect(err.message).to.contain('Prometheus provider "prom" could not be queried').and.contain("ECONNREFUSED");
  });

  describe("against local servers", () => {
    let server: FixtureServer | undefined;
    afterEach(async () => {
      await server?.close();
      server = undefined;
    });

    it("honours the timeout: a provider that never answers fails with 92 and the request is dropped", async () => {
      server = await startFixtureServer(() => "hold");
      const err = await expectMetricError(prometheus(server.url, 200).query("krake_test_heat"), UNREACHABLE_METRICS_PROVIDER);
      expect(err.message).to.equal('Prometheus provider "prom" did not answer within 200 ms');
      expect(server.requests.map((r) => `${r.method} ${r.path}?${r.query}`)).to.deep.equal(["GET /api/v1/query?query=krake_test_heat"]);
      await eventually(() => server!.abandoned === 1, "the provider closed the connection");
    });

    it("stops when the caller's signal aborts, rejecting with the caller's reason rather than a MetricError", async () => {
      server = await startFixtureServer(() => "hold");
      const cycle = new AbortController();
      const pending = prometheus(server.url).query("krake_test_heat", cycle.signal);
      await server.received(1);
      const reason = new Error("cycle cancelled");
      cycle.abort(reason);
      const caught = await pending.then(() => undefined, (err: unknown) => err);
      expect(caught).to.equal(reason);
      await eventually(() => server!.abandoned === 1, "the provider closed the connection");
    });

    it("fails with 92 on an HTTP error status", async () => {
      server = await startFixtureServer(() => ({ status: 503, body: "overloaded" }));
      const err = await expectMetricError(prometheus(server.url).query("m"), UNREACHABLE_METRICS_PROVIDER);
      expect(err.message).to.equal('Prometheus provider "prom" answered HTTP 503: overloaded');
    });

    it("fails with 92 on a body that is not Prometheus' JSON", async () => {
      server = await startFixtureServer(() => ({ status: 200, body: "<html>proxy login</html>" }));
      await expectMetricError(prometheus(server.url).query("m"), UNREACHABLE_METRICS_PROVIDER);
    });

    it("takes the first sample whose __name__ is the metric, skipping others and series without a name", async () => {
      server = await startFixtureServer(() =>
        json({
          status: "success",
          data: {
            resultType: "vector",
            result: [
              { metric: {}, value: [1, "7"] },
              { metric: { __name__: "other" }, value: [1, "8"] },
              { metric: { __name__: "m", instance: "a" }, value: [1, "0.25"] },
              { metric: { __name__: "m", instance: "b" }, value: [1, "0.75"] },
            ],
          },
        }),
      );
      expect(await prometheus(server.url).query("m")).to.equal(0.25);
    });

    describe("over https", () => {
      let pki: Pki;
      before(() => {
        pki = makePki();
      });
      after(() => pki.remove());

      it("reads the value when given the CA that signed the provider's certificate", async () => {
        server = await startFixtureServer(() => vectorAnswer("m", "0.5"), {
          tls: { cert: readFileSync(pki.serverCert), key: readFileSync(pki.serverKey) },
        });
        const provider = createMetricsProvider(globalProvider("prom", prometheusSpec(server.url)), { ca: readFileSync(pki.ca) });
        expect(server.url).to.match(/^https:/);
        expect(await provider.query("m")).to.equal(0.5);
      });

      it("fails with 92 when the provider's certificate is not trusted", async () => {
        server = await startFixtureServer(() => vectorAnswer("m", "0.5"), {
          tls: { cert: readFileSync(pki.serverCert), key: readFileSync(pki.serverKey) },
        });
        const err = await expectMetricError(prometheus(server.url).query("m"), UNREACHABLE_METRICS_PROVIDER);
        expect(err.message).to.match(/certificate/i);
      });
    });
  });

  describe("MetricsFetcher with a Prometheus provider", () => {
    const clusters = ["c1", "c2", "c3"].map((name) =>
      Cluster.fromPartial({ metadata: { name, namespace: "team-a" }, spec: { metrics: [{ name: "heat", weight: 1, namespaced: false }] } }),
    );
    const apps = ["app-1", "app-2"];

    it("queries a metric once per cycle, however many applications and clusters refer to it", async () => {
      const registry = new Registry();
      const sources = {
        globalMetrics: [globalMetric("heat", { provider: "prom", metric: "krake_test_fetch_heat", min: 0, max: 10 })],
        globalProviders: [globalProvider("prom", prometheusSpec(stack.prometheusUrl))],
      };
      const cycle = async () => {
        const fetcher = new MetricsFetcher(sources, { registry });
        // each application's scheduling looks at every cluster, all at once
        const perPair = await Promise.all(
          apps.flatMap(() => clusters.map((c) => fetcher.fetchAll(c.spec!.metrics, c.metadata!.namespace))),
        );
        expect(fetcher.queryCount).to.equal(1);
        return perPair.flat();
      };

      await stack.set("krake_test_fetch_heat", 5);
      const first = await cycle();
      expect(first).to.have.length(6);
      for (const r of first) expect(r).to.include({ ok: true, metric: "heat", value: 5, normalized: 0.5 });
      expect(await queriesCounted(registry, "prom", "krake_test_fetch_heat")).to.equal(1);

      await stack.set("krake_test_fetch_heat", 7.5);
      const second = await cycle();
      for (const r of second) expect(r).to.include({ ok: true, value: 7.5, normalized: 0.75 });
      expect(await queriesCounted(registry, "prom", "krake_test_fetch_heat"), "one more query for the second cycle").to.equal(2);
    });

    it("checks each Metric against its own bounds: one query, and INVALID_METRIC only where the value is out of range", async () => {
      const registry = new Registry();
      await stack.set("krake_test_fetch_load", 5);
      const fetcher = new MetricsFetcher(
        {
          globalMetrics: [
            globalMetric("load-wide", { provider: "prom", metric: "krake_test_fetch_load", min: 0, max: 100 }),
            globalMetric("load-narrow", { provider: "prom", metric: "krake_test_fetch_load", min: 0, max: 1 }),
          ],
          globalProviders: [globalProvider("prom", prometheusSpec(stack.prometheusUrl))],
        },
        { registry },
      );
      const [wide, narrow] = await fetcher.fetchAll([
        { name: "load-wide", namespaced: false },
        { name: "load-narrow", namespaced: false },
      ]);
      expect(wide).to.include({ ok: true, value: 5, normalized: 0.05 });
      expect(narrow).to.deep.equal({
        ok: false,
        metric: "load-narrow",
        namespaced: false,
        reason: { code: INVALID_METRIC, message: 'Invalid metric value for the global metric "load-narrow": 5 out of range [0, 1].' },
      });
      expect(await queriesCounted(registry, "prom", "krake_test_fetch_load")).to.equal(1);
    });

    it("reports an unreachable Prometheus as UNREACHABLE_METRICS_PROVIDER for every metric on it", async () => {
      const fetcher = new MetricsFetcher({
        globalMetrics: [globalMetric("heat", { provider: "prom", metric: "krake_test_fetch_heat" })],
        globalProviders: [globalProvider("prom", prometheusSpec(await deadUrl()))],
      });
      const results = await Promise.all(clusters.map((c) => fetcher.fetchAll(c.spec!.metrics, "team-a")));
      for (const [r] of results) {
        expect(r?.ok).to.equal(false);
        if (r && !r.ok) expect(r.reason.code).to.equal(UNREACHABLE_METRICS_PROVIDER);
      }
      expect(fetcher.queryCount).to.equal(1);
    });
  });

  it("keeps MetricError's code and message in a Reason", () => {
    expect(MetricError.invalid("x").toReason()).to.deep.equal({ code: INVALID_METRIC, message: "x" });
  });
});
