import { expect } from "chai";
import fc from "fast-check";
import { ClusterStatus_State } from "../../gen/krake/kubernetes/v1/cluster.js";
import { buildCandidates, decide } from "../../src/scheduling/index.js";
import { EvaluationMemo } from "../../src/scheduling/evaluation-memo.js";
import { app, at, cluster, MINUTE, reading, T0, values } from "./fixtures.js";

describe("scheduling: decisions sharing an EvaluationMemo", () => {
  const maxAge = 5 * MINUTE;
  const policy = { metricMaxAgeMs: maxAge };
  // fast read at T0 turns stale after T0 + 5 min, slow read at T0 + 2 min after T0 + 7 min
  const metricValues = values({ fast: reading(0.9, T0), slow: reading(0.2, at(2 * MINUTE)), mid: reading(0.5, at(MINUTE)) });
  const candidates = buildCandidates([
    cluster("a", { metrics: [["slow", 1]], labels: { zone: "a" } }),
    cluster("b", { metrics: [["fast", 1], ["mid", 2]], labels: { zone: "b" } }),
    cluster("c", { metrics: [["mid", 1]], labels: { zone: "a" } }),
    cluster("d", { metrics: [["fast", 3]], state: ClusterStatus_State.OFFLINE }),
    cluster("e", { metrics: [] }),
  ]);

  it("decides as decide does without one, for any application and any instant, in any order", () => {
    const appArb = fc.record({
      uid: fc.constantFrom("u1", "u2", "u3"),
      scheduledTo: fc.option(fc.constantFrom("a", "b", "c", "d", "gone"), { nil: undefined }),
      labels: fc.constantFrom<string[]>([], ["zone=a"], ["zone != a"]),
      metrics: fc.constantFrom<string[]>([], ["fast > 0.5"], ["mid >= 0.5"]),
    });
    // instants on both sides of each reading's staleness, visited in random order by one memo
    const instant = fc.integer({ min: -MINUTE, max: 9 * MINUTE }).map((ms) => at(ms));
    fc.assert(
      fc.property(fc.array(fc.tuple(appArb, instant), { minLength: 1, maxLength: 12 }), (runs) => {
        const memo = new EvaluationMemo(metricValues, maxAge);
        for (const [o, now] of runs) {
          const a = app({ ...o, scheduledAt: at(-60 * MINUTE) });
          expect(decide(a, candidates, metricValues, now, policy, [], memo)).to.deep.equal(decide(a, candidates, metricValues, now, policy, []));
        }
      }),
      { seed: 1201, numRuns: 200 },
    );
  });

  it("sees a reading turn stale between two decisions", () => {
    const memo = new EvaluationMemo(metricValues, maxAge);
    const before = decide(app(), candidates, metricValues, at(4 * MINUTE), policy, [], memo);
    const after = decide(app(), candidates, metricValues, at(6 * MINUTE), policy, [], memo);
    expect(before.chosen?.name).to.equal("b");
    const b = after.scored.find((s) => s.cluster.name === "b")!;
    expect(b.components.find((c) => c.kind === "metric" && c.name === "fast")).to.deep.include({ status: "stale" });
    expect(after.chosen?.name, "b and d use the stale fast metric: c's fresh one wins").to.equal("c");
  });

  it("is ignored when made for other readings or another freshness bound", () => {
    const other = new EvaluationMemo(values({ fast: reading(0.1, T0) }), maxAge);
    const shorter = new EvaluationMemo(metricValues, MINUTE);
    // at T0 + 3 min, fast is fresh under the policy's 5 min and stale under the memo's 1 min
    const now = at(3 * MINUTE);
    for (const memo of [other, shorter]) {
      expect(decide(app(), candidates, metricValues, now, policy, [], memo)).to.deep.equal(decide(app(), candidates, metricValues, now, policy, []));
    }
  });
});
