import { magnumClusterKind as generatedMagnumCluster, projectKind as generatedProject } from "../../../gen/kinds.js";
import { MagnumClusterStatus } from "../../../gen/krake/openstack/v1/magnum_cluster.js";
import type { MagnumCluster, MagnumClusterBinding } from "../../../gen/krake/openstack/v1/magnum_cluster.js";
import type { AuthMethod, Project } from "../../../gen/krake/openstack/v1/project.js";
import { ApiError } from "../../errors/api-error.js";
import type { FieldError } from "../../errors/api-error.js";
import { anyKind } from "../objects/kind.js";
import type { AnyKind } from "../objects/kind.js";
import {
  child,
  parseLabelConstraint,
  validateConstraintList,
  validateHttpUrl,
  validateIntAtLeast,
  validateMetricRefs,
  validateRequiredString,
} from "../registry/validation/index.js";
import { addOwner, requireRef } from "./owners.js";
import { serverKind } from "./server-kind.js";
import type { SubresourceHooks } from "./server-kind.js";

export const projectKind = serverKind<Project>(generatedProject, { validate: validateProject });

/**
 * Krake's magnum binding: `status.project` and `status.template` from the
 * body, the project joins the owners. The template is required (Krake's
 * MagnumClusterBinding has no default for it); `api` and `kind`, which
 * Krake's clients send, must name the binding when given.
 */
const binding: SubresourceHooks<MagnumCluster> = {
  apply(cluster, body, _now) {
    const name = cluster.metadata!.name;
    const b = body as MagnumClusterBinding | undefined;
    const errors: FieldError[] = [];
    if (b?.api && b.api !== "openstack") errors.push({ field: "binding.api", message: 'must be "openstack"' });
    if (b?.kind && b.kind !== "MagnumClusterBinding") errors.push({ field: "binding.kind", message: 'must be "MagnumClusterBinding"' });
    if (!b?.template) errors.push({ field: "binding.template", message: "is required" });
    const ref = requireRef(b?.project, "binding.project", "MagnumCluster", name);
    if (errors.length) throw ApiError.invalid("MagnumCluster", name, errors);
    const status = (cluster.status ??= MagnumClusterStatus.fromPartial({}));
    status.project = ref;
    status.template = b!.template;
    addOwner(cluster.metadata!, ref);
    return cluster;
  },
};

/**
 * Krake's immutable fields of a MagnumCluster: `spec.master_count` (any
 * change, set or unset, on Update) and `status.template` (once set, on
 * UpdateStatus; the binding sets it).
 */
function changedImmutableField(next: MagnumCluster, current: MagnumCluster): string | undefined {
  if (next.spec?.masterCount !== current.spec?.masterCount) return "spec.master_count";
  const template = current.status?.template ?? "";
  if (template !== "" && (next.status?.template ?? "") !== template) return "status.template";
  return undefined;
}

export const magnumClusterKind = serverKind<MagnumCluster>(generatedMagnumCluster, {
  subresources: { binding },
  changedImmutableField,
  validate: validateMagnumCluster,
});

/** The openstack group's server hooks (validation, subresource rules). */
export const openstackKinds: AnyKind[] = [anyKind(projectKind), anyKind(magnumClusterKind)];

// ---- validation ---------------------------------------------------------------------------------

/** Keystone's authentication strategies, as Krake names them in `spec.auth.type`. */
export const OPENSTACK_AUTH_TYPES = ["password", "application_credential"] as const;
export type OpenstackAuthType = (typeof OPENSTACK_AUTH_TYPES)[number];

/**
 * The spec of a Project (metadata is validated by `validateMetadata`):
 *
 * - `url` (Keystone) an http(s) URL; `template` (the Magnum cluster template's UUID) required.
 * - `auth.type` is "password" or "application_credential", the variant of that
 *   name is set and no other; password needs `user.id`, `user.password` and
 *   `project.id` (the `comment`s are free text), application_credential needs
 *   `id` and `secret`.
 * - `metrics`: each with a valid `name` and a positive `weight`.
 */
export function validateProject(project: Project): FieldError[] {
  const spec = project.spec;
  if (spec === undefined) return [{ field: "spec", message: "is required" }];
  return [
    ...validateHttpUrl(spec.url, "spec.url"),
    ...validateAuth(spec.auth, "spec.auth"),
    ...validateRequiredString(spec.template, "spec.template"),
    ...validateMetricRefs(spec.metrics, "spec.metrics"),
  ];
}

function validateAuth(auth: AuthMethod | undefined, base: string): FieldError[] {
  if (auth === undefined) return [{ field: base, message: "is required" }];
  const type = auth.type;
  if (!(OPENSTACK_AUTH_TYPES as readonly string[]).includes(type)) {
    return [{ field: child(base, "type"), message: `must be one of ${OPENSTACK_AUTH_TYPES.map((t) => `"${t}"`).join(", ")}` }];
  }
  const errors: FieldError[] = [];
  if (type === "password") {
    if (auth.applicationCredential !== undefined) {
      errors.push({ field: child(base, "application_credential"), message: 'must not be set when type is "password"' });
    }
    const password = auth.password;
    const path = child(base, "password");
    if (password === undefined) return [...errors, { field: path, message: 'is required when type is "password"' }];
    if (password.user === undefined) errors.push({ field: child(path, "user"), message: "is required" });
    else {
      errors.push(...validateRequiredString(password.user.id, child(child(path, "user"), "id")));
      errors.push(...validateRequiredString(password.user.password, child(child(path, "user"), "password")));
    }
    if (password.project === undefined) errors.push({ field: child(path, "project"), message: "is required" });
    else errors.push(...validateRequiredString(password.project.id, child(child(path, "project"), "id")));
    return errors;
  }
  if (auth.password !== undefined) {
    errors.push({ field: child(base, "password"), message: 'must not be set when type is "application_credential"' });
  }
  const credential = auth.applicationCredential;
  const path = child(base, "application_credential");
  if (credential === undefined) return [...errors, { field: path, message: 'is required when type is "application_credential"' }];
  errors.push(...validateRequiredString(credential.id, child(path, "id")));
  errors.push(...validateRequiredString(credential.secret, child(path, "secret")));
  return errors;
}

/**
 * The spec of a MagnumCluster (metadata is validated by `validateMetadata`):
 * `master_count`, when given, an integer ≥ 1; `node_count`, when given, an
 * integer ≥ 0; `metrics` as a Project's; `constraints.project.labels` parse
 * as label constraints in Krake's grammar (a missing `constraints` is empty).
 */
export function validateMagnumCluster(cluster: MagnumCluster): FieldError[] {
  const spec = cluster.spec;
  if (spec === undefined) return [{ field: "spec", message: "is required" }];
  return [
    ...validateIntAtLeast(spec.masterCount, 1, "spec.master_count"),
    ...validateIntAtLeast(spec.nodeCount, 0, "spec.node_count"),
    ...validateMetricRefs(spec.metrics, "spec.metrics"),
    ...validateConstraintList(spec.constraints?.project?.labels, "spec.constraints.project.labels", parseLabelConstraint),
  ];
}
