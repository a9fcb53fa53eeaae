/**
 * What the cluster watches currently show of an Application's resources on
 * one cluster: known (every watch listed) or not, the objects found, the
 * resources missing, and the observed fields that drifted from what Krake
 * applied.
 */
import type { ClusterResources, KubeObject } from "../../../kubernetes/cluster-resources.js";
import { driftedFields, expectedFields, observedFields } from "../manifest/observer-schema.js";
import { describeResource, findResource, resourceId } from "../manifest/resource-id.js";
import type { Manifest } from "../manifest/resource-id.js";
import type { ClusterWatches, WatchedResource } from "./cluster-watches.js";

export type Observation =
  | { known: false }
  | { known: true; objects: KubeObject[]; lastObserved: Manifest[]; missing: string[]; drifted: string[] };

export async function watchedResources(cluster: string, conn: ClusterResources, resources: readonly Manifest[]): Promise<WatchedResource[]> {
  const out: WatchedResource[] = [];
  for (const r of resources) {
    const id = resourceId(r);
    const type = await conn.resourceType(id.apiVersion, id.kind);
    out.push({ cluster, type, namespace: type.namespaced ? (id.namespace ?? conn.defaultNamespace) : "", name: id.name });
  }
  return out;
}

/**
 * Reads `applied` (last_applied_manifest) back from the watches; `schema` is
 * the mangled observer schema, `baseline` the last_observed_manifest written
 * with the last apply (see expectedFields).
 */
export function observe(
  watches: ClusterWatches,
  watched: readonly WatchedResource[],
  applied: readonly Manifest[],
  schema: readonly Manifest[],
  baseline: readonly Manifest[],
): Observation {
  const objects: KubeObject[] = [];
  const lastObserved: Manifest[] = [];
  const missing: string[] = [];
  const drifted: string[] = [];
  watched.forEach((w, i) => {
    const seen = watches.lookup(w);
    if (!seen.known) return;
    const resource = applied[i];
    const id = resourceId(resource);
    if (!seen.object) {
      missing.push(describeResource(id));
      return;
    }
    objects.push(seen.object);
    const s = findResource(schema, id);
    if (!s) return;
    const fields = observedFields(s, seen.object);
    lastObserved.push(fields);
    const expected = expectedFields(resource, findResource(baseline, id)) as Manifest;
    for (const f of driftedFields(expected, s, fields)) drifted.push(`${describeResource(id)}: ${f}`);
  });
  if (watched.some((w) => !watches.lookup(w).known)) return { known: false };
  return { known: true, objects, lastObserved, missing, drifted };
}
