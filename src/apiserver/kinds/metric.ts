import type { GlobalMetric, Metric } from "../../../gen/krake/core/v1/metric.js";
import type { FieldError } from "../../errors/api-error.js";
import { globalMetricKind as generatedGlobalMetric, metricKind as generatedMetric } from "../../kinds/index.js";
import { isNonEmptyString, item, validateName } from "../registry/validation/index.js";
import { serverKind } from "./server-kind.js";

/** Metric and GlobalMetric: validation only, the same rules for both. */
export const metricKind = serverKind<Metric>(generatedMetric, { validate: validateMetric });
export const globalMetricKind = serverKind<GlobalMetric>(generatedGlobalMetric, { validate: validateMetric });

// ---- validation ---------------------------------------------------------------------------------

/**
 * The spec of a Metric or GlobalMetric (metadata is validated by
 * `validateMetadata`): `provider.name` and `provider.metric` are required
 * valid names, `min` and `max` finite with min < max, `allowed_values`
 * finite numbers (may be empty).
 */
export function validateMetric(metric: Metric | GlobalMetric): FieldError[] {
  const spec = metric.spec;
  if (spec === undefined) return [{ field: "spec", message: "is required" }];
  const errors: FieldError[] = [];

  const provider = spec.provider;
  if (provider === undefined) errors.push({ field: "spec.provider", message: "is required" });
  else {
    for (const [key, value] of [
      ["name", provider.name],
      ["metric", provider.metric],
    ] as const) {
      const field = `spec.provider.${key}`;
      if (!isNonEmptyString(value)) errors.push({ field, message: "is required" });
      else errors.push(...validateName(value, field));
    }
  }

  const minOk = isFiniteNumber(spec.min);
  const maxOk = isFiniteNumber(spec.max);
  if (!minOk) errors.push({ field: "spec.min", message: "must be a finite number" });
  if (!maxOk) errors.push({ field: "spec.max", message: "must be a finite number" });
  if (minOk && maxOk && !(spec.min < spec.max)) errors.push({ field: "spec.max", message: "min must be less than max" });

  (spec.allowedValues ?? []).forEach((value, i) => {
    if (!isFiniteNumber(value)) errors.push({ field: item("spec.allowed_values", i), message: "must be a finite number" });
  });
  return errors;
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}
