/** Small rules about an Application's status that several steps share. */
import { ApplicationStatus, ApplicationStatus_State as State } from "../../../gen/krake/kubernetes/v1/application.js";
import type { Application } from "../../../gen/krake/kubernetes/v1/application.js";
import { Reason_Code } from "../../../gen/krake/core/v1/types.js";
import type { ResourceRef } from "../../../gen/krake/core/v1/types.js";
import { deepEqual, isRecord } from "./manifest/index.js";
import type { Manifest } from "./manifest/index.js";
import { findResource, resourceId } from "./manifest/resource-id.js";

/** Krake's finalizer of this controller: the Application's resources are still on a cluster. */
export const resourcesFinalizer = "kubernetes_resources_deletion";

export function statusOf(app: Application): ApplicationStatus {
  // A deep copy: the cached object stays as the informer holds it.
  return ApplicationStatus.fromJSON(ApplicationStatus.toJSON(ApplicationStatus.fromPartial(app.status ?? {})));
}

export function sameStatus(a: ApplicationStatus | undefined, b: ApplicationStatus): boolean {
  return deepEqual(ApplicationStatus.toJSON(ApplicationStatus.fromPartial(a ?? {})), ApplicationStatus.toJSON(b));
}

export function refKeyOf(ref: ResourceRef | undefined): string {
  return ref?.name ? `${ref.namespace ?? ""}/${ref.name}` : "";
}

export function sameRef(a: ResourceRef | undefined, b: ResourceRef | undefined): boolean {
  return refKeyOf(a) === refKeyOf(b);
}

export function manifestOf(app: Application): Manifest[] {
  return (app.spec?.manifest ?? []).filter(isRecord).map((r) => structuredClone(r));
}

/** Krake: TOSCA templates and CSAR archives are translated into a manifest; not here. */
export function unsupportedSource(app: Application): string | undefined {
  if ((app.spec?.manifest ?? []).length > 0) return undefined;
  const tosca = app.spec?.tosca;
  const hasTosca = typeof tosca === "string" ? tosca !== "" : isRecord(tosca) && Object.keys(tosca).length > 0;
  if (hasTosca) return "TOSCA templates are not supported by krake-controller-kubernetes-application: give the Application a Kubernetes manifest (spec.manifest)";
  if (app.spec?.csar) return "CSAR archives are not supported by krake-controller-kubernetes-application: give the Application a Kubernetes manifest (spec.manifest)";
  return undefined;
}

/** Krake's backoff_delay · backoff seconds (defaults 1 and 1), at least 1 s. */
export function retryDelayMs(app: Application): number {
  return Math.max(1, (app.spec?.backoffDelay ?? 1) * (app.spec?.backoff ?? 1)) * 1000;
}

/** An error of this controller that its backoff retries (DEGRADED, then FAILED past backoff_limit). */
export function isRetriedError(status: ApplicationStatus | undefined): boolean {
  const code = status?.reason?.code;
  return (status?.state === State.DEGRADED || status?.state === State.FAILED) && (code === Reason_Code.KUBERNETES_ERROR || code === Reason_Code.CLUSTER_NOT_REACHABLE);
}

/** The union of two manifests by resource identity (the first one's copy wins). */
export function unionOf(a: readonly Manifest[], b: readonly Manifest[]): Manifest[] {
  return [...a, ...b.filter((r) => !findResource(a, resourceId(r)))];
}

/**
 * Everything of the Application a cluster may hold: what was last applied and what the manifest names now
 * (a crash between an apply and its status write leaves resources that last_applied_manifest does not name).
 */
export function resourcesOf(app: Application): Manifest[] {
  return unionOf((app.status?.lastAppliedManifest ?? []) as Manifest[], manifestOf(app));
}
