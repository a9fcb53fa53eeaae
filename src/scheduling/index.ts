// The scheduling core: pure functions from plain objects (generated types and
// a map of metric values) to an explained Decision. No I/O and no state; the
// scheduler controller and the API's dry run both call `decide`, and both
// report it as `status.scheduling` says it (`decisionStatus`). The metric
// values come from ./providers/ (the one part with I/O: HTTP queries to the
// metrics providers), which this index does not re-export.
//
// Typical use:
//   const policy = resolvePolicy(config.scheduling);          // at startup
//   const candidates = buildCandidates(clustersOfNamespace, { clouds, globalClouds });
//   const decision = decide(app, candidates, metricValues, new Date(), policy, app.status?.migrations);
//   // decision.action: place | move → bind to decision.chosen; persist decision.migrations.

export { decide } from "./decide.js";
export { decisionChanged, decisionStatus } from "./decision-status.js";
export { buildCandidates, toCandidate } from "./candidates.js";
export type { Candidate, CloudSet, EffectiveMetric } from "./candidates.js";
export { evaluateMetric, metricKey } from "./metrics.js";
export type { MetricDefinition, MetricEvaluation, MetricReading, MetricStatus, MetricValues, WeightedMetric } from "./metrics.js";
export { defaultSchedulingPolicy, resolvePolicy } from "./policy.js";
export type { SchedulingPolicy } from "./policy.js";
export { defaultPolicySettings, policyFromSettings } from "./settings.js";
export type { PolicySettings } from "./settings.js";
export type {
  CurrentCluster,
  Decision,
  DecisionAction,
  DecisionCode,
  DecisionReason,
  FilteredCandidate,
  ScoredCandidate,
} from "./decision.js";

// Building blocks, for callers that need one step (validation, tests, tools).
export {
  evaluateLabelConstraint,
  matchLabelConstraint,
  matchMetricConstraint,
  parseClusterConstraints,
  parseLabelConstraint,
  parseMetricConstraint,
} from "./constraints.js";
export type {
  ClusterConstraintSet,
  LabelConstraint,
  LabelConstraintOp,
  LabelEvaluation,
  MetricConstraint,
  MetricConstraintOp,
  ParsedConstraint,
  Result,
} from "./constraints.js";
export { firstFailedFilter } from "./filter.js";
export type { FilterContext, FilterFailure, FilterName } from "./filter.js";
export { beatsBy, compareRank, scoreCandidate, tieBreakKey } from "./score.js";
export type { Rankable, Score, ScoreComponent, ScoreTier } from "./score.js";
export { recentMigrations, sameCluster, stabilize } from "./stability.js";
export type { StabilityInput, StabilityVerdict } from "./stability.js";
