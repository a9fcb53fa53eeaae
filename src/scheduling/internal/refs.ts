import type { ResourceRef } from "../../../gen/krake/core/v1/types.js";
import { clusterKind } from "../../kinds/index.js";

/** The reference Krake's binding uses for a cluster: `{api: "kubernetes", kind: "Cluster", namespace, name}`. */
export function clusterRef(namespace: string, name: string): ResourceRef {
  return { api: clusterKind.api, kind: clusterKind.kind, namespace, name };
}

/** `namespace/name`, or `name` for a global resource: the identity used for sorting and lookups. */
export function refKey(ref: Pick<ResourceRef, "namespace" | "name">): string {
  return ref.namespace === "" ? ref.name : `${ref.namespace}/${ref.name}`;
}

/** Do both references name the same resource? (`api` is ignored: kinds are unique across groups here.) */
export function sameResource(a: ResourceRef | undefined, b: ResourceRef | undefined): boolean {
  return a !== undefined && b !== undefined && a.kind === b.kind && a.namespace === b.namespace && a.name === b.name;
}
