import type { FieldError } from "../../../../errors/api-error.js";
import type { MetricRef } from "../../../../../gen/krake/core/v1/types.js";
import type { Result } from "../constraints.js";
import { validateName } from "../names.js";
import { child, item } from "./paths.js";

/** Small checks shared by the per-kind validators. None throws or mutates. */

/** A plain JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function isNonEmptyString(value: unknown): value is string {
  return typeof value === "string" && value !== "";
}

/** Is `value` an absolute http(s) URL with a host? */
export function isHttpUrl(value: string): boolean {
  const url = parseUrl(value);
  return url !== undefined && (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
}

/** Is `value` an http(s) URL whose path ends with one of `suffixes` (case-insensitive)? */
export function isHttpUrlWithSuffix(value: string, suffixes: readonly string[]): boolean {
  if (!isHttpUrl(value)) return false;
  const path = parseUrl(value)?.pathname.toLowerCase() ?? "";
  return suffixes.some((s) => path.endsWith(s));
}

function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/** A required http(s) URL. */
export function validateHttpUrl(value: string | undefined, field: string): FieldError[] {
  if (value === undefined || value === "") return [{ field, message: "is required" }];
  return isHttpUrl(value) ? [] : [{ field, message: "must be an http or https URL" }];
}

export function validateRequiredString(value: unknown, field: string): FieldError[] {
  return isNonEmptyString(value) ? [] : [{ field, message: "is required" }];
}

/** An optional integer that must be at least `min` when set. */
export function validateIntAtLeast(value: number | undefined, min: number, field: string): FieldError[] {
  if (value === undefined) return [];
  if (!Number.isInteger(value) || value < min) {
    return [{ field, message: min === 0 ? "must be a non-negative integer" : `must be an integer of at least ${min}` }];
  }
  return [];
}

interface Backoff {
  backoff?: number | undefined;
  backoffDelay?: number | undefined;
  backoffLimit?: number | undefined;
}

/** Krake's retry trio: backoff ≥ 0, backoff_delay ≥ 0, backoff_limit ≥ -1 (-1: no limit). */
export function validateBackoff(spec: Backoff, base = "spec"): FieldError[] {
  return [
    ...validateIntAtLeast(spec.backoff, 0, child(base, "backoff")),
    ...validateIntAtLeast(spec.backoffDelay, 0, child(base, "backoff_delay")),
    ...validateIntAtLeast(spec.backoffLimit, -1, child(base, "backoff_limit")),
  ];
}

/** `<plural>.<group>`: a lowercase DNS label, a dot, and a lowercase DNS subdomain. */
const DNS_LABEL = "[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?";
const PLURAL = new RegExp(`^${DNS_LABEL}$`);
const GROUP = new RegExp(`^${DNS_LABEL}(?:\\.${DNS_LABEL})*$`);
export const CUSTOM_RESOURCE_RULE =
  'must be "<plural>.<group>": a lowercase plural name, a dot and an API group ' +
  '(lowercase letters, digits, "-" and ".")';

export function isCustomResource(value: unknown): boolean {
  if (typeof value !== "string") return false;
  const dot = value.indexOf(".");
  if (dot < 0) return false;
  const group = value.slice(dot + 1);
  return PLURAL.test(value.slice(0, dot)) && group.length <= 253 && GROUP.test(group);
}

export function validateCustomResources(list: readonly string[] | undefined, field: string): FieldError[] {
  const errors: FieldError[] = [];
  (list ?? []).forEach((value, i) => {
    if (!isCustomResource(value)) {
      errors.push({ field: item(field, i), message: CUSTOM_RESOURCE_RULE });
    }
  });
  return errors;
}

/** Each string of `list` must parse with `parse`; the parser's message becomes the error. */
export function validateConstraintList<T>(
  list: readonly string[] | undefined,
  field: string,
  parse: (expression: string) => Result<T>,
): FieldError[] {
  const errors: FieldError[] = [];
  (list ?? []).forEach((expression, i) => {
    const parsed = typeof expression === "string" ? parse(expression) : { ok: false as const, error: "must be a string" };
    if (!parsed.ok) errors.push({ field: item(field, i), message: parsed.error });
  });
  return errors;
}

/**
 * A TOSCA template given as an object. Krake runs tosca-parser; we only check
 * what it would reject first: `tosca_definitions_version` must be given.
 */
export function validateToscaTemplate(tosca: Record<string, unknown>, field: string): FieldError[] {
  return isNonEmptyString(tosca["tosca_definitions_version"])
    ? []
    : [{ field: child(field, "tosca_definitions_version"), message: "is required in a TOSCA template" }];
}

/** `metrics` references: each with a valid `name` and a `weight` that is a positive number. */
export function validateMetricRefs(metrics: readonly MetricRef[] | undefined, base: string): FieldError[] {
  const errors: FieldError[] = [];
  (metrics ?? []).forEach((metric, i) => {
    const path = item(base, i);
    if (!isNonEmptyString(metric.name)) errors.push({ field: child(path, "name"), message: "is required" });
    else errors.push(...validateName(metric.name, child(path, "name")));
    if (typeof metric.weight !== "number" || !Number.isFinite(metric.weight) || metric.weight <= 0) {
      errors.push({ field: child(path, "weight"), message: "is required: a positive number" });
    }
  });
  return errors;
}
