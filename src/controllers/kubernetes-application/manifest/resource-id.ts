/**
 * A manifest resource's identity, as Krake's get_kubernetes_resource_idx
 * compares it: apiVersion, kind, metadata.name and, when given,
 * metadata.namespace.
 */
export type Manifest = Record<string, unknown>;

export interface ResourceId {
  apiVersion: string;
  kind: string;
  name: string;
  /** Undefined when the manifest names none (the cluster's default namespace, or a cluster-scoped kind). */
  namespace: string | undefined;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function resourceId(resource: Manifest): ResourceId {
  const metadata = isRecord(resource.metadata) ? resource.metadata : {};
  const namespace = metadata.namespace;
  return {
    apiVersion: String(resource.apiVersion ?? ""),
    kind: String(resource.kind ?? ""),
    name: String(metadata.name ?? ""),
    namespace: typeof namespace === "string" && namespace !== "" ? namespace : undefined,
  };
}

/** Krake's match: the namespace counts only when both sides name one. */
export function sameResource(a: ResourceId, b: ResourceId): boolean {
  return (
    a.apiVersion === b.apiVersion &&
    a.kind === b.kind &&
    a.name === b.name &&
    (a.namespace === undefined || b.namespace === undefined || a.namespace === b.namespace)
  );
}

export function findResource<T extends Manifest>(list: readonly T[], id: ResourceId): T | undefined {
  return list.find((r) => sameResource(resourceId(r), id));
}

export function describeResource(id: ResourceId): string {
  return `${id.kind} ${id.namespace ? `${id.namespace}/` : ""}${id.name} (${id.apiVersion})`;
}

/** The resources of `before` that `after` no longer has. */
export function removedResources<T extends Manifest>(before: readonly T[], after: readonly Manifest[]): T[] {
  return before.filter((r) => !findResource(after, resourceId(r)));
}
