/**
 * What `decide` computes per candidate that does not depend on the
 * Application: the candidate's metrics evaluated against one MetricValues
 * map, and its score when it is not the Application's current cluster. A
 * scheduler deciding many Applications over the same candidates and the same
 * readings (one metrics cycle) computes these once per candidate instead of
 * once per Application and candidate.
 *
 * Exact, not approximate: an evaluation depends on `now` only through the
 * freshness of each reading (`now − observedAt ≤ maxAgeMs`), so an entry is
 * reused only while every one of its readings is exactly as fresh (or as
 * stale) as when it was computed; `decide` with a memo returns what it
 * returns without one. Entries are held weakly by candidate: a candidate
 * dropped by its owner is dropped here too.
 */

import type { Candidate } from "./candidates.js";
import { evaluateMetric } from "./metrics.js";
import type { MetricEvaluation, MetricValues } from "./metrics.js";
import { scoreCandidate } from "./score.js";
import type { Score } from "./score.js";

interface Entry {
  readonly evaluations: readonly MetricEvaluation[];
  /** Valid while validFrom < now ≤ validUntil (ms since the epoch). */
  readonly validFrom: number;
  readonly validUntil: number;
  /** The score with s = 0, per stickiness weight it was asked with. */
  notCurrent?: { stickiness: number; score: Score };
}

export class EvaluationMemo {
  private readonly entries = new WeakMap<Candidate, Entry>();

  /** For the readings `values` (the same map `decide` is given) and the policy's freshness bound. */
  constructor(
    readonly values: MetricValues,
    readonly maxAgeMs: number,
  ) {}

  /** `candidate`'s metrics evaluated at `now`, as `evaluateMetric` gives them. */
  evaluations(candidate: Candidate, now: Date): readonly MetricEvaluation[] {
    return this.entry(candidate, now.getTime()).evaluations;
  }

  /** `scoreCandidate(evaluations, false, stickiness)`, computed once per entry. */
  scoreNotCurrent(candidate: Candidate, now: Date, stickiness: number): Score {
    const entry = this.entry(candidate, now.getTime());
    if (entry.notCurrent?.stickiness !== stickiness) {
      entry.notCurrent = { stickiness, score: scoreCandidate(entry.evaluations, false, stickiness) };
    }
    return entry.notCurrent.score;
  }

  private entry(candidate: Candidate, now: number): Entry {
    const found = this.entries.get(candidate);
    if (found !== undefined && now > found.validFrom && now <= found.validUntil) return found;
    const at = new Date(now);
    let validFrom = -Infinity;
    let validUntil = Infinity;
    for (const m of candidate.metrics) {
      const observedAt = m.key === undefined ? undefined : this.values.get(m.key)?.observedAt;
      if (observedAt === undefined) continue;
      // fresh while now ≤ observedAt + maxAgeMs, stale after
      const turnsStale = observedAt.getTime() + this.maxAgeMs;
      if (now <= turnsStale) validUntil = Math.min(validUntil, turnsStale);
      else validFrom = Math.max(validFrom, turnsStale);
    }
    const entry: Entry = {
      evaluations: candidate.metrics.map((m) => evaluateMetric(m, this.values, at, this.maxAgeMs)),
      validFrom,
      validUntil,
    };
    this.entries.set(candidate, entry);
    return entry;
  }
}
