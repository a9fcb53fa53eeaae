import { expect } from "chai";
import { buildCandidates, decide, recentMigrations, stabilize } from "../../src/scheduling/index.js";
import type { Decision, SchedulingPolicy, Score, StabilityInput } from "../../src/scheduling/index.js";
import { app, at, cluster, MINUTE, NS, prng, reading, T0, values } from "./fixtures.js";
import { timestampFromDate } from "../../src/kinds/timestamp.js";

const ref = (name: string) => ({ api: "kubernetes", kind: "Cluster", namespace: NS, name });
const score = (s: number): Score => ({ tier: "metrics", score: s, components: [] });
const policy = { margin: 0.1, minDwellMs: 5 * MINUTE, maxMigrationsPerWindow: 3, windowMs: 60 * MINUTE };

/** A scheduled application on "cur" (score 0.5), the best being "other" with `best`. */
function input(best: number, over: Partial<StabilityInput> = {}): StabilityInput {
  return {
    now: at(120 * MINUTE),
    policy,
    migrationEnabled: true,
    autoClusterCreate: false,
    lastBoundAt: T0,
    history: [],
    current: { outcome: "scored", cluster: ref("cur"), rank: 2, tier: "metrics", score: 0.5, components: [] },
    best: { cluster: ref("other"), score: score(best) },
    ...over,
  };
}

describe("scheduling: stability", () => {
  const rules: [string, StabilityInput, string, string][] = [
    ["moves when the best beats the current by more than the margin", input(0.65), "move", "Moved"],
    ["stays when the best is better by no more than the margin", input(0.6), "stay", "WithinMargin"],
    ["stays within the minimum dwell time of the last binding", input(0.9, { lastBoundAt: at(117 * MINUTE) }), "stay", "MinDwell"],
    ["stays within the minimum dwell time of the last migration", input(0.9, { history: [at(118 * MINUTE)] }), "stay", "MinDwell"],
    ["moves once the dwell time has passed", input(0.9, { lastBoundAt: at(115 * MINUTE) }), "move", "Moved"],
    [
      "stays when the migrations per window are used up",
      input(0.9, { history: [at(61 * MINUTE), at(80 * MINUTE), at(100 * MINUTE)] }),
      "stay",
      "MigrationLimit",
    ],
    [
      "moves again once the oldest migration leaves the window",
      input(0.9, { history: [at(60 * MINUTE), at(80 * MINUTE), at(100 * MINUTE)] }),
      "move",
      "Moved",
    ],
    ["stays during a failed migration's backoff", input(0.9, { migrationBlockedUntil: at(121 * MINUTE) }), "stay", "MigrationBackoff"],
    ["stays when migration is disabled", input(0.9, { migrationEnabled: false }), "stay", "MigrationDisabled"],
    [
      "evacuates a failing current cluster despite dwell, backoff and budget",
      input(0.1, {
        lastBoundAt: at(120 * MINUTE),
        migrationBlockedUntil: at(200 * MINUTE),
        history: [at(100 * MINUTE), at(110 * MINUTE), at(119 * MINUTE)],
        current: { outcome: "filtered", cluster: ref("cur"), filter: "state", state: "OFFLINE", detail: 'cluster "cur" is OFFLINE, not ONLINE' },
      }),
      "move",
      "Evacuated",
    ],
  ];
  for (const [title, given, action, code] of rules) {
    it(title, () => {
      const verdict = stabilize(given);
      expect([verdict.action, verdict.reason.code]).to.deep.equal([action, code]);
      expect(verdict.chosen?.name).to.equal(action === "move" ? "other" : "cur");
      const moves = verdict.migrations.length - recentMigrations(given.history, given.now, policy.windowMs).length;
      expect(moves, "a move, and only a move, is recorded").to.equal(action === "move" ? 1 : 0);
    });
  }

  it("keeps only the migrations within the window, oldest first, as ISO strings", () => {
    const verdict = stabilize(input(0.5, { history: [at(119 * MINUTE).toISOString(), at(10 * MINUTE), "garbage", at(70 * MINUTE)] }));
    expect(verdict.migrations).to.deep.equal([at(70 * MINUTE).toISOString(), at(119 * MINUTE).toISOString()]);
  });

  describe("no flip-flop under noisy metrics", () => {
    /**
     * Two clusters whose only metric wanders in a ±0.03 band around the same
     * value, one cycle a minute for `cycles` cycles, then (if `shiftAfter`)
     * the cluster the application is NOT on improves by `shift` for good.
     * Returns the decisions that moved the application.
     */
    function run(seed: number, cycles: number, p: Partial<SchedulingPolicy>, shift?: { after: number; by: number }): Decision[] {
      const random = prng(seed);
      const base = 0.5;
      const offset = { x: 0, y: 0 };
      const candidates = buildCandidates([cluster("x", { metrics: [["x", 1]] }), cluster("y", { metrics: [["y", 1]] })]);
      let application = app();
      let history: readonly string[] = [];
      let improved: "x" | "y" | undefined;
      const moves: Decision[] = [];
      for (let i = 0; i < cycles; i++) {
        const now = at(i * MINUTE);
        for (const k of ["x", "y"] as const) offset[k] = Math.max(-0.03, Math.min(0.03, offset[k] + (random() - 0.5) * 0.02));
        const current = application.status?.scheduledTo?.name as "x" | "y" | undefined;
        if (shift !== undefined && i === shift.after) improved = current === "x" ? "y" : "x";
        const level = (k: "x" | "y") => base + offset[k] + (k === improved ? shift!.by : 0);
        const metricValues = values({ x: reading(level("x"), now), y: reading(level("y"), now) });
        const d = decide(application, candidates, metricValues, now, p, history);
        history = d.migrations;
        if (d.action === "move") moves.push(d);
        if (d.action === "place" || d.action === "move") {
          application = { ...application, status: { ...application.status!, scheduledTo: d.chosen, scheduled: timestampFromDate(now) } };
        }
      }
      return moves;
    }

    const naive = { stickiness: 0, margin: 0, minDwellMs: 0, maxMigrationsPerWindow: 1_000_000 };
    for (const seed of [1, 7, 2024]) {
      it(`seed ${seed}: the noise alone would move a naive scheduler, yet the defaults never move in 1,000 cycles`, () => {
        expect(run(seed, 1000, naive).length, "the test has teeth").to.be.greaterThan(10);
        expect(run(seed, 1000, {})).to.deep.equal([]);
      });

      it(`seed ${seed}: a sustained real change moves the application exactly once`, () => {
        const moves = run(seed, 1300, {}, { after: 1000, by: 0.3 });
        expect(moves).to.have.length(1);
        expect(moves[0]?.reason.code).to.equal("Moved");
        expect(Date.parse(moves[0]!.time)).to.be.at.least(at(1000 * MINUTE).getTime());
      });
    }
  });
});
