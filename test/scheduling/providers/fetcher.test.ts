import { expect } from "chai";
import { Registry } from "prom-client";
import { Reason_Code } from "../../../gen/krake/core/v1/types.js";
import { FakeClock } from "../../../src/client/clock.js";
import {
  MetricsFetcher,
  checkValue,
  createMetricsProvider,
  defaultProviderOptions,
  isFresh,
  providerOptions,
} from "../../../src/scheduling/providers/index.js";
import type { MetricResult, MetricSources } from "../../../src/scheduling/providers/index.js";
import { expectMetricError, queriesCounted } from "./support/expect.js";
import { deadUrl, json, startFixtureServer } from "./support/http-fixture.js";
import type { FixtureServer } from "./support/http-fixture.js";
import { globalMetric, globalProvider, metric, prometheusSpec, provider, staticSpec } from "./support/objects.js";

const { INVALID_METRIC, UNREACHABLE_METRICS_PROVIDER, UNKNOWN_METRIC, UNKNOWN_METRICS_PROVIDER } = Reason_Code;

function reasonOf(result: MetricResult | undefined): number | undefined {
  return result && !result.ok ? result.reason.code : undefined;
}

describe("scheduler metrics providers: static", () => {
  const statics = createMetricsProvider(globalProvider("static-1", staticSpec({ heat: 0.4, cost: 7 })));

  it("returns the value of the spec's map", async () => {
    expect(await statics.query("heat")).to.equal(0.4);
    expect(await statics.query("cost")).to.equal(7);
  });

  it("fails with INVALID_METRIC (91) for a name the map does not have, including Object's own properties", async () => {
    const err = await expectMetricError(statics.query("humidity"), INVALID_METRIC);
    expect(err.message).to.equal('static provider "static-1": metric "humidity" is not defined');
    await expectMetricError(statics.query("constructor"), INVALID_METRIC);
  });
});

describe("scheduler metrics providers: createMetricsProvider", () => {
  it("gives a provider that fails with 92 for a spec without the variant its type names", async () => {
    const broken = createMetricsProvider(globalProvider("odd", { type: "influx" }));
    const err = await expectMetricError(broken.query("m"), UNREACHABLE_METRICS_PROVIDER);
    expect(err.message).to.equal('metrics provider "odd" has no usable "influx" spec');
  });

  it("fails with 92 when an answer is longer than maxResponseBytes", async () => {
    const server = await startFixtureServer(() => ({ status: 200, body: "x".repeat(64 * 1024) }));
    try {
      const prom = createMetricsProvider(globalProvider("prom", prometheusSpec(server.url)), { maxResponseBytes: 1024 });
      const err = await expectMetricError(prom.query("m"), UNREACHABLE_METRICS_PROVIDER);
      expect(err.message).to.equal('Prometheus provider "prom" sent more than 1024 bytes');
    } finally {
      await server.close();
    }
  });

  it("uses Krake's 20 s timeout by default and rejects a timeout that is not positive", () => {
    expect(defaultProviderOptions.timeoutMs).to.equal(20_000);
    expect(providerOptions({}).timeoutMs).to.equal(20_000);
    expect(() => providerOptions({ timeoutMs: 0 })).to.throw(/timeoutMs/);
    expect(() => new MetricsFetcher({}, { providerOptions: { timeoutMs: -1 } })).to.throw(/timeoutMs/);
  });
});

describe("scheduler metrics providers: MetricsFetcher", () => {
  let server: FixtureServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const globals: MetricSources = {
    globalMetrics: [globalMetric("heat", { provider: "static-g", metric: "heat" })],
    globalProviders: [globalProvider("static-g", staticSpec({ heat: 0.25 }))],
  };

  it("reads a namespaced Metric through the MetricsProvider of the resource's own namespace", async () => {
    const registry = new Registry();
    const fetcher = new MetricsFetcher(
      {
        metrics: [
          metric("team-a", "heat", { provider: "static", metric: "heat", max: 10 }),
          metric("team-b", "heat", { provider: "static", metric: "heat", max: 10 }),
        ],
        providers: [provider("team-a", "static", staticSpec({ heat: 2 })), provider("team-b", "static", staticSpec({ heat: 8 }))],
      },
      { registry },
    );
    const [a, b] = await Promise.all([
      fetcher.fetch({ name: "heat", namespaced: true }, "team-a"),
      fetcher.fetch({ name: "heat", namespaced: true }, "team-b"),
    ]);
    expect(a).to.include({ ok: true, metric: "heat", namespaced: true, value: 2, normalized: 0.2 });
    expect(b).to.include({ ok: true, value: 8, normalized: 0.8 });
    expect(await queriesCounted(registry, "team-a/static", "heat")).to.equal(1);
    expect(await queriesCounted(registry, "team-b/static", "heat")).to.equal(1);
  });

  it("fails with UNKNOWN_METRIC (93) when no Metric or GlobalMetric of that name exists", async () => {
    const fetcher = new MetricsFetcher(globals);
    const [global, namespaced] = await fetcher.fetchAll(
      [
        { name: "humidity", namespaced: false },
        { name: "heat", namespaced: true },
      ],
      "team-a",
    );
    expect(global).to.deep.equal({
      ok: false,
      metric: "humidity",
      namespaced: false,
      reason: { code: UNKNOWN_METRIC, message: 'The global metric "humidity" was not found.' },
    });
    expect(reasonOf(namespaced), "a GlobalMetric does not stand in for a namespaced Metric").to.equal(UNKNOWN_METRIC);
  });

  it("fails with UNKNOWN_METRICS_PROVIDER (94) when the metric's provider does not exist in the metric's scope", async () => {
    const fetcher = new MetricsFetcher({
      metrics: [metric("team-a", "heat", { provider: "static-g", metric: "heat" })],
      globalMetrics: [globalMetric("cost", { provider: "gone", metric: "cost" })],
      globalProviders: [globalProvider("static-g", staticSpec({ heat: 0.25 }))],
    });
    const [namespaced, global] = await fetcher.fetchAll([
      { name: "heat", namespaced: true },
      { name: "cost", namespaced: false },
    ], "team-a");
    expect(reasonOf(namespaced), "a namespaced Metric does not use a GlobalMetricsProvider").to.equal(UNKNOWN_METRICS_PROVIDER);
    expect(global).to.deep.include({
      reason: { code: UNKNOWN_METRICS_PROVIDER, message: 'The global metrics provider "gone" of the global metric "cost" was not found.' },
    });
    expect(fetcher.queryCount).to.equal(0);
  });

  it("fails with INVALID_METRIC (91) when a resource without a namespace names a namespaced metric", async () => {
    const result = await new MetricsFetcher(globals).fetch({ name: "heat", namespaced: true }, "");
    expect(reasonOf(result)).to.equal(INVALID_METRIC);
  });

  describe("checks the value against the Metric (Krake's normalize)", () => {
    const cases: Array<{ value: number; min: number; max: number; allowed?: number[]; normalized?: number; error?: string }> = [
      { value: 0, min: 0, max: 1, normalized: 0 },
      { value: 1, min: 0, max: 1, normalized: 1 },
      { value: 15, min: 10, max: 20, normalized: 0.5 },
      { value: 1.5, min: 0, max: 1, error: "1.5 out of range [0, 1]" },
      { value: -0.1, min: 0, max: 1, error: "-0.1 out of range [0, 1]" },
      { value: 0.5, min: 0, max: 1, allowed: [0.25, 0.5], normalized: 0.5 },
      { value: 0.3, min: 0, max: 1, allowed: [0.25, 0.5], error: "0.3 not in [0.25, 0.5]" },
      { value: 1, min: 1, max: 1, error: "unusable bounds" },
    ];
    for (const c of cases) {
      const title = `${c.value} in [${c.min}, ${c.max}]${c.allowed ? ` allowed ${c.allowed.join("/")}` : ""}`;
      it(`${title} → ${c.error ? "INVALID_METRIC" : c.normalized}`, async () => {
        const fetcher = new MetricsFetcher({
          globalMetrics: [globalMetric("m", { provider: "s", metric: "m", min: c.min, max: c.max, allowedValues: c.allowed ?? [] })],
          globalProviders: [globalProvider("s", staticSpec({ m: c.value }))],
        });
        const result = await fetcher.fetch({ name: "m", namespaced: false });
        if (c.error) {
          expect(reasonOf(result)).to.equal(INVALID_METRIC);
          expect(result.ok ? "" : result.reason.message).to.contain(c.error);
        } else {
          expect(result).to.include({ ok: true, value: c.value, normalized: c.normalized });
        }
        const direct = checkValue({ min: c.min, max: c.max, allowedValues: c.allowed ?? [], provider: undefined }, c.value);
        expect(typeof direct === "number" ? direct : "error").to.equal(c.error ? "error" : c.normalized);
      });
    }
  });

  it("shares one request in flight among concurrent fetches of the same provider metric", async () => {
    server = await startFixtureServer(() => ({
      ...json({ status: "success", data: { resultType: "vector", result: [{ metric: { __name__: "heat" }, value: [1, "0.5"] }] } }),
      delayMs: 100,
    }));
    const registry = new Registry();
    const fetcher = new MetricsFetcher(
      {
        globalMetrics: [globalMetric("heat", { provider: "prom", metric: "heat" }), globalMetric("heat-alias", { provider: "prom", metric: "heat" })],
        globalProviders: [globalProvider("prom", prometheusSpec(server.url))],
      },
      { registry },
    );
    const refs = [
      { name: "heat", namespaced: false },
      { name: "heat-alias", namespaced: false },
    ];
    const results = (await Promise.all([1, 2, 3].map(() => fetcher.fetchAll(refs)))).flat();
    expect(results.map((r) => r.ok && r.value)).to.deep.equal([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
    expect(server.requests, "requests the provider saw").to.have.length(1);
    expect(await queriesCounted(registry, "prom", "heat")).to.equal(1);
  });

  it("does not ask a failing provider again within the cycle", async () => {
    const fetcher = new MetricsFetcher({
      globalMetrics: [globalMetric("heat", { provider: "prom", metric: "heat" })],
      globalProviders: [globalProvider("prom", prometheusSpec(await deadUrl()))],
    });
    const first = await fetcher.fetch({ name: "heat", namespaced: false });
    const again = await fetcher.fetch({ name: "heat", namespaced: false });
    expect([reasonOf(first), reasonOf(again)]).to.deep.equal([UNREACHABLE_METRICS_PROVIDER, UNREACHABLE_METRICS_PROVIDER]);
    expect(fetcher.queryCount).to.equal(1);
  });

  it("turns a provider's unexpected exception into UNREACHABLE_METRICS_PROVIDER instead of failing the cycle", async () => {
    const fetcher = new MetricsFetcher(globals, {
      createProvider: () => ({
        query: () => Promise.reject(new TypeError("cannot read properties of undefined")),
      }),
    });
    const result = await fetcher.fetch({ name: "heat", namespaced: false });
    expect(result).to.deep.include({
      ok: false,
      reason: { code: UNREACHABLE_METRICS_PROVIDER, message: 'provider "static-g" failed: cannot read properties of undefined' },
    });
  });

  it("rejects pending fetches with the cycle's reason when the cycle's signal aborts", async () => {
    server = await startFixtureServer(() => "hold");
    const cycle = new AbortController();
    const fetcher = new MetricsFetcher(
      {
        globalMetrics: [globalMetric("heat", { provider: "prom", metric: "heat" })],
        globalProviders: [globalProvider("prom", prometheusSpec(server.url))],
      },
      { signal: cycle.signal },
    );
    const pending = [fetcher.fetch({ name: "heat", namespaced: false }), fetcher.fetch({ name: "heat", namespaced: false })];
    await server.received(1);
    const reason = new Error("leadership lost");
    cycle.abort(reason);
    const outcomes = await Promise.allSettled(pending);
    expect(outcomes.map((o) => (o.status === "rejected" ? o.reason : o.value))).to.deep.equal([reason, reason]);
  });

  describe("staleness", () => {
    it("stamps fetchedAt with the clock; a value counts only while no older than the bound", async () => {
      const clock = new FakeClock(1_000_000);
      const result = await new MetricsFetcher(globals, { clock }).fetch({ name: "heat", namespaced: false });
      expect(result).to.include({ ok: true, fetchedAt: 1_000_000 });
      expect(isFresh(result, 1_000_000, 30_000)).to.equal(true);
      clock.step(30_000);
      expect(isFresh(result, clock.now(), 30_000), "at the bound").to.equal(true);
      clock.step(1);
      expect(isFresh(result, clock.now(), 30_000), "past the bound: missing").to.equal(false);
    });

    it("never counts a failure as fresh", async () => {
      const result = await new MetricsFetcher(globals).fetch({ name: "nope", namespaced: false });
      expect(isFresh(result, Date.now(), Number.POSITIVE_INFINITY)).to.equal(false);
    });
  });
});
