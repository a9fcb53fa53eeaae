import { expect } from "chai";
import fc from "fast-check";
import { ClusterStatus_State } from "../../gen/krake/kubernetes/v1/cluster.js";
import { buildCandidates, decide } from "../../src/scheduling/index.js";
import type { MetricReading } from "../../src/scheduling/index.js";
import { app, cloud, cluster, globalCloud, MINUTE, NS, reading, T0, values } from "./fixtures.js";

const ref = (name: string) => ({ api: "kubernetes", kind: "Cluster", namespace: NS, name });

describe("scheduling: decide", () => {
  const metricValues = values({ fast: reading(0.9), slow: reading(0.2), mid: reading(0.5) });
  const three = () =>
    buildCandidates([
      cluster("a", { metrics: [["slow", 1]] }),
      cluster("b", { metrics: [["fast", 1]] }),
      cluster("c", { metrics: [["mid", 1]] }),
    ]);

  it("places an unscheduled application on the best cluster, and explains the choice", () => {
    const d = decide(app(), three(), metricValues, T0);
    expect(d.action).to.equal("place");
    expect(d.chosen).to.deep.equal(ref("b"));
    expect(d.reason.code).to.equal("Placed");
    expect(d.score).to.be.closeTo(0.9 / 1.1, 1e-12);
    expect(d.tier).to.equal("metrics");
    expect(d.components).to.deep.equal([
      { kind: "metric", name: "fast", key: "fast", weight: 1, status: "ok", value: 0.9, normalized: 0.9, observedAt: T0.toISOString() },
      { kind: "stickiness", value: 0, weight: 0.1 },
    ]);
    expect(d.scored.map((s) => [s.cluster.name, s.rank])).to.deep.equal([
      ["b", 1],
      ["c", 2],
      ["a", 3],
    ]);
    expect(d.current).to.equal(undefined);
    expect(d.migrations, "placing is not a migration").to.deep.equal([]);
    expect(d.time).to.equal(T0.toISOString());
    expect(d.application).to.deep.equal({ namespace: NS, name: "web", uid: "uid-app-web" });
  });

  it("lists each other candidate's score or first failed filter", () => {
    const candidates = buildCandidates([
      cluster("a", { metrics: [["slow", 1]] }),
      cluster("b", { metrics: [["fast", 1]], state: ClusterStatus_State.OFFLINE }),
      cluster("c", { metrics: [["mid", 1]], labels: { location: "FR" } }),
      cluster("d", { metrics: [["mid", 1]], labels: { location: "DE" } }),
    ]);
    const d = decide(app({ labels: ["location in (DE, AT)"] }), candidates, metricValues, T0);
    expect(d.chosen?.name).to.equal("d");
    expect(d.scored.map((s) => s.cluster.name)).to.deep.equal(["d"]);
    expect(d.filtered).to.deep.equal([
      {
        cluster: ref("a"),
        filter: "label",
        constraint: "location in (DE, AT)",
        key: "location",
        value: null,
        detail: 'cluster "a" does not match "location in (DE, AT)": it has no label "location"',
      },
      { cluster: ref("b"), filter: "state", state: "OFFLINE", detail: 'cluster "b" is OFFLINE, not ONLINE' },
      {
        cluster: ref("c"),
        filter: "label",
        constraint: "location in (DE, AT)",
        key: "location",
        value: "FR",
        detail: 'cluster "c" does not match "location in (DE, AT)": its label "location" is "FR"',
      },
    ]);
  });

  it("prefers a cluster with metrics to any cluster without, even the current one", () => {
    const candidates = buildCandidates([cluster("bare"), cluster("low", { metrics: [["slow", 1]] })]);
    const placed = decide(app(), candidates, metricValues, T0);
    expect(placed.chosen?.name).to.equal("low");
    const moved = decide(app({ scheduledTo: "bare", scheduledAt: new Date(T0.getTime() - 60 * MINUTE) }), candidates, metricValues, T0);
    expect(moved.action).to.equal("move");
    expect(moved.reason.code).to.equal("Moved");
    expect(moved.current).to.deep.include({ outcome: "scored", tier: "no_metrics", score: 0.1 });
  });

  it("scores a cluster whose metric is stale like one without metrics, and says why", () => {
    const stale = values({ fast: reading(0.9, new Date(T0.getTime() - 10 * MINUTE)), slow: reading(0.2) });
    const d = decide(app(), buildCandidates([cluster("a", { metrics: [["slow", 1]] }), cluster("b", { metrics: [["fast", 1]] })]), stale, T0);
    expect(d.chosen?.name).to.equal("a");
    const b = d.scored.find((s) => s.cluster.name === "b");
    expect(b?.tier).to.equal("no_metrics");
    expect(b?.components[0]).to.deep.include({ name: "fast", status: "stale" });
  });

  it("keeps the current cluster when stickiness outweighs a slightly better one", () => {
    const close = values({ x: reading(0.5), y: reading(0.55) });
    const candidates = buildCandidates([cluster("x", { metrics: [["x", 1]] }), cluster("y", { metrics: [["y", 1]] })]);
    const d = decide(app({ scheduledTo: "x", scheduledAt: new Date(T0.getTime() - 60 * MINUTE) }), candidates, close, T0);
    expect(d.action).to.equal("stay");
    expect(d.reason.code).to.equal("CurrentIsBest");
    expect(d.chosen).to.deep.equal(ref("x"));
    expect(d.score).to.be.closeTo((0.5 + 0.1) / 1.1, 1e-12);
    expect(d.components?.at(-1)).to.deep.equal({ kind: "stickiness", value: 1, weight: 0.1 });
  });

  it("scores with metrics and labels inherited from the bound cloud", () => {
    const candidates = buildCandidates(
      [
        cluster("own", { metrics: [["mid", 1]], labels: { location: "DE" } }),
        cluster("inherits", { inheritLabels: true, inheritMetrics: true, boundTo: { kind: "GlobalCloud", name: "g" } }),
        cluster("bound-only", { boundTo: { kind: "Cloud", name: "c" } }),
      ],
      {
        globalClouds: [globalCloud("g", { location: "DE" }, [{ name: "fast", weight: 1, namespaced: false }])],
        clouds: [cloud("c", { location: "DE" }, [{ name: "fast", weight: 1, namespaced: false }])],
      },
    );
    const d = decide(app({ labels: ["location = DE"] }), candidates, metricValues, T0);
    expect(d.chosen?.name).to.equal("inherits");
    expect(d.components?.[0]).to.deep.include({ name: "fast", normalized: 0.9 });
    expect(d.filtered.map((f) => [f.cluster.name, f.filter])).to.deep.equal([["bound-only", "label"]]);
  });

  describe("ties", () => {
    const twins = () =>
      buildCandidates(["t1", "t2", "t3", "t4"].map((n) => cluster(n, { metrics: [["mid", 1]] })));

    it("gives the same decision whatever the order of the candidates", () => {
      const all = [
        ...twins(),
        ...buildCandidates([cluster("off", { state: ClusterStatus_State.OFFLINE }), cluster("gone", { deleted: T0 })]),
      ];
      const expected = decide(app(), all, metricValues, T0);
      expect(expected.scored).to.have.length(4);
      fc.assert(
        fc.property(fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length }), (shuffled) => {
          expect(decide(app(), shuffled, metricValues, T0)).to.deep.equal(expected);
        }),
        { seed: 42, numRuns: 50 },
      );
    });

    it("spreads applications over equally good clusters", () => {
      const chosen = new Set<string>();
      for (let i = 0; i < 40; i++) chosen.add(decide(app({ uid: `app-${i}` }), twins(), metricValues, T0).chosen!.name);
      expect(chosen.size).to.be.greaterThan(1);
    });
  });

  describe("the current cluster fails a filter", () => {
    const justBound = { scheduledTo: "b", scheduledAt: T0 };

    it("moves off a cluster that went OFFLINE, even right after binding, and says why", () => {
      const candidates = buildCandidates([
        cluster("a", { metrics: [["slow", 1]] }),
        cluster("b", { metrics: [["fast", 1]], state: ClusterStatus_State.OFFLINE }),
      ]);
      const d = decide(app(justBound), candidates, metricValues, T0);
      expect(d.action).to.equal("move");
      expect(d.chosen).to.deep.equal(ref("a"));
      expect(d.reason.code).to.equal("Evacuated");
      expect(d.reason.message).to.include("OFFLINE");
      expect(d.current).to.deep.include({ outcome: "filtered", filter: "state", state: "OFFLINE" });
      expect(d.migrations).to.deep.equal([T0.toISOString()]);
    });

    it("moves off a deleted cluster", () => {
      const candidates = buildCandidates([
        cluster("a", { metrics: [["slow", 1]] }),
        cluster("b", { metrics: [["fast", 1]], deleted: T0 }),
      ]);
      const d = decide(app(justBound), candidates, metricValues, T0);
      expect([d.action, d.reason.code, d.chosen?.name]).to.deep.equal(["move", "Evacuated", "a"]);
      expect(d.current).to.deep.include({ outcome: "filtered", filter: "deleted" });
    });

    it("moves off a cluster that is gone from the candidates", () => {
      const d = decide(app(justBound), buildCandidates([cluster("a", { metrics: [["slow", 1]] })]), metricValues, T0);
      expect([d.action, d.reason.code, d.chosen?.name]).to.deep.equal(["move", "Evacuated", "a"]);
      expect(d.current).to.deep.equal({ outcome: "absent", cluster: ref("b") });
    });

    it("moves off a cluster that no longer matches a constraint", () => {
      const candidates = buildCandidates([
        cluster("a", { metrics: [["slow", 1]], labels: { location: "DE" } }),
        cluster("b", { metrics: [["fast", 1]], labels: { location: "FR" } }),
      ]);
      const d = decide(app({ ...justBound, labels: ["location = DE"] }), candidates, metricValues, T0);
      expect([d.action, d.reason.code, d.chosen?.name]).to.deep.equal(["move", "Evacuated", "a"]);
    });

    it("reports no cluster, keeping the binding, when nothing else fits", () => {
      const candidates = buildCandidates([cluster("b", { state: ClusterStatus_State.OFFLINE })]);
      const d = decide(app(justBound), candidates, metricValues, T0);
      expect(d.action).to.equal("none");
      expect(d.chosen).to.equal(undefined);
      expect(d.reason.code).to.equal("NoClusterFound");
      expect(d.reason.message).to.include('stays bound to cluster "b"');
    });
  });

  describe("migration disabled (spec.constraints.migration false)", () => {
    it("never moves a scheduled application, even off an OFFLINE cluster, and says so", () => {
      const candidates = buildCandidates([
        cluster("a", { metrics: [["fast", 1]] }),
        cluster("b", { metrics: [["slow", 1]], state: ClusterStatus_State.OFFLINE }),
      ]);
      const d = decide(app({ scheduledTo: "b", scheduledAt: new Date(0), migration: false }), candidates, metricValues, T0);
      expect(d.action).to.equal("stay");
      expect(d.chosen).to.deep.equal(ref("b"));
      expect(d.reason.code).to.equal("MigrationDisabled");
      expect(d.reason.message).to.include("OFFLINE");
      expect(d.scored[0]?.cluster.name, "the ranking is still explained").to.equal("a");
    });

    it("never moves to a much better cluster", () => {
      const d = decide(app({ scheduledTo: "a", scheduledAt: new Date(0), migration: false }), three(), metricValues, T0);
      expect([d.action, d.chosen?.name, d.reason.code]).to.deep.equal(["stay", "a", "MigrationDisabled"]);
    });

    it("still places an unscheduled application", () => {
      const d = decide(app({ migration: false }), three(), metricValues, T0);
      expect([d.action, d.chosen?.name]).to.deep.equal(["place", "b"]);
    });
  });

  describe("no cluster", () => {
    it("reports NoClusterFound", () => {
      const d = decide(app({ labels: ["location = XX"] }), three(), metricValues, T0);
      expect(d.action).to.equal("none");
      expect(d.reason.code).to.equal("NoClusterFound");
      expect(d.filtered).to.have.length(3);
    });

    it("with auto_cluster_create, says that creating a cluster needs the infrastructure controller", () => {
      const d = decide(app({ labels: ["location = XX"], autoClusterCreate: true }), three(), metricValues, T0);
      expect(d.action).to.equal("none");
      expect(d.reason.code).to.equal("ClusterCreationRequired");
      expect(d.reason.message).to.include("infrastructure controller");
    });

    it("reports a malformed constraint instead of filtering everything out", () => {
      const d = decide(app({ metrics: ["load greater 0.5"] }), three(), metricValues, T0);
      expect(d.action).to.equal("none");
      expect(d.reason.code).to.equal("InvalidConstraint");
      expect(d.reason.message).to.include('metrics[0] "load greater 0.5"');
    });
  });

  describe("size", () => {
    it("lists the top 10 scored and the first 10 filtered of 1,000 candidates, and counts the rest", () => {
      const readings = new Map<string, MetricReading>();
      const clusters = [];
      for (let i = 0; i < 1000; i++) {
        const name = `c${String(i).padStart(4, "0")}`;
        readings.set(name, reading((i % 97) / 97));
        clusters.push(cluster(name, { metrics: [[name, 1]], labels: { parity: i % 2 === 0 ? "even" : "odd" } }));
      }
      const started = process.hrtime.bigint();
      const d = decide(app({ labels: ["parity = even"] }), buildCandidates(clusters), readings, T0);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      expect(d.scored).to.have.length(10);
      expect(d.filtered).to.have.length(10);
      expect(d.moreScored).to.equal(490);
      expect(d.moreFiltered).to.equal(490);
      expect(d.scored.map((s) => s.rank)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(d.scored[0]?.cluster).to.deep.equal(d.chosen);
      expect(d.filtered[0]?.cluster.name).to.equal("c0001");
      expect(JSON.stringify(d).length, "bounded JSON").to.be.below(20_000);
      expect(ms, "decide over 1,000 candidates").to.be.below(1000);
    });

    it("is plain JSON: it survives a round trip unchanged", () => {
      const d = decide(app({ scheduledTo: "a", scheduledAt: new Date(0) }), three(), metricValues, T0);
      expect(JSON.parse(JSON.stringify(d))).to.deep.equal(d);
    });

    it("honours a smaller limit", () => {
      const d = decide(app(), three(), metricValues, T0, { limit: 1 });
      expect(d.scored).to.have.length(1);
      expect(d.moreScored).to.equal(2);
    });
  });

  it("changes none of its inputs", () => {
    const a = app({ scheduledTo: "a", scheduledAt: new Date(0) });
    const candidates = three();
    const before = JSON.stringify([a, candidates]);
    decide(a, candidates, metricValues, T0);
    expect(JSON.stringify([a, candidates])).to.equal(before);
  });

  it("rejects a nonsensical policy", () => {
    expect(() => decide(app(), three(), metricValues, T0, { margin: -1 })).to.throw(/margin/);
    expect(() => decide(app(), three(), metricValues, T0, { limit: 1.5 })).to.throw(/limit/);
  });
});
