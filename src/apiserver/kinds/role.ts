import type { Role, RoleRule } from "../../../gen/krake/core/v1/role.js";
import type { RoleBinding } from "../../../gen/krake/core/v1/role_binding.js";
import type { FieldError } from "../../errors/api-error.js";
import { roleBindingKind as generatedRoleBinding, roleKind as generatedRole } from "../../kinds/index.js";
import { child, isNonEmptyString, isValidName, item, NAME_RULE, validateName } from "../registry/validation/index.js";
import { serverKind } from "./server-kind.js";

/** RBAC's Role and RoleBinding: validation only. */
export const roleKind = serverKind<Role>(generatedRole, { validate: validateRole });
export const roleBindingKind = serverKind<RoleBinding>(generatedRoleBinding, { validate: validateRoleBinding });

// ---- validation ---------------------------------------------------------------------------------

/**
 * Krake's verbs plus "watch" (Krake has none; we treat it as "list") and the
 * wildcard "*".
 */
export const ROLE_VERBS: readonly string[] = ["create", "list", "list_all", "get", "update", "delete", "watch", "*"];

/** A plural, optionally with a subresource: `applications`, `applications/status`. */
const RESOURCE = /^\w[\w\-.]*(?:\/\w[\w\-.]*)?$/;

/**
 * A Role's `rules` (top level; metadata is validated by `validateMetadata`).
 * Each rule: `api` is "" or "*" (every API) or a name; `resources` is a
 * non-empty list of "" / "*" / `<plural>[/<subresource>]`; `namespaces`
 * entries are "" / "*" or namespace names (an empty list covers only global
 * requests); `verbs` is a non-empty subset of ROLE_VERBS.
 */
export function validateRole(role: Role): FieldError[] {
  const errors: FieldError[] = [];
  (role.rules ?? []).forEach((rule, i) => errors.push(...validateRule(rule, item("rules", i))));
  return errors;
}

function validateRule(rule: RoleRule, base: string): FieldError[] {
  const errors: FieldError[] = [];
  if (!isWildcard(rule.api) && !isValidName(rule.api)) {
    errors.push({ field: child(base, "api"), message: `must be "", "*" or an API name that ${NAME_RULE}` });
  }
  const resources = rule.resources ?? [];
  if (resources.length === 0) errors.push({ field: child(base, "resources"), message: "must not be empty" });
  resources.forEach((resource, j) => {
    if (!isWildcard(resource) && !RESOURCE.test(resource)) {
      errors.push({
        field: item(child(base, "resources"), j),
        message: 'must be "", "*", a resource plural or "<plural>/<subresource>"',
      });
    }
  });
  (rule.namespaces ?? []).forEach((namespace, j) => {
    if (!isWildcard(namespace) && !isValidName(namespace)) {
      errors.push({ field: item(child(base, "namespaces"), j), message: `must be "", "*" or a namespace that ${NAME_RULE}` });
    }
  });
  const verbs = rule.verbs ?? [];
  if (verbs.length === 0) errors.push({ field: child(base, "verbs"), message: "must not be empty" });
  verbs.forEach((verb, j) => {
    if (!ROLE_VERBS.includes(verb)) {
      errors.push({ field: item(child(base, "verbs"), j), message: `must be one of ${ROLE_VERBS.map((v) => `"${v}"`).join(", ")}` });
    }
  });
  return errors;
}

function isWildcard(value: string): boolean {
  return value === "" || value === "*";
}

/**
 * A RoleBinding's `users`, `groups` and `roles` (top level): at least one user
 * or group, and a non-empty list of roles; user and group names are non-empty
 * strings (they come from certificates, tokens or static config and are not
 * restricted further); roles are valid names. Without groups, the rules are
 * Krake's: `users` must not be empty.
 */
export function validateRoleBinding(binding: RoleBinding): FieldError[] {
  const errors: FieldError[] = [];
  const users = binding.users ?? [];
  const groups = binding.groups ?? [];
  const roles = binding.roles ?? [];
  if (users.length === 0 && groups.length === 0) {
    errors.push({ field: "users", message: 'must not be empty unless "groups" is set (a binding needs users or groups)' });
  }
  errors.push(...subjectNames(users, "users"), ...subjectNames(groups, "groups"));
  if (roles.length === 0) errors.push({ field: "roles", message: "must not be empty" });
  roles.forEach((role, i) => errors.push(...validateName(role, item("roles", i))));
  return errors;
}

/** User and group names: any string that is not empty or blank. */
function subjectNames(names: readonly string[], field: string): FieldError[] {
  const errors: FieldError[] = [];
  names.forEach((name, i) => {
    if (!isNonEmptyString(name) || name.trim() === "") errors.push({ field: item(field, i), message: "must not be empty" });
  });
  return errors;
}
