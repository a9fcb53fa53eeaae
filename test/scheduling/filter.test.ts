import { expect } from "chai";
import { ClusterStatus_State } from "../../gen/krake/kubernetes/v1/cluster.js";
import {
  buildCandidates,
  evaluateMetric,
  firstFailedFilter,
  parseClusterConstraints,
} from "../../src/scheduling/index.js";
import type { Candidate, FilterContext, FilterFailure, MetricReading } from "../../src/scheduling/index.js";
import { cloud, cluster, MINUTE, NS, reading, T0, values } from "./fixtures.js";
import type { ClusterOptions } from "./fixtures.js";

function context(
  constraints: { labels?: string[]; metrics?: string[]; customResources?: string[] },
  metricValues: Map<string, MetricReading> = new Map(),
): FilterContext {
  const parsed = parseClusterConstraints(constraints);
  if (!parsed.ok) throw new Error(parsed.error);
  return {
    namespace: NS,
    constraints: parsed.value,
    metricsOf: (c: Candidate) => c.metrics.map((m) => evaluateMetric(m, metricValues, T0, 5 * MINUTE)),
  };
}

describe("scheduling: filters (Krake's scheduler §7)", () => {
  const online: ClusterOptions = {
    labels: { location: "DE" },
    customResources: ["crontabs.example.com", "backups.example.com"],
    metrics: [["load", 1]],
  };
  const metrics = values({ load: reading(0.3) });
  // [title, cluster options, constraints, expected failure (partial) or undefined for pass]
  const matrix: [string, ClusterOptions, Parameters<typeof context>[0], Partial<FilterFailure> | undefined][] = [
    ["an ONLINE cluster without constraints passes", online, {}, undefined],
    ["all constraints satisfied passes", online, { labels: ["location = DE"], metrics: ["load < 0.5"], customResources: ["crontabs.example.com"] }, undefined],
    ["another namespace fails first", { ...online, namespace: "other" }, {}, { filter: "namespace", namespace: "other" }],
    ["a deleted cluster fails", { ...online, deleted: T0 }, {}, { filter: "deleted", deletedAt: "2030-01-01T00:00:00Z" }],
    ["deleted is checked before state", { ...online, deleted: T0, state: ClusterStatus_State.OFFLINE }, {}, { filter: "deleted" }],
    ["an OFFLINE cluster fails", { ...online, state: ClusterStatus_State.OFFLINE }, {}, { filter: "state", state: "OFFLINE" }],
    ["a PENDING cluster fails", { ...online, state: ClusterStatus_State.PENDING }, {}, { filter: "state", state: "PENDING" }],
    ["a FAILING_METRICS cluster fails", { ...online, state: ClusterStatus_State.FAILING_METRICS }, {}, { filter: "state", state: "FAILING_METRICS" }],
    ["state is checked before labels", { ...online, state: ClusterStatus_State.UNHEALTHY }, { labels: ["location = FR"] }, { filter: "state" }],
    ["a label of another value fails, with the value", online, { labels: ["location = FR"] }, { filter: "label", constraint: "location = FR", key: "location", value: "DE" }],
    ["an absent label fails, value null", online, { labels: ["zone != a"] }, { filter: "label", key: "zone", value: null }],
    ["the first failing label constraint is reported", online, { labels: ["location in (DE)", "location not in (DE)", "zone = a"] }, { filter: "label", constraint: "location not in (DE)" }],
    ["missing custom resources fail, all of them listed", online, { customResources: ["crontabs.example.com", "a.x", "b.x"] }, { filter: "custom_resources", missing: ["a.x", "b.x"] }],
    ["labels are checked before custom resources", online, { labels: ["location = FR"], customResources: ["a.x"] }, { filter: "label" }],
    ["a metric constraint not met fails, with the normalised value", online, { metrics: ["load > 0.5"] }, { filter: "metric", constraint: "load > 0.5", metric: "load", status: "ok", normalized: 0.3 }],
    ["a metric the cluster lacks fails as absent", online, { metrics: ["green > 0.1"] }, { filter: "metric", metric: "green", status: "absent" }],
    ["custom resources are checked before metrics", online, { customResources: ["a.x"], metrics: ["load > 0.5"] }, { filter: "custom_resources" }],
  ];
  for (const [title, options, constraints, expected] of matrix) {
    it(title, () => {
      const [candidate] = buildCandidates([cluster("a", options)]);
      const failure = firstFailedFilter(candidate!, context(constraints, metrics));
      if (expected === undefined) {
        expect(failure).to.equal(undefined);
        return;
      }
      expect(failure).to.deep.include(expected);
      expect(failure?.detail).to.be.a("string").and.match(/cluster "a"/);
    });
  }

  const unusable: [string, MetricReading | undefined, string][] = [
    ["stale", reading(0.3, new Date(T0.getTime() - 6 * MINUTE)), "stale"],
    ["missing", { definition: { min: 0, max: 1, allowedValues: [] } }, "missing"],
    ["unknown", undefined, "unknown"],
    ["out of range", reading(3), "out_of_range"],
  ];
  for (const [title, value, status] of unusable) {
    it(`a metric constraint on a ${title} metric fails with that status`, () => {
      const [candidate] = buildCandidates([cluster("a", online)]);
      const failure = firstFailedFilter(candidate!, context({ metrics: ["load < 0.5"] }, values(value ? { load: value } : {})));
      expect(failure).to.deep.include({ filter: "metric", metric: "load", status });
      expect(failure?.detail).to.include(status);
    });
  }

  it("explains a label failure in words", () => {
    const [candidate] = buildCandidates([cluster("a", online)]);
    expect(firstFailedFilter(candidate!, context({ labels: ["location = FR"] }))?.detail).to.equal(
      'cluster "a" does not match "location = FR": its label "location" is "DE"',
    );
    expect(firstFailedFilter(candidate!, context({ labels: ["zone = a"] }))?.detail).to.equal(
      'cluster "a" does not match "zone = a": it has no label "zone"',
    );
  });

  it("matches label constraints against inherited labels", () => {
    const candidates = buildCandidates(
      [cluster("a", { inheritLabels: true, boundTo: { kind: "Cloud", name: "os" } })],
      { clouds: [cloud("os", { location: "DE" })] },
    );
    expect(firstFailedFilter(candidates[0]!, context({ labels: ["location = DE"] }))).to.equal(undefined);
  });
});

