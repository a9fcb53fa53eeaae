import type { RoleRule } from "../../../gen/krake/core/v1/role.js";
import type { Role } from "../../../gen/krake/core/v1/role.js";
import type { RoleBinding } from "../../../gen/krake/core/v1/role_binding.js";
import type { KrakeObject } from "../registry/kind.js";

/** What the index reads of a watch-cache KindCache. */
export interface ObjectSource {
  /** Grows on every change. */
  readonly changes: number;
  list(namespace: string): readonly { name: string; object: KrakeObject }[];
}

/**
 * Who is bound to which rules, derived from the watch cache's current Roles
 * and RoleBindings. Nothing is read from the store: the index is rebuilt,
 * lazily and at most once per change, when either cache moves. Roles and
 * bindings in deletion no longer count.
 */
export class RbacIndex {
  private readonly roles: ObjectSource;
  private readonly bindings: ObjectSource;
  private builtAt = -1;
  private roleRules = new Map<string, readonly RoleRule[]>();
  private userRoles = new Map<string, string[]>();
  private userRules = new Map<string, readonly RoleRule[]>();

  constructor(roles: ObjectSource, bindings: ObjectSource) {
    this.roles = roles;
    this.bindings = bindings;
  }

  /** Grows whenever a Role or RoleBinding changes (both counters only grow). */
  get version(): number {
    return this.roles.changes + this.bindings.changes;
  }

  /** The names of the Roles bound to `user`, sorted (a bound Role may not exist). */
  rolesOf(user: string): string[] {
    this.refresh();
    return this.userRoles.get(user) ?? [];
  }

  /** Every rule of every existing Role bound to `user`. */
  rulesOf(user: string): readonly RoleRule[] {
    this.refresh();
    let rules = this.userRules.get(user);
    if (!rules) {
      rules = (this.userRoles.get(user) ?? []).flatMap((role) => this.roleRules.get(role) ?? []);
      this.userRules.set(user, rules);
    }
    return rules;
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
    for (const cached of this.bindings.list("")) {
      const binding = cached.object as unknown as RoleBinding;
      if (binding.metadata?.deleted) continue;
      for (const user of binding.users ?? []) {
        let set = userRoles.get(user);
        if (!set) userRoles.set(user, (set = new Set()));
        for (const role of binding.roles ?? []) set.add(role);
      }
    }
    this.roleRules = roleRules;
    this.userRoles = new Map([...userRoles].map(([user, set]) => [user, [...set].sort()]));
    this.userRules = new Map();
    this.builtAt = version;
  }
}
