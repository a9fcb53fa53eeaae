/**
 * The filters a candidate must pass to be scored, in the order they run. A
 * candidate that fails is reported with the FIRST filter it failed, in a
 * machine-readable form plus a sentence (`detail`):
 *
 *   namespace         the cluster is in another namespace than the Application
 *                     (Krake considers only the Application's namespace)
 *   deleted           the cluster is being deleted
 *   state             the cluster is not ONLINE
 *   label             a label constraint; the cluster's value, or null if absent
 *   custom_resources  the custom resources the cluster does not serve
 *   metric            a metric constraint on the normalised value; or the
 *                     metric is absent from the cluster or unusable
 */

import { ClusterStatus_State, clusterStatus_StateToJSON } from "../../gen/krake/kubernetes/v1/cluster.js";
import { evaluateLabelConstraint, matchMetricConstraint } from "./constraints.js";
import type { ClusterConstraintSet } from "./constraints.js";
import type { Candidate } from "./candidates.js";
import type { MetricEvaluation, MetricStatus } from "./metrics.js";
import { formatTimestamp } from "../kinds/timestamp.js";

export type FilterName = "namespace" | "deleted" | "state" | "label" | "custom_resources" | "metric";

/** The first filter a candidate failed. Every variant carries `detail`, one sentence. */
export type FilterFailure =
  | { readonly filter: "namespace"; readonly detail: string; readonly namespace: string }
  | { readonly filter: "deleted"; readonly detail: string; readonly deletedAt: string }
  | { readonly filter: "state"; readonly detail: string; readonly state: string }
  | {
      readonly filter: "label";
      readonly detail: string;
      /** The constraint as the user wrote it. */
      readonly constraint: string;
      readonly key: string;
      /** The cluster's value; null when the label is absent. */
      readonly value: string | null;
    }
  | { readonly filter: "custom_resources"; readonly detail: string; readonly missing: readonly string[] }
  | {
      readonly filter: "metric";
      readonly detail: string;
      readonly constraint: string;
      readonly metric: string;
      /** `ok` when the value did not satisfy the constraint; `absent` when the cluster has no such metric. */
      readonly status: MetricStatus | "absent";
      /** The normalised value compared, when there was one. */
      readonly normalized?: number;
    };

export interface FilterContext {
  /** The Application's namespace. */
  readonly namespace: string;
  readonly constraints: ClusterConstraintSet;
  /** The candidate's metrics evaluated now; called only when a metric constraint needs them. */
  readonly metricsOf: (candidate: Candidate) => readonly MetricEvaluation[];
}

/** The first filter `candidate` fails, or undefined when it passes all. Pure. */
export function firstFailedFilter(candidate: Candidate, ctx: FilterContext): FilterFailure | undefined {
  const { cluster } = candidate;
  if (candidate.ref.namespace !== ctx.namespace) {
    return {
      filter: "namespace",
      namespace: candidate.ref.namespace,
      detail: `cluster ${quotedName(candidate)} is in namespace ${JSON.stringify(candidate.ref.namespace)}, the application in ${JSON.stringify(ctx.namespace)}`,
    };
  }
  const deleted = cluster.metadata?.deleted;
  if (deleted !== undefined) {
    const deletedAt = formatTimestamp(deleted);
    return { filter: "deleted", deletedAt, detail: `cluster ${quotedName(candidate)} is being deleted (since ${deletedAt})` };
  }
  const state = cluster.status?.state ?? ClusterStatus_State.PENDING;
  if (state !== ClusterStatus_State.ONLINE) {
    const stateName = clusterStatus_StateToJSON(state);
    return { filter: "state", state: stateName, detail: `cluster ${quotedName(candidate)} is ${stateName}, not ONLINE` };
  }

  for (const { text, constraint } of ctx.constraints.labels) {
    const result = evaluateLabelConstraint(constraint, candidate.labels);
    if (result.matched) continue;
    const seen =
      result.value === undefined
        ? `it has no label ${JSON.stringify(constraint.key)}`
        : `its label ${JSON.stringify(constraint.key)} is ${JSON.stringify(result.value)}`;
    return {
      filter: "label",
      constraint: text,
      key: constraint.key,
      value: result.value ?? null,
      detail: `cluster ${quotedName(candidate)} does not match ${JSON.stringify(text)}: ${seen}`,
    };
  }

  const missing = missingCustomResources(ctx.constraints.customResources, candidate.customResources);
  if (missing.length > 0) {
    return {
      filter: "custom_resources",
      missing,
      detail: `cluster ${quotedName(candidate)} does not serve the custom resource${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`,
    };
  }

  if (ctx.constraints.metrics.length === 0) return undefined;
  const evaluations = ctx.metricsOf(candidate);
  for (const { text, constraint } of ctx.constraints.metrics) {
    const metric = metricNamed(evaluations, constraint.key);
    const base = { filter: "metric", constraint: text, metric: constraint.key } as const;
    if (metric === undefined) {
      return { ...base, status: "absent", detail: `${noMatch(candidate, text)}: it has no metric ${JSON.stringify(constraint.key)}` };
    }
    if (metric.status !== "ok" || metric.normalized === undefined) {
      return { ...base, status: metric.status, detail: `${noMatch(candidate, text)}: the metric is ${metric.status} (${metric.detail ?? ""})` };
    }
    if (!matchMetricConstraint(constraint, metric.normalized)) {
      const normalized = metric.normalized;
      return { ...base, status: "ok", normalized, detail: `${noMatch(candidate, text)}: its normalised value is ${normalized}` };
    }
  }
  return undefined;
}

// Strings for a failure's detail: built only on failure (no closures per call:
// this runs for every candidate of every decision, and most pass).
function quotedName(candidate: Candidate): string {
  return JSON.stringify(candidate.ref.name);
}

function noMatch(candidate: Candidate, constraint: string): string {
  return `cluster ${quotedName(candidate)} does not match ${JSON.stringify(constraint)}`;
}

function missingCustomResources(wanted: readonly string[], served: readonly string[]): string[] {
  const missing: string[] = [];
  for (const cr of wanted) if (!served.includes(cr)) missing.push(cr);
  return missing;
}

/** The evaluation of the metric a constraint names: by name, else by key (`namespace/name`). */
function metricNamed(evaluations: readonly MetricEvaluation[], key: string): MetricEvaluation | undefined {
  for (const m of evaluations) if (m.name === key) return m;
  for (const m of evaluations) if (m.key === key) return m;
  return undefined;
}
