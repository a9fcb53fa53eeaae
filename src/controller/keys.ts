import type { ResourceRef } from "../../gen/krake/core/v1/types.js";
import type { KrakeObject } from "../kinds/object.js";

/**
 * Keys of the runtime. Names, namespaces, api groups and kinds never contain
 * "/", so "/" joins them unambiguously.
 * - object key, within one kind: `namespace/name`, or `name` for global kinds
 *   (what an informer's cache and a single-kind controller's queue use);
 * - reference key, across kinds: `api/kind/namespace/name` (namespace "" for
 *   global objects), the form of `metadata.owners` entries.
 */
export function objectKey(obj: KrakeObject): string {
  const ns = obj.metadata?.namespace ?? "";
  const name = obj.metadata?.name ?? "";
  return ns ? `${ns}/${name}` : name;
}

export function splitObjectKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf("/");
  return i < 0 ? { namespace: "", name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

export function refKey(ref: ResourceRef): string {
  return `${ref.api}/${ref.kind}/${ref.namespace ?? ""}/${ref.name}`;
}

/** The reference key of an object itself. */
export function selfRefKey(obj: KrakeObject): string {
  return `${obj.api}/${obj.kind}/${obj.metadata?.namespace ?? ""}/${obj.metadata?.name ?? ""}`;
}

export function parseRefKey(key: string): ResourceRef {
  const [api = "", kind = "", namespace = "", name = ""] = key.split("/");
  return { api, kind, namespace, name };
}
