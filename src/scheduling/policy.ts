/** The knobs of a scheduling decision. Times are in milliseconds. */
export interface SchedulingPolicy {
  /** w_s, the weight of the stickiness term (Krake's `stickiness`). */
  readonly stickiness: number;
  /** A metric value read longer ago than this is stale (counts as missing). */
  readonly metricMaxAgeMs: number;
  /** How many scored and how many filtered candidates a Decision lists; the rest are counted. */
  readonly limit: number;
  /** A scheduled Application moves only to a cluster whose score beats its current one's by more than this. */
  readonly margin: number;
  /** ... and never within this time of its last binding. */
  readonly minDwellMs: number;
  /** ... and at most this many times per `windowMs`. */
  readonly maxMigrationsPerWindow: number;
  readonly windowMs: number;
}

export const defaultSchedulingPolicy: SchedulingPolicy = {
  stickiness: 0.1,
  metricMaxAgeMs: 5 * 60_000,
  limit: 10,
  margin: 0.1,
  minDwellMs: 5 * 60_000,
  maxMigrationsPerWindow: 3,
  windowMs: 60 * 60_000,
};

/**
 * Fills defaults (undefined counts as unset) and rejects nonsense: a
 * configuration error, thrown, so that a scheduler or API server calls it at
 * startup and `decide` never meets a bad policy.
 */
export function resolvePolicy(policy: Partial<SchedulingPolicy> = {}): SchedulingPolicy {
  const resolved = { ...defaultSchedulingPolicy };
  for (const [key, value] of Object.entries(policy) as [keyof SchedulingPolicy, number | undefined][]) {
    if (value !== undefined && key in defaultSchedulingPolicy) resolved[key] = value;
  }
  const nonNegative = ["stickiness", "metricMaxAgeMs", "margin", "minDwellMs"] as const;
  for (const key of nonNegative) {
    if (!(Number.isFinite(resolved[key]) && resolved[key] >= 0)) {
      throw new Error(`scheduling policy: ${key} must be a finite number ≥ 0, got ${resolved[key]}`);
    }
  }
  for (const key of ["limit", "maxMigrationsPerWindow"] as const) {
    if (!(Number.isInteger(resolved[key]) && resolved[key] >= 0)) {
      throw new Error(`scheduling policy: ${key} must be an integer ≥ 0, got ${resolved[key]}`);
    }
  }
  if (!(Number.isFinite(resolved.windowMs) && resolved.windowMs > 0)) {
    throw new Error(`scheduling policy: windowMs must be a positive number, got ${resolved.windowMs}`);
  }
  return resolved;
}
