/**
 * No flip-flop: whether an Application moves, given its current cluster's and
 * the best candidate's scores. A pure function of its input; the migration
 * history is a value the caller keeps (in the Application's status) and gets
 * back updated.
 *
 * In order:
 * 1. migration disabled (`spec.constraints.migration` false) and scheduled →
 *    stay, whatever happens to the current cluster (the reason says if it fails);
 * 2. nothing passes the filters → none (the current binding is kept);
 * 3. not scheduled → place on the best;
 * 4. the current cluster fails a filter or is gone → move to the best
 *    (evacuation: margin, dwell, backoff and budget do not apply — staying on
 *    a deleted or OFFLINE cluster is never the stable choice);
 * 5. the current cluster is the best → stay;
 * 6. the best does not beat it by more than `margin` → stay;
 * 7. a failed migration's backoff (`status.migration_timeout`) → stay;
 * 8. the last binding is within `minDwellMs` → stay;
 * 9. `maxMigrationsPerWindow` moves already in the last `windowMs` → stay;
 * 10. move.
 * Every move (4 and 10) is recorded in the history; placement is not a move.
 */

import type { ResourceRef } from "../../gen/krake/core/v1/types.js";
import type { CurrentCluster, DecisionAction, DecisionCode, DecisionReason } from "./decision.js";
import type { SchedulingPolicy } from "./policy.js";
import { formatDuration, formatScore as fmt } from "./internal/format.js";
import { beatsBy } from "./score.js";
import type { Score } from "./score.js";

export interface StabilityInput {
  readonly now: Date;
  readonly policy: Pick<SchedulingPolicy, "margin" | "minDwellMs" | "maxMigrationsPerWindow" | "windowMs">;
  readonly migrationEnabled: boolean;
  readonly autoClusterCreate: boolean;
  /** The Application's last binding (`status.scheduled`), if any. */
  readonly lastBoundAt?: Date;
  /** No voluntary move before this (`status.migration_timeout`). */
  readonly migrationBlockedUntil?: Date;
  /** Times of past moves, oldest first (as persisted: Dates or ISO strings). */
  readonly history: readonly (Date | string)[];
  /** The current cluster; absent when the Application is not scheduled. */
  readonly current?: CurrentCluster;
  /** The best-ranked candidate; absent when nothing passes the filters. */
  readonly best?: { readonly cluster: ResourceRef; readonly score: Score };
}

export interface StabilityVerdict {
  readonly action: DecisionAction;
  readonly chosen?: ResourceRef;
  readonly reason: DecisionReason;
  /** The history after this decision: moves within the window, oldest first. */
  readonly migrations: string[];
}

export function stabilize(input: StabilityInput): StabilityVerdict {
  const { now, policy, current, best } = input;
  const nowMs = now.getTime();
  const recent = recentMigrations(input.history, now, policy.windowMs);
  const kept = recent.map((t) => new Date(t).toISOString());
  const verdict = (action: DecisionAction, chosen: ResourceRef | undefined, code: DecisionCode, message: string) => ({
    action,
    ...(chosen !== undefined && { chosen }),
    reason: { code, message },
    migrations: action === "move" ? [...kept, now.toISOString()] : kept,
  });

  if (current !== undefined && !input.migrationEnabled) {
    const trouble =
      current.outcome === "filtered"
        ? `, although it fails a filter: ${current.detail}`
        : current.outcome === "absent"
          ? ", although it is no longer a candidate"
          : "";
    const message = `migration is disabled: the application stays on ${name(current.cluster)}${trouble}`;
    return verdict("stay", current.cluster, "MigrationDisabled", message);
  }
  if (best === undefined) {
    const keep = current === undefined ? "" : `; it stays bound to ${name(current.cluster)}`;
    if (input.autoClusterCreate) {
      const message = `no cluster fits; creating one on a cloud (auto_cluster_create) needs the infrastructure controller${keep}`;
      return verdict("none", undefined, "ClusterCreationRequired", message);
    }
    return verdict("none", undefined, "NoClusterFound", `no cluster fits the application's constraints${keep}`);
  }
  const bestText = `${name(best.cluster)} (score ${fmt(best.score.score)}${tierNote(best.score)})`;
  if (current === undefined) return verdict("place", best.cluster, "Placed", `${bestText} ranks first`);
  if (current.outcome !== "scored") {
    const why = current.outcome === "filtered" ? current.detail : `${name(current.cluster)} is no longer a candidate`;
    return verdict("move", best.cluster, "Evacuated", `moving to ${bestText} because ${why}`);
  }

  const stay = (code: DecisionCode, message: string) => verdict("stay", current.cluster, code, message);
  const currentScore: Score = { tier: current.tier, score: current.score, components: current.components };
  const currentText = `${name(current.cluster)} (score ${fmt(current.score)}${tierNote(currentScore)})`;
  if (sameCluster(best.cluster, current.cluster)) return stay("CurrentIsBest", `${currentText} still ranks first`);
  const versus = `${bestText} ranks above the current ${currentText}`;
  if (!beatsBy(best.score, currentScore, policy.margin)) {
    return stay("WithinMargin", `${versus}, but not by more than the margin ${policy.margin}`);
  }
  const blockedUntil = input.migrationBlockedUntil;
  if (blockedUntil !== undefined && blockedUntil.getTime() > nowMs) {
    return stay("MigrationBackoff", `${versus}, but a failed migration blocks moves until ${blockedUntil.toISOString()}`);
  }
  const lastMove = Math.max(input.lastBoundAt?.getTime() ?? -Infinity, recent.at(-1) ?? -Infinity);
  if (nowMs - lastMove < policy.minDwellMs) {
    const since = new Date(lastMove).toISOString();
    return stay("MinDwell", `${versus}, but the application was bound at ${since}, less than ${formatDuration(policy.minDwellMs)} ago`);
  }
  if (recent.length >= policy.maxMigrationsPerWindow) {
    const budget = `${policy.maxMigrationsPerWindow} per ${formatDuration(policy.windowMs)}`;
    return stay("MigrationLimit", `${versus}, but it already moved ${recent.length} times (at most ${budget})`);
  }
  return verdict("move", best.cluster, "Moved", `${versus} by more than the margin ${policy.margin}`);
}

/**
 * The moves of `history` within the window ending at `now`, as epoch
 * milliseconds, oldest first; unparseable entries are dropped. What a
 * decision keeps of the history.
 */
export function recentMigrations(history: readonly (Date | string)[], now: Date, windowMs: number): number[] {
  const windowStart = now.getTime() - windowMs;
  return history
    .map((t) => (typeof t === "string" ? Date.parse(t) : t.getTime()))
    .filter((t) => Number.isFinite(t) && t > windowStart)
    .sort((a, b) => a - b);
}

/** Same cluster: namespace and name (a binding made by an older writer may lack api/kind). */
export function sameCluster(a: ResourceRef, b: ResourceRef): boolean {
  return a.namespace === b.namespace && a.name === b.name && (a.kind === b.kind || a.kind === "" || b.kind === "");
}

function name(ref: ResourceRef): string {
  return `cluster ${JSON.stringify(ref.name)}`;
}

function tierNote(score: Score): string {
  return score.tier === "metrics" ? "" : " (without usable metrics)";
}
