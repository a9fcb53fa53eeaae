import type {
  GlobalMetricsProvider,
  MetricsProvider,
  MetricsProviderSpec,
} from "../../../gen/krake/core/v1/metrics_provider.js";
import type { FieldError } from "../../errors/api-error.js";
import {
  globalMetricsProviderKind as generatedGlobalMetricsProvider,
  metricsProviderKind as generatedMetricsProvider,
} from "../../kinds/index.js";
import { mapEntry, validateHttpUrl, validateRequiredString } from "../registry/validation/index.js";
import { serverKind } from "./server-kind.js";

/** MetricsProvider and GlobalMetricsProvider: validation only, the same rules for both. */
export const metricsProviderKind = serverKind<MetricsProvider>(generatedMetricsProvider, { validate: validateMetricsProvider });
export const globalMetricsProviderKind = serverKind<GlobalMetricsProvider>(generatedGlobalMetricsProvider, {
  validate: validateMetricsProvider,
});

// ---- validation ---------------------------------------------------------------------------------

export const METRICS_PROVIDER_TYPES = ["prometheus", "influx", "kafka", "static"] as const;
export type MetricsProviderType = (typeof METRICS_PROVIDER_TYPES)[number];

/**
 * The spec of a MetricsProvider or GlobalMetricsProvider (metadata is
 * validated by `validateMetadata`): `type` is one of prometheus, influx,
 * kafka, static; the variant of that name is set and no other.
 *
 * - prometheus: `url` an http(s) URL.
 * - influx: `url` (http(s)), `token`, `org`, `bucket` required.
 * - kafka: `url` (http(s)), `comparison_column`, `value_column`, `table` required.
 * - static: every `metrics` entry has a non-empty name and a finite value.
 */
export function validateMetricsProvider(provider: MetricsProvider | GlobalMetricsProvider): FieldError[] {
  const spec = provider.spec;
  if (spec === undefined) return [{ field: "spec", message: "is required" }];
  const type = spec.type;
  if (!isProviderType(type)) {
    return [{ field: "spec.type", message: `must be one of ${METRICS_PROVIDER_TYPES.map((t) => `"${t}"`).join(", ")}` }];
  }
  const errors: FieldError[] = [];
  for (const other of METRICS_PROVIDER_TYPES) {
    if (other !== type && spec[other] !== undefined) {
      errors.push({ field: `spec.${other}`, message: `must not be set when type is "${type}"` });
    }
  }
  if (spec[type] === undefined) {
    errors.push({ field: `spec.${type}`, message: `is required when type is "${type}"` });
    return errors;
  }
  errors.push(...validateVariant(spec, type));
  return errors;
}

function isProviderType(type: string): type is MetricsProviderType {
  return (METRICS_PROVIDER_TYPES as readonly string[]).includes(type);
}

function validateVariant(spec: MetricsProviderSpec, type: MetricsProviderType): FieldError[] {
  switch (type) {
    case "prometheus":
      return validateHttpUrl(spec.prometheus?.url, "spec.prometheus.url");
    case "influx": {
      const influx = spec.influx;
      return [
        ...validateHttpUrl(influx?.url, "spec.influx.url"),
        ...validateRequiredString(influx?.token, "spec.influx.token"),
        ...validateRequiredString(influx?.org, "spec.influx.org"),
        ...validateRequiredString(influx?.bucket, "spec.influx.bucket"),
      ];
    }
    case "kafka": {
      const kafka = spec.kafka;
      return [
        ...validateHttpUrl(kafka?.url, "spec.kafka.url"),
        ...validateRequiredString(kafka?.comparisonColumn, "spec.kafka.comparison_column"),
        ...validateRequiredString(kafka?.valueColumn, "spec.kafka.value_column"),
        ...validateRequiredString(kafka?.table, "spec.kafka.table"),
      ];
    }
    case "static": {
      const errors: FieldError[] = [];
      for (const [name, value] of Object.entries(spec.static?.metrics ?? {})) {
        const field = mapEntry("spec.static.metrics", name);
        if (name === "") errors.push({ field, message: "metric name must not be empty" });
        if (typeof value !== "number" || !Number.isFinite(value)) errors.push({ field, message: "must be a finite number" });
      }
      return errors;
    }
  }
}
