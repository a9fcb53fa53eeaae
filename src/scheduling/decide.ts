import type { Application } from "../../gen/krake/kubernetes/v1/application.js";
import type { ResourceRef } from "../../gen/krake/core/v1/types.js";
import type { Candidate } from "./candidates.js";
import { parseClusterConstraints } from "./constraints.js";
import type { CurrentCluster, Decision, FilteredCandidate, ScoredCandidate } from "./decision.js";
import { firstFailedFilter } from "./filter.js";
import type { FilterContext } from "./filter.js";
import { refKey } from "./internal/refs.js";
import { evaluateMetric } from "./metrics.js";
import type { MetricEvaluation, MetricValues } from "./metrics.js";
import { resolvePolicy } from "./policy.js";
import type { SchedulingPolicy } from "./policy.js";
import type { EvaluationMemo } from "./evaluation-memo.js";
import { compareRank, scoreCandidate, tieBreakKey } from "./score.js";
import type { Score } from "./score.js";
import { recentMigrations, sameCluster, stabilize } from "./stability.js";
import { timestampToDate } from "../kinds/timestamp.js";

/**
 * Chooses a cluster for `app` among `candidates` (the clusters of the
 * Application's namespace, see `buildCandidates`), and explains the choice.
 * Pure: the same arguments give the same Decision, whatever the order of the
 * candidates; nothing is fetched, stored or remembered.
 *
 * `history` is the Application's migration history as the previous decision
 * returned it (`Decision.migrations`); the caller persists it. `policy` is
 * completed with `defaultSchedulingPolicy` and checked (a bad policy throws:
 * resolve it once at startup with `resolvePolicy`).
 *
 * Work is linear in the candidates plus one sort of those that pass; the
 * Decision lists at most `policy.limit` scored and `policy.limit` filtered
 * candidates, and counts the rest. `memo` (optional, for `metricValues` and
 * `policy.metricMaxAgeMs`) shares the per-candidate work — metric
 * evaluations, scores off the current cluster — between decisions over the
 * same candidates and readings; the Decision is the same with or without it.
 */
export function decide(
  app: Application,
  candidates: readonly Candidate[],
  metricValues: MetricValues,
  now: Date,
  policy: Partial<SchedulingPolicy> = {},
  history: readonly (Date | string)[] = [],
  memo?: EvaluationMemo,
): Decision {
  const p = resolvePolicy(policy);
  const metadata = app.metadata;
  const application = { namespace: metadata?.namespace ?? "", name: metadata?.name ?? "", uid: metadata?.uid ?? "" };
  const time = now.toISOString();
  const scheduledTo = boundCluster(app);

  const parsed = parseClusterConstraints(app.spec?.constraints?.cluster);
  if (!parsed.ok) {
    return {
      time,
      application,
      action: "none",
      reason: { code: "InvalidConstraint", message: `the application's constraint ${parsed.error}` },
      scored: [],
      filtered: [],
      moreScored: 0,
      moreFiltered: 0,
      migrations: recentMigrations(history, now, p.windowMs).map((t) => new Date(t).toISOString()),
    };
  }

  const shared = memo !== undefined && memo.values === metricValues && memo.maxAgeMs === p.metricMaxAgeMs ? memo : undefined;
  const evaluations = new Map<Candidate, readonly MetricEvaluation[]>();
  const metricsOf = (c: Candidate): readonly MetricEvaluation[] => {
    if (shared !== undefined) return shared.evaluations(c, now);
    let found = evaluations.get(c);
    if (found === undefined) {
      found = c.metrics.map((m) => evaluateMetric(m, metricValues, now, p.metricMaxAgeMs));
      evaluations.set(c, found);
    }
    return found;
  };
  const ctx: FilterContext = { namespace: application.namespace, constraints: parsed.value, metricsOf };

  interface Passed {
    readonly candidate: Candidate;
    readonly score: Score;
    /** The tie-break hash and the name, computed when two scores tie (a sha256 per candidate would be most of a decision). */
    readonly tieKey: string;
    readonly refKey: string;
  }
  const passedEntry = (candidate: Candidate, score: Score): Passed => {
    let tieKey: string | undefined;
    let ref: string | undefined;
    return {
      candidate,
      score,
      get tieKey() {
        return (tieKey ??= tieBreakKey(application.uid, candidate.uid));
      },
      get refKey() {
        return (ref ??= refKey(candidate.ref));
      },
    };
  };
  const passed: Passed[] = [];
  const failed: FilteredCandidate[] = [];
  let current: CurrentCluster | undefined;
  let currentPassed: Passed | undefined;
  for (const candidate of candidates) {
    const isCurrent = scheduledTo !== undefined && sameCluster(candidate.ref, scheduledTo);
    const failure = firstFailedFilter(candidate, ctx);
    if (failure !== undefined) {
      const entry: FilteredCandidate = { cluster: candidate.ref, ...failure };
      failed.push(entry);
      if (isCurrent) current = { outcome: "filtered", ...entry };
      continue;
    }
    const score =
      shared !== undefined && !isCurrent
        ? shared.scoreNotCurrent(candidate, now, p.stickiness)
        : scoreCandidate(metricsOf(candidate), isCurrent, p.stickiness);
    const entry = passedEntry(candidate, score);
    passed.push(entry);
    if (isCurrent) currentPassed = entry;
  }

  passed.sort(compareRank);
  const scored = (entry: Passed, rank: number): ScoredCandidate => ({
    cluster: entry.candidate.ref,
    rank,
    tier: entry.score.tier,
    score: entry.score.score,
    components: entry.score.components,
  });
  if (currentPassed !== undefined) current = { outcome: "scored", ...scored(currentPassed, passed.indexOf(currentPassed) + 1) };
  if (scheduledTo !== undefined && current === undefined) current = { outcome: "absent", cluster: scheduledTo };

  const best = passed[0];
  const migrationTimeout = app.status?.migrationTimeout ?? 0;
  const verdict = stabilize({
    now,
    policy: p,
    migrationEnabled: app.spec?.constraints?.migration !== false,
    autoClusterCreate: app.spec?.autoClusterCreate === true,
    ...(app.status?.scheduled !== undefined && { lastBoundAt: timestampToDate(app.status.scheduled) }),
    ...(migrationTimeout > 0 && { migrationBlockedUntil: new Date(migrationTimeout * 1000) }),
    history,
    ...(current !== undefined && { current }),
    ...(best !== undefined && { best: { cluster: best.candidate.ref, score: best.score } }),
  });

  const chosen = verdict.chosen;
  const chosenEntry = chosen === undefined ? undefined : passed.find((e) => sameCluster(e.candidate.ref, chosen));
  failed.sort((a, b) => compareStrings(refKey(a.cluster), refKey(b.cluster)));
  return {
    time,
    application,
    action: verdict.action,
    ...(chosen !== undefined && { chosen }),
    ...(chosenEntry !== undefined && {
      tier: chosenEntry.score.tier,
      score: chosenEntry.score.score,
      components: chosenEntry.score.components,
    }),
    reason: verdict.reason,
    ...(current !== undefined && { current }),
    scored: passed.slice(0, p.limit).map((e, i) => scored(e, i + 1)),
    filtered: failed.slice(0, p.limit),
    moreScored: Math.max(0, passed.length - p.limit),
    moreFiltered: Math.max(0, failed.length - p.limit),
    migrations: verdict.migrations,
  };
}

/** The cluster the Application is bound to (`status.scheduled_to`), if any. */
function boundCluster(app: Application): ResourceRef | undefined {
  const ref = app.status?.scheduledTo;
  return ref === undefined || ref.name === "" ? undefined : ref;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
