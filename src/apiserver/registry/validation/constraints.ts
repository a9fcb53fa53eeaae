/**
 * Krake's constraint grammar, as the validators use it. The grammar lives in
 * the neutral scheduling module (src/scheduling/constraints.ts), which the
 * scheduler and the API's dry run share: what the API accepts is exactly what
 * the scheduler understands.
 */

export {
  evaluateLabelConstraint,
  matchLabelConstraint,
  matchMetricConstraint,
  parseLabelConstraint,
  parseMetricConstraint,
} from "../../../scheduling/constraints.js";
export type {
  ConstraintOp,
  LabelConstraint,
  LabelConstraintOp,
  LabelEvaluation,
  MetricConstraint,
  MetricConstraintOp,
  Result,
} from "../../../scheduling/constraints.js";
