import * as generated from "../../../gen/kinds.js";
import type { Cloud, CloudSpec, GlobalCloud } from "../../../gen/krake/infrastructure/v1/cloud.js";
import type {
  GlobalInfrastructureProvider,
  InfrastructureProvider,
} from "../../../gen/krake/infrastructure/v1/infrastructure_provider.js";
import { anyKind } from "../objects/kind.js";
import type { AnyKind } from "../objects/kind.js";
import {
  validateCloud,
  validateGlobalCloud,
  validateInfrastructureProvider,
} from "../registry/validation/infrastructure.js";
import { serverKind } from "./server-kind.js";

/**
 * Krake's defaults of the OpenStack password authentication: identity API
 * version "3", user domain "Default", project domain "default".
 */
function defaultCloudSpec(spec: CloudSpec | undefined): void {
  const password = spec?.openstack?.auth?.password;
  if (!password) return;
  if (!password.version) password.version = "3";
  if (password.user && !password.user.domainName) password.user.domainName = "Default";
  if (password.project && !password.project.domainId) password.project.domainId = "default";
}

export const globalInfrastructureProviderKind = serverKind<GlobalInfrastructureProvider>(generated.globalInfrastructureProviderKind, {
  validate: validateInfrastructureProvider,
});
export const infrastructureProviderKind = serverKind<InfrastructureProvider>(generated.infrastructureProviderKind, {
  validate: validateInfrastructureProvider,
});
export const globalCloudKind = serverKind<GlobalCloud>(generated.globalCloudKind, {
  prepareForCreate: (cloud) => defaultCloudSpec(cloud.spec),
  validate: validateGlobalCloud,
});
export const cloudKind = serverKind<Cloud>(generated.cloudKind, {
  prepareForCreate: (cloud) => defaultCloudSpec(cloud.spec),
  validate: validateCloud,
});

/** The infrastructure group's server hooks (validation, defaults). */
export const infrastructureKinds: AnyKind[] = [
  anyKind(globalInfrastructureProviderKind),
  anyKind(infrastructureProviderKind),
  anyKind(globalCloudKind),
  anyKind(cloudKind),
];
