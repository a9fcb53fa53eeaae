/**
 * Kubernetes manifests and observer schemas of an Application
 * (docs/user/observer-schema.rst in Krake).
 *
 * An observer schema entry names one manifest resource by `apiVersion`,
 * `kind`, `metadata.name` (and optionally a string `metadata.namespace`);
 * every other field is `null` ("observe this field"), an object of such
 * fields, or a list whose last element is the list control object
 * `{observer_schema_list_min_length, observer_schema_list_max_length}`
 * (non-negative integers; max 0 means unbounded, otherwise max ≥ min and
 * max ≥ the number of observed elements).
 */

import type { FieldError } from "../../../errors/api-error.js";
import { isNonEmptyString, isRecord } from "./internal/checks.js";
import { child, item } from "./internal/paths.js";

interface ResourceId {
  apiVersion: string;
  kind: string;
  name: string;
  /** Undefined when not given. */
  namespace: string | undefined;
}

const MIN_LENGTH = "observer_schema_list_min_length";
const MAX_LENGTH = "observer_schema_list_max_length";

/** Each resource needs `apiVersion`, `kind` and `metadata.name`; no resource may appear twice. */
export function validateManifest(manifest: readonly unknown[], base = "spec.manifest"): FieldError[] {
  const errors: FieldError[] = [];
  const seen = new Map<string, number>();
  manifest.forEach((resource, i) => {
    const path = item(base, i);
    const id = readResourceId(resource, path, errors);
    if (id === undefined) return;
    const key = JSON.stringify([id.apiVersion, id.kind, id.namespace ?? "", id.name]);
    const first = seen.get(key);
    if (first !== undefined) errors.push({ field: path, message: `duplicates ${item(base, first)}` });
    else seen.set(key, i);
  });
  return errors;
}

/**
 * Each entry must be well formed and, when the manifest is not empty, name
 * one of its resources (with a TOSCA template or CSAR the manifest is only
 * known later, so matching is skipped).
 */
export function validateObserverSchema(
  schema: readonly unknown[],
  manifest: readonly unknown[],
  base = "spec.observer_schema",
): FieldError[] {
  const errors: FieldError[] = [];
  const resources = manifest.map((r) => readResourceId(r, "", []));
  schema.forEach((entry, i) => {
    const path = item(base, i);
    const before = errors.length;
    const id = readResourceId(entry, path, errors);
    if (!isRecord(entry)) return;
    for (const [key, value] of Object.entries(entry)) {
      if (key === "apiVersion" || key === "kind") continue;
      if (key === "metadata" && isRecord(value)) {
        for (const [metaKey, metaValue] of Object.entries(value)) {
          if (metaKey === "name" || (metaKey === "namespace" && typeof metaValue === "string")) continue;
          checkObserved(metaValue, child(child(path, "metadata"), metaKey), errors);
        }
        continue;
      }
      if (key !== "metadata") checkObserved(value, child(path, key), errors);
    }
    if (id === undefined || errors.length > before || manifest.length === 0) return;
    if (!resources.some((r) => r !== undefined && sameResource(r, id))) {
      errors.push({
        field: path,
        message: "must refer to a resource of spec.manifest (same apiVersion, kind, metadata.name and metadata.namespace)",
      });
    }
  });
  return errors;
}

function sameResource(resource: ResourceId, observed: ResourceId): boolean {
  return (
    resource.apiVersion === observed.apiVersion &&
    resource.kind === observed.kind &&
    resource.name === observed.name &&
    (observed.namespace === undefined || resource.namespace === observed.namespace)
  );
}

/** Reads the identity of a resource, pushing an error for each missing part. */
function readResourceId(resource: unknown, path: string, errors: FieldError[]): ResourceId | undefined {
  if (!isRecord(resource)) {
    errors.push({ field: path, message: "must be an object" });
    return undefined;
  }
  const { apiVersion, kind, metadata } = resource;
  const name = isRecord(metadata) ? metadata["name"] : undefined;
  const namespace = isRecord(metadata) ? metadata["namespace"] : undefined;
  const before = errors.length;
  if (!isNonEmptyString(apiVersion)) errors.push({ field: child(path, "apiVersion"), message: "is required (a string)" });
  if (!isNonEmptyString(kind)) errors.push({ field: child(path, "kind"), message: "is required (a string)" });
  if (!isRecord(metadata)) errors.push({ field: child(path, "metadata"), message: "is required (an object)" });
  else if (!isNonEmptyString(name)) {
    errors.push({ field: child(child(path, "metadata"), "name"), message: "is required (a string)" });
  }
  if (errors.length > before || !isNonEmptyString(apiVersion) || !isNonEmptyString(kind) || !isNonEmptyString(name)) {
    return undefined;
  }
  return { apiVersion, kind, name, namespace: typeof namespace === "string" ? namespace : undefined };
}

function checkObserved(value: unknown, path: string, errors: FieldError[]): void {
  if (value === null) return;
  if (isRecord(value)) {
    for (const [key, v] of Object.entries(value)) checkObserved(v, child(path, key), errors);
    return;
  }
  if (Array.isArray(value)) {
    checkObservedList(value, path, errors);
    return;
  }
  errors.push({ field: path, message: "must be null (observe this field), an object or a list" });
}

function checkObservedList(list: readonly unknown[], path: string, errors: FieldError[]): void {
  const last = list.length - 1;
  const control: unknown = list[last];
  if (!isRecord(control)) {
    errors.push({ field: path, message: `must end with the list control object {${MIN_LENGTH}, ${MAX_LENGTH}}` });
    return;
  }
  const controlPath = item(path, last);
  const min = readLength(control, MIN_LENGTH, controlPath, errors);
  const max = readLength(control, MAX_LENGTH, controlPath, errors);
  if (min !== undefined && max !== undefined && max !== 0) {
    if (max < min) {
      errors.push({ field: child(controlPath, MAX_LENGTH), message: `must be 0 (unbounded) or at least ${MIN_LENGTH}` });
    } else if (max < last) {
      errors.push({
        field: child(controlPath, MAX_LENGTH),
        message: `must be 0 (unbounded) or at least the number of observed elements (${last})`,
      });
    }
  }
  list.slice(0, last).forEach((element, j) => checkObserved(element, item(path, j), errors));
}

function readLength(control: Record<string, unknown>, key: string, path: string, errors: FieldError[]): number | undefined {
  const value = control[key];
  const field = child(path, key);
  if (value === undefined) errors.push({ field, message: "is required in the list control object" });
  else if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    errors.push({ field, message: "must be a non-negative integer" });
  } else return value;
  return undefined;
}
