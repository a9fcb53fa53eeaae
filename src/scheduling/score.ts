/**
 * Scoring and ranking of the candidates that passed every filter.
 *
 *   score = (Σ vᵢ·wᵢ + s·w_s) / (Σ wᵢ + w_s)
 *
 * vᵢ is metric i's normalised value and wᵢ its weight on the cluster; s is 1
 * on the cluster the Application is bound to and 0 elsewhere; w_s is the
 * stickiness weight. w_s is in every denominator, so the stickiness term is
 * worth the same on every cluster with the same metric weights (Krake adds it
 * to the current cluster's denominator only).
 *
 * Clusters whose metrics can all be used (the `metrics` tier) rank above any
 * cluster without metrics, or with a metric that is unusable (missing, stale,
 * out of range…: the `no_metrics` tier, scored s·w_s), as Krake prefers
 * clusters with fetched metrics. Within a tier the higher score wins; scores
 * equal to 1e-9 tie, and ties go to the smaller sha256(app uid, cluster uid):
 * the same input gives the same choice whatever the order of the candidates,
 * while different Applications spread over equally good clusters.
 */

import { createHash } from "node:crypto";
import type { MetricEvaluation, MetricStatus } from "./metrics.js";

export type ScoreTier = "metrics" | "no_metrics";

/** One term of a score: a metric of the cluster, or the stickiness term. */
export type ScoreComponent =
  | {
      readonly kind: "metric";
      readonly name: string;
      /** See `metricKey`; absent when the reference cannot resolve. */
      readonly key?: string;
      readonly weight: number;
      readonly status: MetricStatus;
      /** The raw value, when one was read. */
      readonly value?: number;
      readonly normalized?: number;
      readonly observedAt?: string;
      readonly detail?: string;
    }
  | { readonly kind: "stickiness"; readonly value: 0 | 1; readonly weight: number };

export interface Score {
  readonly tier: ScoreTier;
  readonly score: number;
  /** The metrics (each with its status), then the stickiness term. */
  readonly components: readonly ScoreComponent[];
}

/** Scores one candidate from its evaluated metrics. */
export function scoreCandidate(metrics: readonly MetricEvaluation[], isCurrent: boolean, stickiness: number): Score {
  const s: 0 | 1 = isCurrent ? 1 : 0;
  const components: ScoreComponent[] = metrics.map((m) => ({
    kind: "metric",
    name: m.name,
    ...(m.key !== undefined && { key: m.key }),
    weight: m.weight,
    status: m.status,
    ...(m.value !== undefined && { value: m.value }),
    ...(m.normalized !== undefined && { normalized: m.normalized }),
    ...(m.observedAt !== undefined && { observedAt: m.observedAt }),
    ...(m.detail !== undefined && { detail: m.detail }),
  }));
  components.push({ kind: "stickiness", value: s, weight: stickiness });

  const usable = metrics.length > 0 && metrics.every((m) => m.status === "ok" && m.normalized !== undefined);
  if (!usable) return { tier: "no_metrics", score: s * stickiness, components };
  let sum = s * stickiness;
  let norm = stickiness;
  for (const m of metrics) {
    sum += (m.normalized ?? 0) * m.weight;
    norm += m.weight;
  }
  return { tier: "metrics", score: norm > 0 ? sum / norm : 0, components };
}

/** What ranking needs of a scored candidate. */
export interface Rankable {
  readonly score: Score;
  /** `tieBreakKey(app uid, cluster uid)`. */
  readonly tieKey: string;
  /** `namespace/name`: the last resort when two tie keys are equal. */
  readonly refKey: string;
}

/** Orders best first: tier, then score (to 1e-9), then tie key, then name. A total order. */
export function compareRank(a: Rankable, b: Rankable): number {
  const tier = tierRank(b.score.tier) - tierRank(a.score.tier);
  if (tier !== 0) return tier;
  const score = quantize(b.score.score) - quantize(a.score.score);
  if (score !== 0) return score;
  if (a.tieKey !== b.tieKey) return a.tieKey < b.tieKey ? -1 : 1;
  return a.refKey < b.refKey ? -1 : a.refKey > b.refKey ? 1 : 0;
}

/**
 * Does `a` beat `b` by more than `margin`? A cluster in the `metrics` tier
 * beats one in the `no_metrics` tier whatever the scores.
 */
export function beatsBy(a: Score, b: Score, margin: number): boolean {
  if (a.tier !== b.tier) return tierRank(a.tier) > tierRank(b.tier);
  return quantize(a.score - b.score) > quantize(margin);
}

/** A stable, uniformly spread key for breaking ties between clusters for one Application. */
export function tieBreakKey(appUid: string, clusterUid: string): string {
  return createHash("sha256").update(appUid).update("\0").update(clusterUid).digest("hex");
}

function tierRank(tier: ScoreTier): number {
  return tier === "metrics" ? 1 : 0;
}

function quantize(score: number): number {
  return Math.round(score * 1e9);
}
