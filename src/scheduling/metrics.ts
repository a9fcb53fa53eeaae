/**
 * Metric values as the scheduling core sees them: the caller (the scheduler
 * controller, or the API's dry run) hands in one `MetricValues` map holding,
 * per metric, its definition (a Metric's or GlobalMetric's min, max and
 * allowed_values) and the provider's last reading. Nothing here fetches.
 *
 * A metric is identified by its key (`metricKey`): the GlobalMetric's name, or
 * `namespace/name` for a namespaced Metric. Names cannot contain "/", so the
 * two never collide.
 */

import { formatDuration } from "./internal/format.js";
import type { MetricSpec } from "../../gen/krake/core/v1/metric.js";

/** What the scheduler needs of a metric's definition. */
export type MetricDefinition = Pick<MetricSpec, "min" | "max" | "allowedValues">;

/** One metric: its definition and the provider's last reading. */
export interface MetricReading {
  /** The Metric's or GlobalMetric's spec; absent when no such metric exists. */
  readonly definition?: MetricDefinition;
  /** The provider's last value, raw (not normalised); absent when none was read yet. */
  readonly value?: number;
  /** When `value` was read. A value without a time counts as stale. */
  readonly observedAt?: Date;
  /** Why the provider's last attempt failed, if it did. Reported only when no fresh value remains. */
  readonly error?: string;
}

/** Every metric the candidates refer to, by `metricKey`. A key absent from the map is an unknown metric. */
export type MetricValues = ReadonlyMap<string, MetricReading>;

/** The key of a metric referenced from a resource in `namespace` ("" for global resources). */
export function metricKey(name: string, namespaced: boolean, namespace: string): string | undefined {
  if (!namespaced) return name;
  return namespace === "" ? undefined : `${namespace}/${name}`;
}

/**
 * Why a metric can or cannot be used:
 * - `ok`: a fresh value within the definition, normalised into [0, 1];
 * - `invalid`: the reference cannot resolve (a namespaced metric on a global
 *   cloud) or the definition is unusable (min ≥ max, non-finite bounds);
 * - `unknown`: no such Metric/GlobalMetric;
 * - `missing`: no value was read yet; `error`: the provider failed and no
 *   fresh value remains; `stale`: the value is older than the freshness bound;
 * - `out_of_range`: outside [min, max]; `not_allowed`: not in allowed_values.
 */
export type MetricStatus = "ok" | "invalid" | "unknown" | "missing" | "error" | "stale" | "out_of_range" | "not_allowed";

/** A metric reference of a candidate, with the weight it carries there. */
export interface WeightedMetric {
  readonly name: string;
  readonly weight: number;
  /** See `metricKey`; undefined when the reference cannot resolve. */
  readonly key: string | undefined;
}

/** A metric of a candidate, evaluated at one instant. */
export interface MetricEvaluation {
  readonly name: string;
  readonly key: string | undefined;
  readonly weight: number;
  readonly status: MetricStatus;
  /** The raw value, when one was read. */
  readonly value?: number;
  /** (value − min) / (max − min), only when `status` is `ok`. */
  readonly normalized?: number;
  /** ISO-8601 time of the reading, when known. */
  readonly observedAt?: string;
  /** In words, for anything but `ok`. */
  readonly detail?: string;
}

/**
 * Evaluates one metric at `now`. Krake's rule: the value must lie within
 * [min, max] and, when allowed_values is not empty, be one of them; it is then
 * normalised to (v − min)/(max − min). Beyond Krake: a value older than
 * `maxAgeMs` is stale, and a fresh value is used even when the provider's
 * latest attempt failed (an intermittent provider does not flap the score).
 */
export function evaluateMetric(metric: WeightedMetric, values: MetricValues, now: Date, maxAgeMs: number): MetricEvaluation {
  const base = { name: metric.name, key: metric.key, weight: metric.weight };
  if (metric.key === undefined) {
    return { ...base, status: "invalid", detail: `namespaced metric ${q(metric.name)} cannot be referenced by a global cloud` };
  }
  const reading = values.get(metric.key);
  const definition = reading?.definition;
  if (reading === undefined || definition === undefined) {
    return { ...base, status: "unknown", detail: `no metric ${q(metric.key)} is defined` };
  }
  const { min, max } = definition;
  if (!Number.isFinite(min) || !Number.isFinite(max) || !(min < max)) {
    return { ...base, status: "invalid", detail: `metric ${q(metric.key)} has an unusable range [${min}, ${max}]` };
  }
  const observedAt = reading.observedAt?.toISOString();
  const value = reading.value;
  const read = { ...base, ...(value !== undefined && { value }), ...(observedAt !== undefined && { observedAt }) };
  const age = reading.observedAt === undefined ? Infinity : now.getTime() - reading.observedAt.getTime();
  const fresh = value !== undefined && age <= maxAgeMs;
  if (!fresh && reading.error !== undefined) return { ...read, status: "error", detail: reading.error };
  if (value === undefined) return { ...read, status: "missing", detail: `no value of ${q(metric.key)} was read yet` };
  if (!fresh) {
    const when = observedAt === undefined ? "at an unknown time" : `at ${observedAt}`;
    return { ...read, status: "stale", detail: `the value was read ${when}, more than ${formatDuration(maxAgeMs)} ago` };
  }
  if (!Number.isFinite(value) || value < min || value > max) {
    return { ...read, status: "out_of_range", detail: `${value} is outside [${min}, ${max}]` };
  }
  const allowed = definition.allowedValues;
  if (allowed.length > 0 && !allowed.includes(value)) {
    return { ...read, status: "not_allowed", detail: `${value} is not one of the allowed values ${allowed.join(", ")}` };
  }
  return { ...read, status: "ok", normalized: (value - min) / (max - min) };
}

function q(s: string): string {
  return JSON.stringify(s);
}
