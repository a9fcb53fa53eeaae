/**
 * The validation library: the rules every kind shares (metadata, names,
 * labels), Krake's constraint grammar and manifests, and the checks each
 * kind's own validator is built from. The kinds' validators live with their
 * kind (src/apiserver/kinds/<kind>.ts). Every validator returns FieldError[]
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
export { validateManifest, validateObserverSchema } from "./manifest.js";

// For the kinds' own validators: field paths and the checks they share.
export { child, item, mapEntry } from "./internal/paths.js";
export {
  isHttpUrlWithSuffix,
  isNonEmptyString,
  isRecord,
  validateBackoff,
  validateConstraintList,
  validateCustomResources,
  validateHttpUrl,
  validateIntAtLeast,
  validateMetricRefs,
  validateRequiredString,
  validateToscaTemplate,
} from "./internal/checks.js";
