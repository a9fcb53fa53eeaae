/**
 * Pure validation of Krake resources. Every validator returns FieldError[]
 * (empty when valid) with paths in Krake's JSON names, never throws and never
 * mutates its input. The registry wraps the errors in `ApiError.invalid`.
 */

export {
  GENERATE_NAME_RULE,
  isValidLabelKey,
  isValidLabelValue,
  isValidName,
  LABEL_KEY_RULE,
  LABEL_VALUE_RULE,
  MAX_GENERATE_NAME_LENGTH,
  NAME_RULE,
  validateGenerateName,
  validateLabels,
  validateName,
  validateNamespace,
} from "./names.js";
export { validateMetadata } from "./metadata.js";
export type { MetadataOptions } from "./metadata.js";
export {
  matchLabelConstraint,
  matchMetricConstraint,
  parseLabelConstraint,
  parseMetricConstraint,
} from "./constraints.js";
export type {
  ConstraintOp,
  LabelConstraint,
  LabelConstraintOp,
  MetricConstraint,
  MetricConstraintOp,
  Result,
} from "./constraints.js";
export { APPLICATION_HOOKS, SHUTDOWN_FAILURE_STRATEGIES, validateApplication } from "./application.js";
export { validateManifest, validateObserverSchema } from "./manifest.js";
export { validateCluster, validateKubeconfig } from "./cluster.js";
export { validateMetric } from "./metric.js";
export { METRICS_PROVIDER_TYPES, validateMetricsProvider } from "./metrics-provider.js";
export type { MetricsProviderType } from "./metrics-provider.js";
export { ROLE_VERBS, validateRole, validateRoleBinding } from "./role.js";
