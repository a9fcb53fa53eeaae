/**
 * Putting an Application's manifest on one cluster and taking it off again.
 * Resources are applied with server-side apply as field manager `krake`, in
 * dependency order; a CustomResourceDefinition is waited for until the
 * cluster serves it, so that custom resources of the same manifest follow.
 */
import type { ClusterResources, KubeObject } from "../../kubernetes/cluster-resources.js";
import { KubeApiError, isNotFound } from "../../kubernetes/cluster-resources.js";
import { applyOrder, deleteOrder } from "./manifest/apply-order.js";
import { fillFromResponse, observedFields } from "./manifest/observer-schema.js";
import { findResource, removedResources, resourceId } from "./manifest/resource-id.js";
import type { Manifest } from "./manifest/resource-id.js";

export const fieldManager = "krake";

export interface Deployed {
  /** status.last_applied_manifest: the manifest, with observed fields it does not set taken from the cluster. */
  lastApplied: Manifest[];
  /** status.last_observed_manifest. */
  lastObserved: Manifest[];
  /** The cluster's answers, in manifest order. */
  objects: KubeObject[];
}

/**
 * Applies `desired` and deletes what `previous` had and `desired` has not.
 * Throws KubeApiError (the cluster refused; its message names the resource)
 * or ClusterUnreachableError.
 */
export async function deploy(
  cluster: ClusterResources,
  desired: readonly Manifest[],
  previous: readonly Manifest[],
  schema: readonly Manifest[],
  signal: AbortSignal,
): Promise<Deployed> {
  const lastApplied = desired.map((r) => structuredClone(r));
  const answers = new Map<Manifest, KubeObject>();
  for (const resource of applyOrder(desired)) {
    signal.throwIfAborted();
    const answer = await cluster.apply(resource as KubeObject, fieldManager);
    answers.set(resource, answer);
    if (resource.kind === "CustomResourceDefinition") await untilEstablished(cluster, answer, signal);
  }
  for (const gone of deleteOrder(removedResources(previous, desired))) {
    signal.throwIfAborted();
    await cluster.delete(gone as KubeObject);
  }
  const objects = desired.map((r) => answers.get(r)!);
  const lastObserved: Manifest[] = [];
  desired.forEach((r, i) => {
    const s = findResource(schema, resourceId(r));
    if (!s) return;
    fillFromResponse(lastApplied[i], s, objects[i]);
    lastObserved.push(observedFields(s, objects[i]));
  });
  return { lastApplied, lastObserved, objects };
}

/** Deletes every resource of `resources` (reverse dependency order); true when none was left to delete. */
export async function undeploy(cluster: ClusterResources, resources: readonly Manifest[], signal: AbortSignal): Promise<boolean> {
  let nothingLeft = true;
  for (const r of deleteOrder(resources)) {
    signal.throwIfAborted();
    try {
      if (await cluster.delete(r as KubeObject)) nothingLeft = false;
    } catch (err) {
      // A kind the cluster no longer serves has nothing left to delete.
      if (!(isNotFound(err) || (err instanceof KubeApiError && /does not serve/.test(err.message)))) throw err;
    }
  }
  return nothingLeft;
}

/** A CRD is usable once its Established condition is True (kube-apiserver sets it within moments). */
async function untilEstablished(cluster: ClusterResources, crd: KubeObject, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (let current = crd; ; ) {
    const status = (current.status ?? {}) as { conditions?: { type?: string; status?: string }[] };
    if (status.conditions?.some((c) => c.type === "Established" && c.status === "True")) return;
    if (Date.now() > deadline) throw new KubeApiError(504, `CustomResourceDefinition ${String(crd.metadata?.name)} not established within 30 s`);
    // No watch for one condition of one object: ask again shortly.
    await new Promise((r) => setTimeout(r, 100));
    signal.throwIfAborted();
    current = await cluster.read(crd);
  }
}
