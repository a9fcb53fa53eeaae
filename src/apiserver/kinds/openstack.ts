import { magnumClusterKind as generatedMagnumCluster, projectKind as generatedProject } from "../../../gen/kinds.js";
import { MagnumClusterStatus } from "../../../gen/krake/openstack/v1/magnum_cluster.js";
import type { MagnumCluster, MagnumClusterBinding } from "../../../gen/krake/openstack/v1/magnum_cluster.js";
import type { Project } from "../../../gen/krake/openstack/v1/project.js";
import { ApiError } from "../../errors/api-error.js";
import type { FieldError } from "../../errors/api-error.js";
import { anyKind } from "../objects/kind.js";
import type { AnyKind } from "../objects/kind.js";
import { validateMagnumCluster, validateProject } from "../registry/validation/openstack.js";
import { addOwner, rejectIfDeleting, requireRef } from "./owners.js";
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
    rejectIfDeleting(cluster.metadata!, "bind a MagnumCluster");
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
