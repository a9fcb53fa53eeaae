import { expect } from "chai";
import { Registry } from "prom-client";
import { GlobalMetric } from "../../../gen/krake/core/v1/metric.js";
import { GlobalMetricsProvider } from "../../../gen/krake/core/v1/metrics_provider.js";
import { Reason_Code } from "../../../gen/krake/core/v1/types.js";
import { ClusterStatus_State as State } from "../../../gen/krake/kubernetes/v1/cluster.js";
import { realClock } from "../../../src/client/clock.js";
import { MetricReadings, failingMetrics } from "../../../src/controllers/scheduler/metric-readings.js";
import type { MetricSources } from "../../../src/scheduling/providers/index.js";
import { buildCandidates } from "../../../src/scheduling/index.js";
import { cluster, globalCloud } from "../../scheduling/fixtures.js";

const sources: MetricSources = {
  globalProviders: [
    GlobalMetricsProvider.fromPartial({ metadata: { name: "static" }, spec: { type: "static", static: { metrics: { up: 0.5, high: 7 } } } }),
  ],
  globalMetrics: [
    GlobalMetric.fromPartial({ metadata: { name: "up" }, spec: { min: 0, max: 1, provider: { name: "static", metric: "up" } } }),
    GlobalMetric.fromPartial({ metadata: { name: "high" }, spec: { min: 0, max: 1, provider: { name: "static", metric: "high" } } }),
    GlobalMetric.fromPartial({ metadata: { name: "orphan" }, spec: { min: 0, max: 1, provider: { name: "gone", metric: "x" } } }),
  ],
};

function readings() {
  return new MetricReadings({ cycleMs: 0, clock: realClock, registry: new Registry(), providerOptions: {} });
}

describe("scheduler: metric readings", () => {
  const signal = new AbortController().signal;

  it("reads the metrics of every candidate, FAILING_METRICS and OFFLINE ones included (or they could never recover)", async () => {
    const candidates = buildCandidates([
      cluster("failing", { state: State.FAILING_METRICS, metrics: [["up", 1]] }),
      cluster("offline", { state: State.OFFLINE, metrics: [["high", 1]] }),
    ]);
    const { values, failures } = await readings().read(candidates, () => sources, signal);
    expect(values.get("up")).to.include({ value: 0.5 });
    expect(failures.get("high")?.code, "read, and out of [min, max]").to.equal(Reason_Code.INVALID_METRIC);
  });

  it("gives each candidate's failing metrics by name, with Krake's reason codes", async () => {
    const candidates = buildCandidates(
      [
        cluster("mixed", { metrics: [["up", 1], ["high", 1], ["missing", 1], ["orphan", 1]] }),
        cluster("fine", { metrics: [["up", 1]] }),
        // a namespaced metric inherited from a GlobalCloud cannot resolve: not queried, INVALID_METRIC
        cluster("inherits", { inheritMetrics: true, boundTo: { kind: "GlobalCloud", name: "os" } }),
      ],
      { globalClouds: [globalCloud("os", {}, [{ name: "power", weight: 1, namespaced: true }])] },
    );
    const read = await readings().read(candidates, () => sources, signal);
    const codes = candidates.map((c) => Object.entries(failingMetrics(c, read)).map(([name, r]) => [name, r.code]));
    expect(codes).to.deep.equal([
      [
        ["high", Reason_Code.INVALID_METRIC],
        ["missing", Reason_Code.UNKNOWN_METRIC],
        ["orphan", Reason_Code.UNKNOWN_METRICS_PROVIDER],
      ],
      [],
      [["power", Reason_Code.INVALID_METRIC]],
    ]);
    expect([...read.values.keys()].sort(), "the unresolvable reference was not queried").to.deep.equal(["high", "missing", "orphan", "up"]);
  });

  it("shares one candidate array's readings within a cycle, and reads again with the new objects once invalidate() ends it", async () => {
    const registry = new Registry();
    const r = new MetricReadings({ cycleMs: 60 * 60_000, clock: realClock, registry, providerOptions: {} });
    const queries = async () => {
      const text = await registry.getSingleMetricAsString("krake_scheduler_provider_queries_total");
      const samples = text.split("\n").filter((l) => l.startsWith("krake_scheduler_provider_queries_total{"));
      return samples.reduce((n, l) => n + Number(l.split(" ").pop()), 0);
    };
    let current = sources;
    const candidates = buildCandidates([cluster("c", { metrics: [["up", 1]] })]);
    const first = await r.read(candidates, () => current, signal);
    expect(await r.read(candidates, () => current, signal), "the same array: the same Readings").to.equal(first);
    const other = await r.read(buildCandidates([cluster("d", { metrics: [["up", 1]] })]), () => current, signal);
    expect(other).not.to.equal(first);
    expect(await queries(), "one query for the cycle, however many arrays").to.equal(1);

    current = { ...sources, globalProviders: [GlobalMetricsProvider.fromPartial({ metadata: { name: "static" }, spec: { type: "static", static: { metrics: { up: 0.75 } } } })] };
    expect((await r.read(candidates, () => current, signal)).values.get("up"), "still the cycle's objects").to.include({ value: 0.5 });
    r.invalidate();
    expect((await r.read(candidates, () => current, signal)).values.get("up")).to.include({ value: 0.75 });
    expect(await queries()).to.equal(2);
  });
});
