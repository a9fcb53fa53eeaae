import { resolveMethod } from "../../kinds/methods.js";
import type { KindDescription, KrakeObject } from "../objects/kind.js";

/** The RBAC verbs a request can need. `watch` is granted by a rule with `list` or `watch`. */
export type Verb = "create" | "get" | "list" | "watch" | "update" | "delete";

/** What a request does, in RBAC's terms; decided before any handler runs. */
export interface ResourceAttributes {
  verb: Verb;
  api: string;
  /** The plural, or `<plural>/<subresource>` (status, binding, complete, ...) or `<plural>/<action>` (schedule). */
  resource: string;
  namespaced: boolean;
  /** For namespaced kinds: the namespace, or "" for a request across every namespace. */
  namespace: string;
}

/** A request message as the transports decode it (ts-proto camelCase fields). */
type Fields = Record<string, unknown>;

/** How one method of a kind's service is authorized. */
export interface MethodAccess {
  verb: Verb;
  resource: string;
  /** The attributes of one call, from its decoded request. */
  attributes(req: Fields): ResourceAttributes;
}

/**
 * The RBAC verb and resource of each method of a kind's generated service,
 * by its AIP name: Create/Get/List/Watch/Update/Delete on the plural,
 * `Update<Kind>Status` as update on `<plural>/status`, a subresource as update
 * on `<plural>/<name>` (or the kind's `rbacResource`, e.g. Krake's retry →
 * `applications/status`), an action as create on `<plural>/<name>` (as
 * Kubernetes checks POST-only subresources like pods/eviction: the scheduler's
 * dry run is `create applications/schedule`, a permission of its own, since
 * it reveals the clusters of the namespace and their metrics).
 */
export function methodAccess<T extends KrakeObject>(kind: KindDescription<T>, rpc: string): MethodAccess {
  const plural = kind.plural;
  const resolved = resolveMethod(kind, rpc);
  if (!resolved) throw new Error(`${kind.kind}: no access rule for method ${rpc}`);
  let verb: Verb;
  let resource = plural;
  switch (resolved.verb) {
    case "updateStatus":
      [verb, resource] = ["update", `${plural}/status`];
      break;
    case "subresource": {
      const sub = kind.subresources!.find((s) => s.name === resolved.subresource)!;
      [verb, resource] = ["update", sub.rbacResource ?? `${plural}/${sub.name}`];
      break;
    }
    case "action":
      [verb, resource] = ["create", `${plural}/${resolved.action!}`];
      break;
    default:
      verb = resolved.verb;
  }
  const bodyField = resolved.bodyField;
  const namespaceOf = (req: Fields): string => {
    if (!kind.namespaced) return "";
    const ns = typeof req.namespace === "string" ? req.namespace : "";
    if (ns || verb !== "create" || !bodyField) return ns;
    // A create (or an action on the kind's object) without a namespace in the request lands in
    // the body's namespace (registry rule).
    const meta = (req[bodyField] as { metadata?: { namespace?: unknown } } | undefined)?.metadata;
    return typeof meta?.namespace === "string" ? meta.namespace : "";
  };
  return {
    verb,
    resource,
    attributes: (req) => ({ verb, api: kind.api, resource, namespaced: kind.namespaced, namespace: namespaceOf(req) }),
  };
}

/** "list kubernetes/applications in namespace team-a", for messages and logs. */
export function describeAttributes(a: ResourceAttributes): string {
  const where = !a.namespaced ? "" : a.namespace ? ` in namespace "${a.namespace}"` : " across all namespaces";
  return `${a.verb} ${a.api}/${a.resource}${where}`;
}

const accessCache = new WeakMap<object, Map<string, MethodAccess>>();

/** methodAccess, computed once per kind and method. */
export function methodAccessOf<T extends KrakeObject>(kind: KindDescription<T>, rpc: string): MethodAccess {
  let byRpc = accessCache.get(kind);
  if (!byRpc) accessCache.set(kind, (byRpc = new Map()));
  let access = byRpc.get(rpc);
  if (!access) byRpc.set(rpc, (access = methodAccess(kind, rpc)));
  return access;
}
