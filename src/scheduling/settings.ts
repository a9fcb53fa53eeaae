import { defaultSchedulingPolicy, resolvePolicy } from "./policy.js";
import type { SchedulingPolicy } from "./policy.js";

/**
 * The knobs of a scheduling decision as the processes' configurations name
 * them: krake-scheduler's `scheduler:` section and krake-api's `scheduling:`
 * section (the dry run) share these keys, so that one YAML block serves both.
 */
export interface PolicySettings {
  stickiness: number;
  /** A move needs the best cluster to beat the current one by more than this (score units, 0..1). */
  margin: number;
  minDwellMs: number;
  maxMigrationsPerWindow: number;
  migrationWindowMs: number;
  /** A metric value older than this counts as missing. */
  metricMaxAgeMs: number;
  /** Candidates listed in an explanation, per list. */
  explainLimit: number;
}

export const defaultPolicySettings: Readonly<PolicySettings> = {
  stickiness: defaultSchedulingPolicy.stickiness,
  margin: defaultSchedulingPolicy.margin,
  minDwellMs: defaultSchedulingPolicy.minDwellMs,
  maxMigrationsPerWindow: defaultSchedulingPolicy.maxMigrationsPerWindow,
  migrationWindowMs: defaultSchedulingPolicy.windowMs,
  metricMaxAgeMs: defaultSchedulingPolicy.metricMaxAgeMs,
  explainLimit: defaultSchedulingPolicy.limit,
};

/** The policy the settings describe; throws on nonsense (call it at startup). */
export function policyFromSettings(s: PolicySettings): SchedulingPolicy {
  return resolvePolicy({
    stickiness: s.stickiness,
    margin: s.margin,
    minDwellMs: s.minDwellMs,
    maxMigrationsPerWindow: s.maxMigrationsPerWindow,
    windowMs: s.migrationWindowMs,
    metricMaxAgeMs: s.metricMaxAgeMs,
    limit: s.explainLimit,
  });
}
