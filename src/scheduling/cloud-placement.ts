/**
 * Krake's placement of a Cluster that has no kubeconfig yet (one to be
 * created from its TOSCA template by the infrastructure controller) on a
 * Cloud or GlobalCloud (krake-model §7, "Cluster→Cloud"). Pure, as `decide`.
 *
 * The candidates are the Clouds of the cluster's namespace, then every
 * GlobalCloud. A cloud passes when it is not in deletion, is ONLINE (a cloud
 * whose metrics fail is FAILING_METRICS), matches every label constraint of
 * the cluster's `spec.constraints.cloud.labels` on its own labels, and every
 * metric constraint of `spec.constraints.cloud.metrics` on the normalised
 * value of its metric of that name, and all its metrics read (Krake sets a
 * cloud whose metric fails FAILING_METRICS and skips it; we skip it without
 * writing its status). Those that pass are scored `Σ vᵢ·wᵢ / Σ wᵢ` over the
 * cloud's metrics (`spec.openstack.metrics`); clouds with metrics rank above
 * those without (scored 0), as Krake prefers clouds with metrics. Ties go to
 * the namespaced cloud (Krake lists them first and keeps the first best),
 * then to the smaller tie-break hash of the cluster's and the cloud's uid.
 */

import type { Cloud, GlobalCloud } from "../../gen/krake/infrastructure/v1/cloud.js";
import { CloudStatus_State } from "../../gen/krake/infrastructure/v1/cloud.js";
import type { Cluster } from "../../gen/krake/kubernetes/v1/cluster.js";
import type { ResourceRef } from "../../gen/krake/core/v1/types.js";
import { cloudKind, globalCloudKind } from "../../gen/kinds.js";
import { evaluateLabelConstraint, matchMetricConstraint, parseClusterConstraints } from "./constraints.js";
import { evaluateMetric, metricKey } from "./metrics.js";
import type { MetricEvaluation, MetricValues } from "./metrics.js";
import type { ScoreTier } from "./score.js";
import { tieBreakKey } from "./score.js";

/** A Cloud or GlobalCloud as a place for a cluster, with its metric references resolved. */
export interface CloudCandidate {
  readonly cloud: Cloud | GlobalCloud;
  /** The reference a CloudBinding carries. */
  readonly ref: ResourceRef;
  readonly uid: string;
  readonly namespaced: boolean;
  /** `spec.openstack.metrics`, with their keys (a GlobalCloud's namespaced metric has none). */
  readonly metrics: readonly { readonly name: string; readonly weight: number; readonly namespaced: boolean; readonly key: string | undefined }[];
}

export interface CloudScore {
  readonly cloud: ResourceRef;
  readonly tier: ScoreTier;
  readonly score: number;
  readonly metrics: readonly MetricEvaluation[];
}

export interface CloudRejection {
  readonly cloud: ResourceRef;
  readonly filter: "deleted" | "state" | "label" | "metric";
  readonly detail: string;
}

export interface CloudDecision {
  /** Absent when no cloud fits (or a constraint does not parse). */
  readonly chosen?: ResourceRef;
  readonly reason: { readonly code: "Placed" | "NoCloudFound" | "InvalidConstraint"; readonly message: string };
  /** Best first. */
  readonly scored: readonly CloudScore[];
  readonly filtered: readonly CloudRejection[];
}

/** The candidates for a cluster of `namespace`: its namespace's clouds, then the global ones. */
export function cloudCandidates(namespace: string, clouds: readonly Cloud[], globalClouds: readonly GlobalCloud[]): CloudCandidate[] {
  const candidate = (cloud: Cloud | GlobalCloud, namespaced: boolean): CloudCandidate => {
    const ns = namespaced ? (cloud.metadata?.namespace ?? "") : "";
    const kind = namespaced ? cloudKind : globalCloudKind;
    return {
      cloud,
      ref: { api: kind.api, kind: kind.kind, namespace: ns, name: cloud.metadata?.name ?? "" },
      uid: cloud.metadata?.uid ?? "",
      namespaced,
      metrics: (cloud.spec?.openstack?.metrics ?? []).map((m) => ({ name: m.name, weight: m.weight, namespaced: m.namespaced, key: metricKey(m.name, m.namespaced, ns) })),
    };
  };
  return [
    ...clouds.filter((c) => c.metadata?.namespace === namespace).map((c) => candidate(c, true)),
    ...globalClouds.map((c) => candidate(c, false)),
  ];
}

/** Chooses a cloud for `cluster` among `candidates` (see `cloudCandidates`), and says why. */
export function decideCloud(
  cluster: Cluster,
  candidates: readonly CloudCandidate[],
  metricValues: MetricValues,
  now: Date,
  metricMaxAgeMs: number,
): CloudDecision {
  const parsed = parseClusterConstraints(cluster.spec?.constraints?.cloud);
  if (!parsed.ok) {
    return { reason: { code: "InvalidConstraint", message: `the cluster's cloud constraint ${parsed.error}` }, scored: [], filtered: [] };
  }
  const { labels, metrics } = parsed.value;
  const passed: (CloudScore & { namespaced: boolean; tieKey: string })[] = [];
  const filtered: CloudRejection[] = [];
  for (const c of candidates) {
    const name = JSON.stringify(c.ref.name);
    const reject = (filter: CloudRejection["filter"], detail: string) => filtered.push({ cloud: c.ref, filter, detail: `cloud ${name} ${detail}` });
    if (c.cloud.metadata?.deleted !== undefined) {
      reject("deleted", "is being deleted");
      continue;
    }
    const state = c.cloud.status?.state ?? CloudStatus_State.ONLINE;
    if (state !== CloudStatus_State.ONLINE) {
      const reasons = Object.entries(c.cloud.status?.metricsReasons ?? {}).map(([metric, r]) => `${metric}: ${r.message}`);
      reject("state", `is FAILING_METRICS, not ONLINE${reasons.length > 0 ? ` (${reasons.join("; ")})` : ""}`);
      continue;
    }
    const cloudLabels = c.cloud.metadata?.labels ?? {};
    const label = labels.find(({ constraint }) => !evaluateLabelConstraint(constraint, cloudLabels).matched);
    if (label !== undefined) {
      const value = cloudLabels[label.constraint.key];
      reject("label", `does not match ${JSON.stringify(label.text)}: ${value === undefined ? `it has no label ${JSON.stringify(label.constraint.key)}` : `its label is ${JSON.stringify(value)}`}`);
      continue;
    }
    const evaluations = c.metrics.map((m) => evaluateMetric(m, metricValues, now, metricMaxAgeMs));
    const failing = evaluations.find((e) => e.status !== "ok");
    if (failing !== undefined) {
      reject("metric", `cannot use its metric ${JSON.stringify(failing.name)}: it is ${failing.status} (${failing.detail ?? ""})`);
      continue;
    }
    const metric = metrics.find(({ constraint }) => {
      const e = evaluations.find((m) => m.name === constraint.key);
      return !(e?.status === "ok" && matchMetricConstraint(constraint, e.normalized));
    });
    if (metric !== undefined) {
      const e = evaluations.find((m) => m.name === metric.constraint.key);
      const why = e === undefined ? `it has no metric ${JSON.stringify(metric.constraint.key)}` : e.status === "ok" ? `its normalised value is ${e.normalized}` : `the metric is ${e.status} (${e.detail ?? ""})`;
      reject("metric", `does not match ${JSON.stringify(metric.text)}: ${why}`);
      continue;
    }
    const usable = evaluations.length > 0;
    let sum = 0;
    let weights = 0;
    for (const e of evaluations) {
      sum += (e.normalized ?? 0) * e.weight;
      weights += e.weight;
    }
    passed.push({
      cloud: c.ref,
      tier: usable ? "metrics" : "no_metrics",
      score: usable && weights > 0 ? sum / weights : 0,
      metrics: evaluations,
      namespaced: c.namespaced,
      tieKey: tieBreakKey(cluster.metadata?.uid ?? "", c.uid),
    });
  }
  passed.sort(
    (a, b) =>
      (a.tier === b.tier ? 0 : a.tier === "metrics" ? -1 : 1) ||
      Math.round(b.score * 1e9) - Math.round(a.score * 1e9) ||
      (a.namespaced === b.namespaced ? 0 : a.namespaced ? -1 : 1) ||
      (a.tieKey < b.tieKey ? -1 : a.tieKey > b.tieKey ? 1 : 0),
  );
  const scored = passed.map(({ cloud, tier, score, metrics: m }) => ({ cloud, tier, score, metrics: m }));
  const best = scored[0];
  if (best === undefined) {
    const why = filtered.length === 0 ? "there is no Cloud in its namespace and no GlobalCloud" : filtered.map((f) => f.detail).join("; ");
    return { reason: { code: "NoCloudFound", message: `no cloud fits the cluster: ${why}` }, scored, filtered };
  }
  const kind = best.cloud.kind === cloudKind.kind ? "cloud" : "global cloud";
  const score = best.tier === "metrics" ? `score ${best.score.toFixed(3)}` : "no metrics";
  return { chosen: best.cloud, reason: { code: "Placed", message: `${kind} ${JSON.stringify(best.cloud.name)}: ${score}` }, scored, filtered };
}
