/**
 * A candidate is a Cluster as the scheduler judges it: with its effective
 * labels and metric references, i.e. its own plus those inherited from the
 * Cloud or GlobalCloud it is bound to (`status.scheduled_to`, set by the
 * cluster's binding subresource).
 *
 * Inheritance follows the cluster's flags, as in Krake:
 * - `metadata.inherit_labels`: the cloud's labels are added. Where both define
 *   a key, the cluster's own value wins (Krake lets the cloud's win; a value
 *   set on the cluster itself is the more specific statement).
 * - `spec.inherit_metrics`: the cloud's metric references are added after the
 *   cluster's own; a reference to a metric the cluster already has is skipped
 *   (its own weight wins). A namespaced metric is looked up in the namespace of
 *   the resource that references it; a GlobalCloud cannot reference one, so such
 *   a reference stays unresolved (`key` undefined) and fails as `invalid`.
 * Krake also pulls in cloud labels and metrics named by the cluster's own
 * cloud constraints; that path compares constraints with names and is not
 * reproduced. A cluster bound to a cloud that is not among the clouds given
 * inherits nothing (`cloudFound` false says so).
 */

import type { Cloud, GlobalCloud } from "../../gen/krake/infrastructure/v1/cloud.js";
import type { Cluster } from "../../gen/krake/kubernetes/v1/cluster.js";
import type { MetricRef, ResourceRef } from "../../gen/krake/core/v1/types.js";
import { cloudKind, globalCloudKind } from "../../gen/kinds.js";
import { clusterRef, refKey } from "./internal/refs.js";
import { metricKey } from "./metrics.js";
import type { WeightedMetric } from "./metrics.js";

/** A metric reference of a candidate and where it comes from. */
export interface EffectiveMetric extends WeightedMetric {
  readonly namespaced: boolean;
  readonly source: "cluster" | "cloud";
}

export interface Candidate {
  readonly cluster: Cluster;
  /** The cluster as a binding names it. */
  readonly ref: ResourceRef;
  readonly uid: string;
  /** Own labels plus inherited ones (see the module comment). */
  readonly labels: Readonly<Record<string, string>>;
  /** The keys of `labels` whose value comes from the cloud. */
  readonly inheritedLabels: readonly string[];
  readonly metrics: readonly EffectiveMetric[];
  readonly customResources: readonly string[];
  /** The cloud the cluster is bound to, if any. */
  readonly cloud?: ResourceRef;
  /** Whether that cloud was among the clouds given; false means nothing was inherited. */
  readonly cloudFound?: boolean;
}

/** The clouds that clusters may be bound to. */
export interface CloudSet {
  readonly clouds?: readonly Cloud[];
  readonly globalClouds?: readonly GlobalCloud[];
}

/** Candidates for every cluster given, in the same order. */
export function buildCandidates(clusters: readonly Cluster[], clouds: CloudSet = {}): Candidate[] {
  const byRef = new Map<string, Cloud | GlobalCloud>();
  for (const cloud of clouds.clouds ?? []) {
    byRef.set(cloudLookupKey(cloudKind.kind, cloud.metadata?.namespace ?? "", cloud.metadata?.name ?? ""), cloud);
  }
  for (const cloud of clouds.globalClouds ?? []) {
    byRef.set(cloudLookupKey(globalCloudKind.kind, "", cloud.metadata?.name ?? ""), cloud);
  }
  const findCloud = (ref: ResourceRef) =>
    byRef.get(cloudLookupKey(ref.kind, ref.kind === globalCloudKind.kind ? "" : ref.namespace, ref.name));
  return clusters.map((cluster) => toCandidate(cluster, findCloud));
}

/** One candidate; `findCloud` resolves the cluster's `status.scheduled_to`. */
export function toCandidate(cluster: Cluster, findCloud: (ref: ResourceRef) => Cloud | GlobalCloud | undefined): Candidate {
  const metadata = cluster.metadata;
  const namespace = metadata?.namespace ?? "";
  const ownLabels = metadata?.labels ?? {};
  const metrics: EffectiveMetric[] = [];
  const seen = new Set<string>();
  const add = (ref: MetricRef, resourceNamespace: string, source: EffectiveMetric["source"]): void => {
    const key = metricKey(ref.name, ref.namespaced, resourceNamespace);
    const identity = key ?? `unresolved:${ref.name}`;
    if (seen.has(identity)) return;
    seen.add(identity);
    metrics.push({ name: ref.name, weight: ref.weight, namespaced: ref.namespaced, key, source });
  };
  for (const ref of cluster.spec?.metrics ?? []) add(ref, namespace, "cluster");

  const base = {
    cluster,
    ref: clusterRef(namespace, metadata?.name ?? ""),
    uid: metadata?.uid ?? "",
    customResources: cluster.spec?.customResources ?? [],
  };
  const bound = cluster.status?.scheduledTo;
  if (bound === undefined || bound.name === "") {
    return { ...base, labels: { ...ownLabels }, inheritedLabels: [], metrics };
  }
  const cloud = findCloud(bound);
  if (cloud === undefined) {
    return { ...base, labels: { ...ownLabels }, inheritedLabels: [], metrics, cloud: bound, cloudFound: false };
  }

  const labels: Record<string, string> = { ...ownLabels };
  const inheritedLabels: string[] = [];
  if (metadata?.inheritLabels === true) {
    for (const [key, value] of Object.entries(cloud.metadata?.labels ?? {})) {
      if (Object.prototype.hasOwnProperty.call(labels, key)) continue;
      labels[key] = value;
      inheritedLabels.push(key);
    }
  }
  if (cluster.spec?.inheritMetrics === true) {
    for (const ref of cloud.spec?.openstack?.metrics ?? []) add(ref, cloud.metadata?.namespace ?? "", "cloud");
  }
  return { ...base, labels, inheritedLabels: inheritedLabels.sort(), metrics, cloud: bound, cloudFound: true };
}

function cloudLookupKey(kind: string, namespace: string, name: string): string {
  return `${kind}:${refKey({ namespace, name })}`;
}
