import type { RoleRule } from "../../../gen/krake/core/v1/role.js";
import type { Role } from "../../../gen/krake/core/v1/role.js";
import type { RoleBinding } from "../../../gen/krake/core/v1/role_binding.js";
import type { KrakeObject } from "../objects/kind.js";

/** What the index reads of a watch-cache KindCache. */
export interface ObjectSource {
  /** Grows on every change. */
  readonly changes: number;
  list(namespace: string): readonly { name: string; object: KrakeObject }[];
}

/**
 * Who is bound to which rules, derived from the watch cache's current Roles
 * and RoleBindings. A binding grants its roles to each of its `users` (by
 * name) and to every member of each of its `groups` (as the authentication
 * chain reported them). Nothing is read from the store: the index is
 * rebuilt, lazily and at most once per change, when either cache moves.
 * Roles and bindings in deletion no longer count.
 */
export class RbacIndex {
  private readonly roles: ObjectSource;
  private readonly bindings: ObjectSource;
  private builtAt = -1;
  private roleRules = new Map<string, readonly RoleRule[]>();
  private userRoles = new Map<string, readonly string[]>();
  private groupRoles = new Map<string, readonly string[]>();
  /** Rules per subject (see subjectKey), until the next change. */
  private subjectRules = new Map<string, readonly RoleRule[]>();

  constructor(roles: ObjectSource, bindings: ObjectSource) {
    this.roles = roles;
    this.bindings = bindings;
  }

  /** Grows whenever a Role or RoleBinding changes (both counters only grow). */
  get version(): number {
    return this.roles.changes + this.bindings.changes;
  }

  /**
   * The names of the Roles bound to `user` directly or through any of
   * `groups`, sorted and unique (a bound Role may not exist).
   */
  rolesOf(user: string, groups: readonly string[] = []): string[] {
    this.refresh();
    const direct = this.userRoles.get(user) ?? [];
    const viaGroups = groups.flatMap((group) => this.groupRoles.get(group) ?? []);
    if (viaGroups.length === 0) return [...direct];
    return [...new Set([...direct, ...viaGroups])].sort();
  }

  /** Every rule of every existing Role bound to `user` directly or through `groups`. */
  rulesOf(user: string, groups: readonly string[] = []): readonly RoleRule[] {
    this.refresh();
    const key = this.subjectKey(user, groups);
    let rules = this.subjectRules.get(key);
    if (!rules) {
      rules = this.rolesOf(user, groups).flatMap((role) => this.roleRules.get(role) ?? []);
      this.subjectRules.set(key, rules);
    }
    return rules;
  }

  /**
   * A string that identifies what `user` with `groups` is granted: the name
   * plus only those groups some binding names, so that users who differ in
   * unbound groups share cached rules and decisions.
   */
  subjectKey(user: string, groups: readonly string[] = []): string {
    this.refresh();
    const bound = groups.filter((group) => this.groupRoles.has(group));
    return bound.length === 0 ? JSON.stringify(user) : JSON.stringify([user, ...bound]);
  }

  private refresh(): void {
    const version = this.version;
    if (version === this.builtAt) return;
    const roleRules = new Map<string, readonly RoleRule[]>();
    for (const cached of this.roles.list("")) {
      const role = cached.object as unknown as Role;
      // Deleting revokes at once, even while finalizers keep the object around.
      if (role.metadata?.deleted) continue;
      roleRules.set(cached.name, role.rules ?? []);
    }
    const userRoles = new Map<string, Set<string>>();
    const groupRoles = new Map<string, Set<string>>();
    for (const cached of this.bindings.list("")) {
      const binding = cached.object as unknown as RoleBinding;
      if (binding.metadata?.deleted) continue;
      addAll(userRoles, binding.users ?? [], binding.roles ?? []);
      addAll(groupRoles, binding.groups ?? [], binding.roles ?? []);
    }
    this.roleRules = roleRules;
    this.userRoles = sortedLists(userRoles);
    this.groupRoles = sortedLists(groupRoles);
    this.subjectRules = new Map();
    this.builtAt = version;
  }
}

function addAll(into: Map<string, Set<string>>, subjects: readonly string[], roles: readonly string[]): void {
  for (const subject of subjects) {
    let set = into.get(subject);
    if (!set) into.set(subject, (set = new Set()));
    for (const role of roles) set.add(role);
  }
}

function sortedLists(sets: Map<string, Set<string>>): Map<string, readonly string[]> {
  return new Map([...sets].map(([subject, set]) => [subject, [...set].sort()]));
}
