import { expect } from "chai";
import { buildCandidates, evaluateMetric, metricKey } from "../../src/scheduling/index.js";
import { cloud, cluster, globalCloud, NS, reading, T0, values } from "./fixtures.js";

describe("scheduling: candidates", () => {
  const clouds = {
    clouds: [cloud("os-1", { location: "DE", provider: "os" }, [{ name: "green", weight: 2, namespaced: true }])],
    globalClouds: [globalCloud("g-1", { location: "FR", tier: "gold" }, [{ name: "latency", weight: 1, namespaced: false }])],
  };

  it("names a cluster as its binding does", () => {
    const [c] = buildCandidates([cluster("a")]);
    expect(c?.ref).to.deep.equal({ api: "kubernetes", kind: "Cluster", namespace: NS, name: "a" });
    expect(c?.uid).to.equal(`uid-${NS}-a`);
  });

  it("inherits the bound Cloud's labels when metadata.inherit_labels is set; the cluster's own value wins", () => {
    const [c] = buildCandidates(
      [cluster("a", { labels: { location: "AT" }, inheritLabels: true, boundTo: { kind: "Cloud", name: "os-1" } })],
      clouds,
    );
    expect(c?.labels).to.deep.equal({ location: "AT", provider: "os" });
    expect(c?.inheritedLabels).to.deep.equal(["provider"]);
    expect(c?.cloud).to.include({ kind: "Cloud", name: "os-1" });
    expect(c?.cloudFound).to.equal(true);
  });

  it("inherits a GlobalCloud's labels", () => {
    const [c] = buildCandidates([cluster("a", { inheritLabels: true, boundTo: { kind: "GlobalCloud", name: "g-1" } })], clouds);
    expect(c?.labels).to.deep.equal({ location: "FR", tier: "gold" });
  });

  it("inherits nothing without the flags", () => {
    const [c] = buildCandidates([cluster("a", { labels: { x: "1" }, boundTo: { kind: "Cloud", name: "os-1" } })], clouds);
    expect(c?.labels).to.deep.equal({ x: "1" });
    expect(c?.metrics).to.deep.equal([]);
  });

  it("inherits the cloud's metric references when spec.inherit_metrics is set, after its own, without duplicates", () => {
    const [c] = buildCandidates(
      [
        cluster("a", {
          inheritMetrics: true,
          metrics: [
            ["latency", 5],
            ["cost", 1],
          ],
          boundTo: { kind: "GlobalCloud", name: "g-1" },
        }),
      ],
      clouds,
    );
    expect(c?.metrics).to.deep.equal([
      { name: "latency", weight: 5, namespaced: false, key: "latency", source: "cluster" },
      { name: "cost", weight: 1, namespaced: false, key: "cost", source: "cluster" },
    ]);
  });

  it("resolves a namespaced metric inherited from a Cloud in the cloud's namespace", () => {
    const [c] = buildCandidates([cluster("a", { inheritMetrics: true, boundTo: { kind: "Cloud", name: "os-1" } })], clouds);
    expect(c?.metrics).to.deep.equal([{ name: "green", weight: 2, namespaced: true, key: `${NS}/green`, source: "cloud" }]);
  });

  it("leaves a namespaced metric of a GlobalCloud unresolved, and evaluates it as invalid", () => {
    const bad = { clouds: [], globalClouds: [globalCloud("g-2", {}, [{ name: "green", weight: 1, namespaced: true }])] };
    const [c] = buildCandidates([cluster("a", { inheritMetrics: true, boundTo: { kind: "GlobalCloud", name: "g-2" } })], bad);
    expect(c?.metrics[0]?.key).to.equal(undefined);
    const evaluation = evaluateMetric(c!.metrics[0]!, values({}), T0, 60_000);
    expect(evaluation.status).to.equal("invalid");
  });

  it("inherits nothing from a cloud it cannot find, and says so", () => {
    const [c] = buildCandidates(
      [cluster("a", { inheritLabels: true, inheritMetrics: true, boundTo: { kind: "Cloud", name: "gone" } })],
      clouds,
    );
    expect(c?.labels).to.deep.equal({});
    expect(c?.cloudFound).to.equal(false);
  });

  it("keys metrics: a GlobalMetric by name, a Metric by namespace/name", () => {
    expect(metricKey("load", false, NS)).to.equal("load");
    expect(metricKey("load", true, NS)).to.equal(`${NS}/load`);
    expect(metricKey("load", true, "")).to.equal(undefined);
  });

  it("evaluates inherited metric values like the cluster's own", () => {
    const [c] = buildCandidates([cluster("a", { inheritMetrics: true, boundTo: { kind: "GlobalCloud", name: "g-1" } })], clouds);
    const evaluation = evaluateMetric(c!.metrics[0]!, values({ latency: reading(0.25) }), T0, 60_000);
    expect(evaluation).to.include({ name: "latency", status: "ok", value: 0.25, normalized: 0.25 });
  });
});

describe("scheduling: metric evaluation", () => {
  const ref = { name: "load", weight: 1, key: "load" };
  const def = { min: 10, max: 20, allowedValues: [] as number[] };
  const now = new Date(T0.getTime() + 1000);
  const cases: [string, Parameters<typeof values>[0], string, Record<string, unknown>][] = [
    ["a value within [min, max] is normalised", { load: reading(15, T0, def) }, "ok", { value: 15, normalized: 0.5 }],
    ["min normalises to 0", { load: reading(10, T0, def) }, "ok", { normalized: 0 }],
    ["max normalises to 1", { load: reading(20, T0, def) }, "ok", { normalized: 1 }],
    ["below min is out of range", { load: reading(9, T0, def) }, "out_of_range", { value: 9 }],
    ["above max is out of range", { load: reading(21, T0, def) }, "out_of_range", { value: 21 }],
    ["a value not in allowed_values", { load: reading(15, T0, { ...def, allowedValues: [10, 20] }) }, "not_allowed", { value: 15 }],
    ["a value in allowed_values", { load: reading(20, T0, { ...def, allowedValues: [10, 20] }) }, "ok", { normalized: 1 }],
    ["no reading at all: unknown", {}, "unknown", {}],
    ["a reading without definition: unknown", { load: { value: 1, observedAt: T0 } }, "unknown", {}],
    ["no value yet: missing", { load: { definition: def } }, "missing", {}],
    ["older than the bound: stale", { load: reading(15, new Date(now.getTime() - 60_001), def) }, "stale", { value: 15 }],
    ["without a time: stale", { load: { definition: def, value: 15 } }, "stale", {}],
    ["a provider error and no fresh value", { load: { definition: def, error: "provider unreachable" } }, "error", { detail: "provider unreachable" }],
    ["a provider error but a fresh value: the value", { load: { ...reading(15, T0, def), error: "timeout" } }, "ok", { normalized: 0.5 }],
    ["min ≥ max: invalid", { load: reading(15, T0, { min: 20, max: 20, allowedValues: [] }) }, "invalid", {}],
  ];
  for (const [title, entries, status, fields] of cases) {
    it(title, () => {
      const evaluation = evaluateMetric(ref, values(entries), now, 60_000);
      expect(evaluation.status).to.equal(status);
      expect(evaluation).to.include(fields);
      if (status !== "ok") expect(evaluation.detail, "a reason in words").to.be.a("string").and.not.equal("");
    });
  }
});
