import type { Manifest } from "./resource-id.js";

/**
 * Kinds other resources may need to exist first: a Namespace before what lives
 * in it, a CustomResourceDefinition before its custom resources, then what pods
 * refer to (accounts, RBAC, configuration, storage), then the rest. Unknown
 * kinds (custom resources among them) come last.
 */
const tiers: readonly (readonly string[])[] = [
  ["Namespace"],
  ["CustomResourceDefinition"],
  ["PriorityClass", "StorageClass", "ResourceQuota", "LimitRange"],
  ["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"],
  ["Secret", "ConfigMap", "PersistentVolume", "PersistentVolumeClaim"],
  ["Service"],
];

function tierOf(resource: Manifest): number {
  const kind = String(resource.kind ?? "");
  const i = tiers.findIndex((t) => t.includes(kind));
  return i === -1 ? tiers.length : i;
}

/** The order to apply in: by tier, the manifest's order within a tier. */
export function applyOrder<T extends Manifest>(resources: readonly T[]): T[] {
  return resources
    .map((r, i) => ({ r, i, t: tierOf(r) }))
    .sort((a, b) => a.t - b.t || a.i - b.i)
    .map((x) => x.r);
}

/** The order to delete in: the reverse (custom resources before their definition, the Namespace last). */
export function deleteOrder<T extends Manifest>(resources: readonly T[]): T[] {
  return applyOrder(resources).reverse();
}
