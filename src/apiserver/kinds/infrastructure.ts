import * as generated from "../../../gen/kinds.js";
import type { Cloud, CloudSpec, GlobalCloud, OpenstackSpec, Password } from "../../../gen/krake/infrastructure/v1/cloud.js";
import type {
  GlobalInfrastructureProvider,
  InfrastructureProvider,
} from "../../../gen/krake/infrastructure/v1/infrastructure_provider.js";
import type { FieldError } from "../../errors/api-error.js";
import { anyKind } from "../objects/kind.js";
import type { AnyKind } from "../objects/kind.js";
import {
  child,
  isNonEmptyString,
  item,
  validateHttpUrl,
  validateMetricRefs,
  validateName,
  validateRequiredString,
} from "../registry/validation/index.js";
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

// ---- validation ---------------------------------------------------------------------------------

export const INFRASTRUCTURE_PROVIDER_TYPES = ["im"] as const;
export const CLOUD_TYPES = ["openstack"] as const;
export const OPENSTACK_AUTH_TYPES = ["password"] as const;

/**
 * The spec of an InfrastructureProvider or GlobalInfrastructureProvider
 * (metadata is validated by `validateMetadata`), as Krake's `ImSpec`:
 *
 * - `type` is "im" and `im` is set;
 * - `im.url` is an http(s) URL;
 * - `im.token`, or both `im.username` and `im.password`, are given.
 */
export function validateInfrastructureProvider(provider: InfrastructureProvider | GlobalInfrastructureProvider): FieldError[] {
  const spec = provider.spec;
  if (spec === undefined) return [{ field: "spec", message: "is required" }];
  const typeErrors = validateType(spec.type, INFRASTRUCTURE_PROVIDER_TYPES, "spec.type");
  if (typeErrors.length) return typeErrors;
  const im = spec.im;
  if (im === undefined) return [{ field: "spec.im", message: 'is required when type is "im"' }];
  const errors = validateHttpUrl(im.url, "spec.im.url");
  if (!isNonEmptyString(im.token) && !(isNonEmptyString(im.username) && isNonEmptyString(im.password))) {
    errors.push({ field: "spec.im", message: "needs a token, or a username and a password (at least one authentication)" });
  }
  return errors;
}

/**
 * The spec of a Cloud (metadata is validated by `validateMetadata`), as
 * Krake's `OpenstackSpec`:
 *
 * - `type` is "openstack" and `openstack` is set;
 * - `openstack.url` is an http(s) URL (the identity service);
 * - `openstack.auth.type` is "password" and `auth.password` is set, with
 *   `user.username`, `user.password` and `project.name`;
 * - `openstack.metrics`: each with a valid `name` and a positive `weight`;
 * - `openstack.infrastructure_provider.name` is a valid name.
 */
export function validateCloud(cloud: Cloud | GlobalCloud): FieldError[] {
  const spec = cloud.spec;
  if (spec === undefined) return [{ field: "spec", message: "is required" }];
  const typeErrors = validateType(spec.type, CLOUD_TYPES, "spec.type");
  if (typeErrors.length) return typeErrors;
  const openstack = spec.openstack;
  if (openstack === undefined) return [{ field: "spec.openstack", message: 'is required when type is "openstack"' }];
  return validateOpenstack(openstack, "spec.openstack");
}

/**
 * A GlobalCloud: the Cloud rules, and no reference to namespaced resources
 * (Krake, #499): `infrastructure_provider.namespaced` and every
 * `metrics[].namespaced` must be false.
 */
export function validateGlobalCloud(cloud: GlobalCloud): FieldError[] {
  const errors = validateCloud(cloud);
  const openstack = cloud.spec?.openstack;
  if (openstack === undefined) return errors;
  const base = "spec.openstack";
  if (openstack.infrastructureProvider?.namespaced) {
    errors.push({
      field: child(child(base, "infrastructure_provider"), "namespaced"),
      message: "a GlobalCloud cannot reference a namespaced infrastructure provider",
    });
  }
  (openstack.metrics ?? []).forEach((metric, i) => {
    if (metric.namespaced) {
      errors.push({
        field: child(item(child(base, "metrics"), i), "namespaced"),
        message: "a GlobalCloud cannot reference a namespaced metric",
      });
    }
  });
  return errors;
}

function validateType(type: string, allowed: readonly string[], field: string): FieldError[] {
  if (allowed.includes(type)) return [];
  return [{ field, message: `must be ${allowed.map((t) => `"${t}"`).join(" or ")}` }];
}

function validateOpenstack(openstack: OpenstackSpec, base: string): FieldError[] {
  const errors = validateHttpUrl(openstack.url, child(base, "url"));

  const authPath = child(base, "auth");
  const auth = openstack.auth;
  if (auth === undefined) errors.push({ field: authPath, message: "is required" });
  else {
    const typeErrors = validateType(auth.type, OPENSTACK_AUTH_TYPES, child(authPath, "type"));
    errors.push(...typeErrors);
    if (!typeErrors.length) {
      if (auth.password === undefined) {
        errors.push({ field: child(authPath, "password"), message: 'is required when type is "password"' });
      } else {
        errors.push(...validatePassword(auth.password, child(authPath, "password")));
      }
    }
  }

  errors.push(...validateMetricRefs(openstack.metrics, child(base, "metrics")));

  const providerPath = child(base, "infrastructure_provider");
  const provider = openstack.infrastructureProvider;
  if (provider === undefined) errors.push({ field: providerPath, message: "is required" });
  else if (!isNonEmptyString(provider.name)) errors.push({ field: child(providerPath, "name"), message: "is required" });
  else errors.push(...validateName(provider.name, child(providerPath, "name")));
  return errors;
}

function validatePassword(password: Password, base: string): FieldError[] {
  const errors: FieldError[] = [];
  const userPath = child(base, "user");
  if (password.user === undefined) errors.push({ field: userPath, message: "is required" });
  else {
    errors.push(...validateRequiredString(password.user.username, child(userPath, "username")));
    errors.push(...validateRequiredString(password.user.password, child(userPath, "password")));
  }
  const projectPath = child(base, "project");
  if (password.project === undefined) errors.push({ field: projectPath, message: "is required" });
  else errors.push(...validateRequiredString(password.project.name, child(projectPath, "name")));
  return errors;
}
