/**
 * A scheduling decision, explained: plain JSON-friendly data (times are
 * ISO-8601 strings, absent values are omitted or null, never Dates or Maps),
 * so that the scheduler can store it in the Application's status and the API
 * can answer a dry run with it as is.
 */

import type { ResourceRef } from "../../gen/krake/core/v1/types.js";
import type { FilterFailure } from "./filter.js";
import type { ScoreComponent, ScoreTier } from "./score.js";

/**
 * - `place`: the Application was not scheduled; bind it to `chosen`.
 * - `move`: bind it to `chosen`, another cluster than its current one.
 * - `stay`: keep the current binding (`chosen` is the current cluster).
 * - `none`: no cluster fits (`chosen` absent); the current binding, if any, is kept.
 */
export type DecisionAction = "place" | "move" | "stay" | "none";

/** Why, as a code (stable, for machines) and a sentence (for people). */
export type DecisionCode =
  /** `place`: the best candidate. */
  | "Placed"
  /** `move`: a cluster beats the current one by more than the margin, and the dwell time and migration budget allow it. */
  | "Moved"
  /** `move`: the current cluster fails a filter (deleted, not ONLINE, a constraint) or is gone; margin, dwell and budget do not apply. */
  | "Evacuated"
  /** `stay`: the current cluster ranks first. */
  | "CurrentIsBest"
  /** `stay`: the best cluster does not beat the current one by more than the margin. */
  | "WithinMargin"
  /** `stay`: the last binding is more recent than the minimum dwell time. */
  | "MinDwell"
  /** `stay`: the migrations allowed per window are used up. */
  | "MigrationLimit"
  /** `stay`: a failed migration blocks moves until `status.migration_timeout`. */
  | "MigrationBackoff"
  /** `stay`: `spec.constraints.migration` is false; a scheduled Application never moves. */
  | "MigrationDisabled"
  /** `none`: no candidate passes the filters. */
  | "NoClusterFound"
  /** `none`: no candidate passes and the Application asks for automatic cluster creation, which the infrastructure controller would do. */
  | "ClusterCreationRequired"
  /** `none`: a constraint of the Application does not parse. */
  | "InvalidConstraint";

export interface DecisionReason {
  readonly code: DecisionCode;
  readonly message: string;
}

/** A candidate that passed every filter. */
export interface ScoredCandidate {
  readonly cluster: ResourceRef;
  /** 1 for the best; ranks are by tier, then score, then the tie-break hash. */
  readonly rank: number;
  readonly tier: ScoreTier;
  readonly score: number;
  readonly components: readonly ScoreComponent[];
}

/** A candidate that failed a filter: the first one, with its machine-readable fields and `detail`. */
export type FilteredCandidate = FilterFailure & { readonly cluster: ResourceRef };

/** The cluster the Application is bound to, as this decision saw it. */
export type CurrentCluster =
  | ({ readonly outcome: "scored" } & ScoredCandidate)
  | ({ readonly outcome: "filtered" } & FilteredCandidate)
  /** Not among the candidates (removed from the store, or never given). */
  | { readonly outcome: "absent"; readonly cluster: ResourceRef };

export interface Decision {
  /** When the decision was made (`now`). */
  readonly time: string;
  readonly application: { readonly namespace: string; readonly name: string; readonly uid: string };
  readonly action: DecisionAction;
  /** The cluster the Application is (to be) bound to; absent for `none`. */
  readonly chosen?: ResourceRef;
  /** The chosen cluster's score and its terms, when it was scored. */
  readonly tier?: ScoreTier;
  readonly score?: number;
  readonly components?: readonly ScoreComponent[];
  readonly reason: DecisionReason;
  /** Present when the Application was scheduled before this decision. */
  readonly current?: CurrentCluster;
  /** The best `limit` scored candidates, best first (the chosen one among them unless held back by stability). */
  readonly scored: readonly ScoredCandidate[];
  /** The first `limit` filtered candidates, by namespace/name. */
  readonly filtered: readonly FilteredCandidate[];
  /** Scored and filtered candidates left out of the lists. */
  readonly moreScored: number;
  readonly moreFiltered: number;
  /**
   * The Application's migration history after this decision (ISO times, oldest
   * first, only those within the policy's window): the caller persists it and
   * hands it to the next decision.
   */
  readonly migrations: readonly string[];
}
