import { expect } from "chai";
import { beatsBy, compareRank, scoreCandidate, tieBreakKey } from "../../src/scheduling/index.js";
import type { MetricEvaluation, Score } from "../../src/scheduling/index.js";

function ok(name: string, normalized: number, weight: number): MetricEvaluation {
  return { name, key: name, weight, status: "ok", value: normalized, normalized };
}

describe("scheduling: score", () => {
  it("is (Σ vᵢ·wᵢ + s·w_s) / (Σ wᵢ + w_s), s = 0 away from the current cluster", () => {
    const score = scoreCandidate([ok("a", 0.5, 1), ok("b", 1, 3)], false, 0.1);
    expect(score.tier).to.equal("metrics");
    expect(score.score).to.be.closeTo((0.5 * 1 + 1 * 3 + 0) / (1 + 3 + 0.1), 1e-12);
  });

  it("adds the stickiness term on the current cluster (s = 1)", () => {
    const score = scoreCandidate([ok("a", 0.5, 1)], true, 0.1);
    expect(score.score).to.be.closeTo((0.5 + 0.1) / 1.1, 1e-12);
  });

  it("records every component: metric name, raw value, normalised value, weight; the stickiness term", () => {
    const score = scoreCandidate([{ name: "load", key: "load", weight: 2, status: "ok", value: 15, normalized: 0.5, observedAt: "2030-01-01T00:00:00.000Z" }], true, 0.2);
    expect(score.components).to.deep.equal([
      { kind: "metric", name: "load", key: "load", weight: 2, status: "ok", value: 15, normalized: 0.5, observedAt: "2030-01-01T00:00:00.000Z" },
      { kind: "stickiness", value: 1, weight: 0.2 },
    ]);
  });

  it("scores a cluster without metrics s·w_s", () => {
    expect(scoreCandidate([], false, 0.1)).to.deep.include({ tier: "no_metrics", score: 0 });
    expect(scoreCandidate([], true, 0.1)).to.deep.include({ tier: "no_metrics", score: 0.1 });
  });

  it("scores a cluster with an unusable metric like one without metrics, keeping the metric's status", () => {
    const stale: MetricEvaluation = { name: "b", key: "b", weight: 1, status: "stale", value: 0.9, detail: "old" };
    const score = scoreCandidate([ok("a", 1, 1), stale], true, 0.1);
    expect(score.tier).to.equal("no_metrics");
    expect(score.score).to.equal(0.1);
    expect(score.components[1]).to.deep.include({ name: "b", status: "stale", detail: "old" });
  });

  describe("ranking", () => {
    const rankable = (score: Score, tieKey: string, refKey = tieKey) => ({ score, tieKey, refKey });
    const withMetrics = (s: number): Score => ({ tier: "metrics", score: s, components: [] });
    const without = (s: number): Score => ({ tier: "no_metrics", score: s, components: [] });

    it("puts any cluster with metrics above any without", () => {
      const list = [rankable(without(0.1), "a"), rankable(withMetrics(0.01), "b")];
      expect(list.sort(compareRank).map((r) => r.tieKey)).to.deep.equal(["b", "a"]);
    });

    it("orders by score, best first", () => {
      const list = [rankable(withMetrics(0.2), "a"), rankable(withMetrics(0.9), "b"), rankable(withMetrics(0.5), "c")];
      expect(list.sort(compareRank).map((r) => r.tieKey)).to.deep.equal(["b", "c", "a"]);
    });

    it("breaks ties (to 1e-9) by the tie key, then the name", () => {
      const list = [rankable(withMetrics(0.5), "k2"), rankable(withMetrics(0.5 + 1e-12), "k1"), rankable(withMetrics(0.5), "k1", "a")];
      expect(list.sort(compareRank).map((r) => r.refKey)).to.deep.equal(["a", "k1", "k2"]);
    });

    it("derives tie keys from the application and the cluster: stable, and different per application", () => {
      expect(tieBreakKey("app", "c1")).to.equal(tieBreakKey("app", "c1"));
      expect(tieBreakKey("app", "c1")).to.not.equal(tieBreakKey("app", "c2"));
      expect(tieBreakKey("app", "c1")).to.match(/^[0-9a-f]{64}$/);
      expect(tieBreakKey("ab", "c")).to.not.equal(tieBreakKey("a", "bc"));
    });

    const beats: [string, Score, Score, number, boolean][] = [
      ["by more than the margin", withMetrics(0.75), withMetrics(0.6), 0.1, true],
      ["by exactly the margin: no", withMetrics(0.7), withMetrics(0.6), 0.1, false],
      ["by less than the margin: no", withMetrics(0.65), withMetrics(0.6), 0.1, false],
      ["a lower score: no", withMetrics(0.5), withMetrics(0.6), 0, false],
      ["with metrics over without, whatever the scores", withMetrics(0), without(0.1), 0.1, true],
      ["without metrics over with: never", without(0.5), withMetrics(0), 0.1, false],
    ];
    for (const [title, a, b, margin, expected] of beats) {
      it(`beatsBy: ${title}`, () => expect(beatsBy(a, b, margin)).to.equal(expected));
    }
  });
});
