import { CloudBinding, ClusterStatus } from "../../../gen/krake/kubernetes/v1/cluster.js";
import type { Cluster } from "../../../gen/krake/kubernetes/v1/cluster.js";
import type { FieldError } from "../../errors/api-error.js";
import { clusterKind as generated } from "../../kinds/index.js";
import {
  child,
  isNonEmptyString,
  isRecord,
  item,
  parseLabelConstraint,
  parseMetricConstraint,
  validateBackoff,
  validateConstraintList,
  validateCustomResources,
  validateMetricRefs,
  validateToscaTemplate,
} from "../registry/validation/index.js";
import { addOwner, requireRef } from "./owners.js";
import { serverKind } from "./server-kind.js";
import type { SubresourceHooks } from "./server-kind.js";

const binding: SubresourceHooks<Cluster> = {
  apply(cluster, body, now) {
    const ref = requireRef((body as CloudBinding | undefined)?.cloud, "binding.cloud", "Cluster", cluster.metadata!.name);
    const status = (cluster.status ??= ClusterStatus.fromPartial({}));
    status.scheduled = now;
    status.scheduledTo = ref;
    addOwner(cluster.metadata!, ref);
    return cluster;
  },
};

export const clusterKind = serverKind<Cluster>(generated, {
  subresources: { binding },
  prepareForCreate(cluster) {
    const spec = cluster.spec;
    if (!spec) return;
    spec.constraints ??= { cloud: undefined };
    spec.constraints.cloud ??= { labels: [], metrics: [] };
    spec.backoff ??= 1;
    spec.backoffDelay ??= 1;
    spec.backoffLimit ??= -1;
  },
  validate: validateCluster,
});

// ---- validation ---------------------------------------------------------------------------------

/**
 * The Cluster's spec (metadata is validated by `validateMetadata`).
 *
 * - `kubeconfig` (non-empty) or `tosca` (non-empty) is needed.
 * - kubeconfig: exactly one entry in each of `contexts`, `users`, `clusters`,
 *   each with a `name`; the context's `context.cluster` names the cluster and
 *   its `context.user`, when given, the user; the cluster has a
 *   `cluster.server`; `current-context`, when given, names the context.
 * - tosca: a TOSCA template with `topology_template.outputs.kubeconfig`.
 * - `custom_resources`: `<plural>.<group>`.
 * - `metrics`: each with a valid `name` and a `weight` that is a positive number.
 * - `constraints.cloud.labels` / `.metrics` parse in Krake's grammar; a missing
 *   `constraints` is treated as empty.
 * - backoff ≥ 0, backoff_delay ≥ 0, backoff_limit ≥ -1.
 */
export function validateCluster(cluster: Cluster): FieldError[] {
  const spec = cluster.spec;
  if (spec === undefined) return [{ field: "spec", message: "is required" }];
  const errors: FieldError[] = [];
  const kubeconfig = spec.kubeconfig;
  const tosca = spec.tosca;
  const hasKubeconfig = isRecord(kubeconfig) && Object.keys(kubeconfig).length > 0;
  const hasTosca = isRecord(tosca) && Object.keys(tosca).length > 0;
  if (!hasKubeconfig && !hasTosca) {
    errors.push({ field: "spec", message: 'one of "kubeconfig" or "tosca" must be given' });
  }
  if (hasKubeconfig) errors.push(...validateKubeconfig(kubeconfig, "spec.kubeconfig"));
  if (hasTosca) errors.push(...validateClusterTosca(tosca, "spec.tosca"));
  errors.push(...validateCustomResources(spec.customResources, "spec.custom_resources"));
  errors.push(...validateMetricRefs(spec.metrics, "spec.metrics"));
  const cloud = spec.constraints?.cloud;
  if (cloud !== undefined) {
    errors.push(...validateConstraintList(cloud.labels, "spec.constraints.cloud.labels", parseLabelConstraint));
    errors.push(...validateConstraintList(cloud.metrics, "spec.constraints.cloud.metrics", parseMetricConstraint));
  }
  errors.push(...validateBackoff(spec, "spec"));
  return errors;
}

/** A kubeconfig with exactly one context, user and cluster that refer to each other. */
export function validateKubeconfig(kubeconfig: Record<string, unknown>, base: string): FieldError[] {
  const errors: FieldError[] = [];
  const context = single(kubeconfig, "contexts", "context", base, errors);
  const user = single(kubeconfig, "users", "user", base, errors);
  const cluster = single(kubeconfig, "clusters", "cluster", base, errors);

  if (cluster !== undefined) {
    const body = cluster.entry["cluster"];
    const path = child(cluster.path, "cluster");
    if (!isRecord(body)) errors.push({ field: path, message: "is required (an object)" });
    else if (!isNonEmptyString(body["server"])) errors.push({ field: child(path, "server"), message: "is required" });
  }
  if (context !== undefined) {
    const body = context.entry["context"];
    const path = child(context.path, "context");
    if (!isRecord(body)) errors.push({ field: path, message: "is required (an object)" });
    else {
      if (cluster !== undefined && body["cluster"] !== cluster.name) {
        errors.push({ field: child(path, "cluster"), message: `must name the kubeconfig's cluster "${cluster.name}"` });
      }
      if (user !== undefined && body["user"] !== undefined && body["user"] !== user.name) {
        errors.push({ field: child(path, "user"), message: `must name the kubeconfig's user "${user.name}"` });
      }
    }
  }
  const current = kubeconfig["current-context"];
  if (context !== undefined && current !== undefined && current !== null && current !== context.name) {
    errors.push({ field: child(base, "current-context"), message: `must name the kubeconfig's context "${context.name}"` });
  }
  return errors;
}

interface NamedEntry {
  entry: Record<string, unknown>;
  name: string;
  path: string;
}

/** `kubeconfig[list]` must hold exactly one object with a `name`. */
function single(
  kubeconfig: Record<string, unknown>,
  list: string,
  what: string,
  base: string,
  errors: FieldError[],
): NamedEntry | undefined {
  const value = kubeconfig[list];
  const field = child(base, list);
  if (!Array.isArray(value) || value.length !== 1) {
    errors.push({ field, message: `must be a list with exactly one ${what}` });
    return undefined;
  }
  const entry: unknown = value[0];
  const path = item(field, 0);
  if (!isRecord(entry)) {
    errors.push({ field: path, message: "must be an object" });
    return undefined;
  }
  const name = entry["name"];
  if (!isNonEmptyString(name)) {
    errors.push({ field: child(path, "name"), message: "is required" });
    return undefined;
  }
  return { entry, name, path };
}

/** Krake reads the cluster's kubeconfig from the template's `topology_template.outputs.kubeconfig`. */
function validateClusterTosca(tosca: Record<string, unknown>, base: string): FieldError[] {
  const topology = tosca["topology_template"];
  const outputs = isRecord(topology) ? topology["outputs"] : undefined;
  const output = isRecord(outputs) ? outputs["kubeconfig"] : undefined;
  const errors = validateToscaTemplate(tosca, base);
  if (output === undefined || output === null || output === "" || (isRecord(output) && Object.keys(output).length === 0)) {
    errors.push({
      field: `${base}.topology_template.outputs.kubeconfig`,
      message: "is required: the cluster's kubeconfig is read from this output",
    });
  }
  return errors;
}
