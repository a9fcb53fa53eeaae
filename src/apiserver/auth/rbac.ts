import type { RoleRule } from "../../../gen/krake/core/v1/role.js";
import { ApiError } from "../../errors/api-error.js";
import type { ResourceAttributes } from "./attributes.js";
import type { Authorizer } from "./authorizer.js";
import { forbidden } from "./authorizer.js";
import type { RbacIndex } from "./rbac-index.js";
import type { UserInfo } from "./user.js";
import { isAnonymous } from "./user.js";

export interface RbacOptions {
  /** Decisions remembered between two Role/RoleBinding changes. */
  maxCachedDecisions: number;
}

/**
 * Krake's RBAC: a request is allowed iff a rule of a Role bound to the user
 * (RoleBinding.users) or to one of the user's groups (RoleBinding.groups, as
 * in Kubernetes) allows it; rules only grant. A rule matches when
 *  - `api` is the request's API, "" or "*";
 *  - `verbs` holds the verb or "*" (a watch is also allowed by `list`; a list
 *    or watch across all namespaces also by Krake's `list_all`);
 *  - `resources` holds the resource ("applications", "applications/status"),
 *    "" or "*" (a subresource is its own resource);
 *  - for namespaced kinds, `namespaces` holds the namespace, "" or "*"; a
 *    request across all namespaces needs "" or "*" (unlike Krake, where `list`
 *    in any namespace let a user list every namespace). Global kinds ignore
 *    `namespaces`.
 * Anonymous users are UNAUTHENTICATED, as in Krake (and have no groups).
 * Decisions are cached per user and bound groups until the next
 * Role/RoleBinding change, so a check is a map lookup.
 */
export class RbacAuthorizer implements Authorizer {
  readonly mode = "rbac";
  private readonly index: RbacIndex;
  private readonly opts: RbacOptions;
  private decisions = new Map<string, boolean>();
  private decisionsVersion = -1;

  constructor(index: RbacIndex, opts: Partial<RbacOptions> = {}) {
    this.index = index;
    this.opts = { maxCachedDecisions: 100_000, ...opts };
  }

  get version(): number {
    return this.index.version;
  }

  authorize(user: UserInfo, attrs: ResourceAttributes): void {
    if (isAnonymous(user)) throw ApiError.unauthenticated("Anonymous requests are not allowed under RBAC; authenticate first");
    const version = this.index.version;
    if (version !== this.decisionsVersion || this.decisions.size >= this.opts.maxCachedDecisions) {
      this.decisions = new Map();
      this.decisionsVersion = version;
    }
    const subject = this.index.subjectKey(user.name, user.groups);
    const key = `${subject}\n${attrs.verb}\n${attrs.api}\n${attrs.resource}\n${attrs.namespaced ? `ns:${attrs.namespace}` : "-"}`;
    let allowed = this.decisions.get(key);
    if (allowed === undefined) {
      allowed = this.index.rulesOf(user.name, user.groups).some((rule) => ruleAllows(rule, attrs));
      this.decisions.set(key, allowed);
    }
    if (!allowed) throw forbidden(user, attrs, "no role bound to the user allows it");
  }
}

export function ruleAllows(rule: RoleRule, a: ResourceAttributes): boolean {
  if (!(rule.api === a.api || isWildcard(rule.api))) return false;
  if (!rule.resources.some((r) => r === a.resource || isWildcard(r))) return false;
  const allNamespaces = a.namespaced && a.namespace === "";
  if (!rule.verbs.some((v) => verbAllows(v, a.verb, allNamespaces))) return false;
  if (!a.namespaced) return true;
  return rule.namespaces.some((ns) => isWildcard(ns) || (!allNamespaces && ns === a.namespace));
}

function verbAllows(ruleVerb: string, verb: ResourceAttributes["verb"], allNamespaces: boolean): boolean {
  if (ruleVerb === verb || ruleVerb === "*") return true;
  if (verb === "watch" && ruleVerb === "list") return true;
  return allNamespaces && ruleVerb === "list_all" && (verb === "list" || verb === "watch");
}

function isWildcard(value: string): boolean {
  return value === "" || value === "*";
}
