/**
 * What each method of a kind's service does, resolved once from its AIP name
 * (`Create<Kind>`, `List<Kind>s`, `Update<Kind>Status`, `<Verb><Kind>` for a
 * subresource or an action, as the kind table lists them). The server's
 * operations, its access rules and the generic client all dispatch on this,
 * never on method names of their own.
 *
 * A subresource writes one object through the server's rule and answers with
 * it; an action answers with another message and writes nothing (the kind
 * table tells them apart by the method's response type).
 */

export type MethodVerb = "create" | "get" | "list" | "watch" | "update" | "updateStatus" | "delete" | "subresource" | "action";

/** The part of a kind the resolution reads (the generated table and the server's kinds both have it). */
export interface KindMethodsShape {
  kind: string;
  /** The request field holding the object in Create/Update/UpdateStatus ("application", "roleBinding"). */
  bodyField?: string;
  subresources?: readonly { name: string; verb: string; bodyField?: string | undefined }[];
  actions?: readonly { name: string; verb: string; bodyField?: string | undefined }[];
}

export interface ResolvedMethod {
  /** "CreateApplication". */
  rpc: string;
  verb: MethodVerb;
  /** The request field holding the body, if the method takes one. */
  bodyField: string | undefined;
  /** For a subresource: its name ("binding"). */
  subresource?: string;
  /** For an action: its name ("schedule"). */
  action?: string;
}

/** The method's role, or undefined for a method no standard role covers. */
export function resolveMethod(kind: KindMethodsShape, rpc: string): ResolvedMethod | undefined {
  const k = kind.kind;
  const body = kind.bodyField ?? k.charAt(0).toLowerCase() + k.slice(1);
  const role = (verb: MethodVerb, bodyField?: string): ResolvedMethod => ({ rpc, verb, bodyField });
  switch (rpc) {
    case `Create${k}`:
      return role("create", body);
    case `Get${k}`:
      return role("get");
    case `List${k}s`:
      return role("list");
    case `Watch${k}s`:
      return role("watch");
    case `Update${k}`:
      return role("update", body);
    case `Update${k}Status`:
      return role("updateStatus", body);
    case `Delete${k}`:
      return role("delete");
  }
  const sub = kind.subresources?.find((s) => rpc === `${s.verb}${k}`);
  if (sub) return { rpc, verb: "subresource", bodyField: sub.bodyField, subresource: sub.name };
  const action = kind.actions?.find((a) => rpc === `${a.verb}${k}`);
  return action ? { rpc, verb: "action", bodyField: action.bodyField, action: action.name } : undefined;
}

/** The RPC name of a grpc-js method path ("/krake.core.v1.RoleService/GetRole" → "GetRole"). */
export function rpcOf(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/**
 * Every method of a kind's grpc-js service, resolved, by the service's own
 * keys (ts-proto's "createApplication"). A method without a role is an error:
 * the kind table and the service disagree.
 */
export function serviceMethods(kind: KindMethodsShape, service: Record<string, { path: string }>): Map<string, ResolvedMethod> {
  const out = new Map<string, ResolvedMethod>();
  for (const [key, method] of Object.entries(service)) {
    const resolved = resolveMethod(kind, rpcOf(method.path));
    if (!resolved) throw new Error(`${kind.kind}: no role for method ${method.path}`);
    out.set(key, resolved);
  }
  return out;
}
