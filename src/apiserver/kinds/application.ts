import { ApiError, Status } from "../../errors/api-error.js";
import type { FieldError } from "../../errors/api-error.js";
import {
  ApplicationComplete,
  ApplicationShutdown,
  ApplicationStatus,
  ApplicationStatus_State as State,
  ClusterBinding,
} from "../../../gen/krake/kubernetes/v1/application.js";
import type { Application, ApplicationSpec } from "../../../gen/krake/kubernetes/v1/application.js";
import { applicationKind as generated } from "../../kinds/index.js";
import {
  isHttpUrlWithSuffix,
  isRecord,
  item,
  parseLabelConstraint,
  parseMetricConstraint,
  validateBackoff,
  validateConstraintList,
  validateCustomResources,
  validateIntAtLeast,
  validateManifest,
  validateObserverSchema,
  validateToscaTemplate,
} from "../registry/validation/index.js";
import { scheduleDryRun } from "./application-schedule.js";
import { hookTokenMatches } from "./hook-token.js";
import { addOwner, requireRef } from "./owners.js";
import { serverKind } from "./server-kind.js";
import type { SubresourceHooks } from "./server-kind.js";

const binding: SubresourceHooks<Application> = {
  apply(app, body, now) {
    const ref = requireRef((body as ClusterBinding | undefined)?.cluster, "binding.cluster", "Application", app.metadata!.name);
    const status = (app.status ??= ApplicationStatus.fromPartial({}));
    status.scheduled = now;
    status.kubeControllerTriggered = { ...now };
    status.scheduledTo = ref;
    addOwner(app.metadata!, ref);
    return app;
  },
};

const complete: SubresourceHooks<Application> = {
  apply(app, body, now) {
    const token = (body as ApplicationComplete | undefined)?.token ?? "";
    if (!hookTokenMatches(token, app.status?.completeToken)) {
      throw ApiError.unauthenticated("The complete hook token is invalid.");
    }
    app.status!.state = State.READY_FOR_ACTION;
    app.metadata!.deleted ??= now;
    return app;
  },
};

const shutdown: SubresourceHooks<Application> = {
  apply(app, body) {
    const token = (body as ApplicationShutdown | undefined)?.token ?? "";
    if (!hookTokenMatches(token, app.status?.shutdownToken)) {
      throw ApiError.unauthenticated("The shutdown hook token is invalid.");
    }
    const state = app.status!.state;
    if (state !== State.WAITING_FOR_CLEANING && state !== State.DEGRADED) return undefined;
    app.status!.state = State.READY_FOR_ACTION;
    app.status!.shutdownGracePeriod = undefined;
    return app;
  },
};

const retry: SubresourceHooks<Application> = {
  rbacResource: "applications/status",
  apply(app) {
    if (app.status?.state !== State.DEGRADED) {
      throw new ApiError(Status.FAILED_PRECONDITION, "BadRequest", "Only a DEGRADED Application can be retried.");
    }
    app.status.state = State.WAITING_FOR_CLEANING;
    // Krake clears the grace period, so that the shutdown flow starts again instead of returning early.
    app.status.shutdownGracePeriod = undefined;
    return app;
  },
};

export const applicationKind = serverKind<Application>(generated, {
  subresources: { binding, complete, shutdown, retry },
  actions: { schedule: scheduleDryRun },
  prepareForDelete(app) {
    // Krake: an Application with a shutdown hook is asked to shut down first; the application
    // controller sees WAITING_FOR_CLEANING and calls the hook. A FAILED one has nothing running.
    const status = app.status;
    if (status && app.spec?.hooks.includes("shutdown") && status.state !== State.FAILED) {
      status.state = State.WAITING_FOR_CLEANING;
    }
  },
  prepareForCreate(app) {
    // Krake's defaults. shutdown_failure_strategy and shutdown_retry_count stay unset (null), so that
    // the application controller's configuration applies; shutdown_grace_time keeps Krake 1.0.1's
    // default 30, since 1.0.1's schema refuses null there (the controller's default is 30 too).
    const spec = app.spec;
    if (!spec) return;
    spec.constraints ??= { cluster: undefined, migration: true };
    spec.constraints.cluster ??= { labels: [], customResources: [], metrics: [] };
    spec.constraints.migration ??= true;
    spec.tosca ??= {};
    spec.backoff ??= 1;
    spec.backoffDelay ??= 1;
    spec.backoffLimit ??= -1;
    spec.shutdownGraceTime ??= 30;
    spec.storageMigration ||= "none";
  },
  validate: validateApplication,
});

// ---- validation ---------------------------------------------------------------------------------

export const APPLICATION_HOOKS: readonly string[] = ["complete", "shutdown"];
export const SHUTDOWN_FAILURE_STRATEGIES: readonly string[] = ["give_up", "delete"];

/**
 * The Application's spec (metadata is validated by `validateMetadata`).
 *
 * - One of `manifest` (non-empty), `tosca` (non-empty object, or an http(s)
 *   URL ending .yaml/.yml) or `csar` (http(s) URL ending .csar/.zip) is
 *   needed; several may be given (Krake then prefers manifest, then tosca).
 * - Manifest resources and observer schema: see registry/validation/manifest.ts.
 * - `constraints` is required by Krake; a missing one is treated as empty.
 *   Label and metric constraints must parse (registry/validation/constraints.ts); custom
 *   resources are `<plural>.<group>`.
 * - `hooks` ⊆ {complete, shutdown}, no duplicates; `shutdown_failure_strategy`
 *   ∈ {give_up, delete} when set; `shutdown_grace_time` ≥ 0; backoff ≥ 0,
 *   backoff_delay ≥ 0, backoff_limit ≥ -1.
 */
export function validateApplication(app: Application): FieldError[] {
  const spec = app.spec;
  if (spec === undefined) return [{ field: "spec", message: "is required" }];
  const errors: FieldError[] = [];
  const manifest: readonly unknown[] = spec.manifest ?? [];

  const tosca = validateTosca(spec.tosca);
  errors.push(...tosca.errors);
  const hasCsar = spec.csar !== undefined && spec.csar !== null;
  if (hasCsar && !isHttpUrlWithSuffix(spec.csar ?? "", [".csar", ".zip"])) {
    errors.push({ field: "spec.csar", message: "must be an http or https URL ending in .csar or .zip" });
  }
  if (manifest.length === 0 && !tosca.given && !hasCsar) {
    errors.push({ field: "spec", message: 'one of "manifest", "tosca" or "csar" must be given' });
  }

  errors.push(...validateManifest(manifest, "spec.manifest"));
  errors.push(...validateObserverSchema(spec.observerSchema ?? [], manifest, "spec.observer_schema"));
  errors.push(...validateClusterConstraints(spec));
  errors.push(...validateHooks(spec));
  errors.push(...validateBackoff(spec, "spec"));
  return errors;
}

/** `tosca` is absent (undefined, null, {} or ""), a template object or a URL. */
function validateTosca(tosca: unknown): { given: boolean; errors: FieldError[] } {
  const field = "spec.tosca";
  if (tosca === undefined || tosca === null || tosca === "") return { given: false, errors: [] };
  if (typeof tosca === "string") {
    const ok = isHttpUrlWithSuffix(tosca, [".yaml", ".yml"]);
    return { given: true, errors: ok ? [] : [{ field, message: "must be an http or https URL ending in .yaml or .yml" }] };
  }
  if (isRecord(tosca)) {
    if (Object.keys(tosca).length === 0) return { given: false, errors: [] };
    return { given: true, errors: validateToscaTemplate(tosca, field) };
  }
  return { given: true, errors: [{ field, message: "must be a TOSCA template (an object) or its URL" }] };
}

function validateClusterConstraints(spec: ApplicationSpec): FieldError[] {
  const cluster = spec.constraints?.cluster;
  if (cluster === undefined) return [];
  const base = "spec.constraints.cluster";
  return [
    ...validateConstraintList(cluster.labels, `${base}.labels`, parseLabelConstraint),
    ...validateCustomResources(cluster.customResources, `${base}.custom_resources`),
    ...validateConstraintList(cluster.metrics, `${base}.metrics`, parseMetricConstraint),
  ];
}

function validateHooks(spec: ApplicationSpec): FieldError[] {
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  (spec.hooks ?? []).forEach((hook, i) => {
    const field = item("spec.hooks", i);
    if (!APPLICATION_HOOKS.includes(hook)) errors.push({ field, message: 'must be "complete" or "shutdown"' });
    else if (seen.has(hook)) errors.push({ field, message: `duplicate hook "${hook}"` });
    seen.add(hook);
  });
  const strategy = spec.shutdownFailureStrategy;
  if (strategy !== undefined && strategy !== null && !SHUTDOWN_FAILURE_STRATEGIES.includes(strategy)) {
    errors.push({ field: "spec.shutdown_failure_strategy", message: 'must be "give_up" or "delete"' });
  }
  errors.push(...validateIntAtLeast(spec.shutdownGraceTime ?? undefined, 0, "spec.shutdown_grace_time"));
  return errors;
}
