/**
 * Krake's observer schema (docs/user/observer-schema.rst): which fields of a
 * resource Krake watches. A field is observed when the schema holds it: `null`
 * observes the value, an object its observed keys, a list its observed
 * elements followed by the control object
 * `{observer_schema_list_min_length, observer_schema_list_max_length}`
 * (max 0: unbounded). Without a custom schema for a resource, every field of
 * its manifest is observed and each list must keep its length.
 *
 * Kubernetes answers in camelCase, as manifests are written, so schema keys
 * are manifest keys (Krake translated them to its client's snake_case; its
 * LoadBalancer default `status.load_balancer.ingress` is
 * `status.loadBalancer.ingress` here).
 */
import { findResource, isRecord, resourceId } from "./resource-id.js";
import type { Manifest } from "./resource-id.js";

export const MIN_LENGTH = "observer_schema_list_min_length";
export const MAX_LENGTH = "observer_schema_list_max_length";
export const CURRENT_LENGTH = "observer_schema_list_current_length";

type Schema = Record<string, unknown>;

function defaultFor(value: unknown): unknown {
  if (Array.isArray(value)) {
    return [...value.map(defaultFor), { [MIN_LENGTH]: value.length, [MAX_LENGTH]: value.length }];
  }
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, defaultFor(v)]));
  return null;
}

/** Every field of `resource`, its identity kept as values. */
export function defaultObserverSchema(resource: Manifest): Schema {
  const schema = defaultFor(resource) as Schema;
  const id = resourceId(resource);
  schema.apiVersion = id.apiVersion;
  schema.kind = id.kind;
  const metadata = isRecord(schema.metadata) ? schema.metadata : {};
  schema.metadata = { ...metadata, name: id.name, ...(id.namespace !== undefined && { namespace: id.namespace }) };
  const spec = resource.spec;
  if (isRecord(spec) && spec.type === "LoadBalancer") schema.status = { loadBalancer: { ingress: null } };
  return schema;
}

/** status.mangled_observer_schema: the custom entries, and the default for every other resource. */
export function mangledObserverSchema(manifest: readonly Manifest[], custom: readonly Manifest[]): Schema[] {
  const out: Schema[] = custom.map((s) => structuredClone(s));
  for (const resource of manifest) {
    if (!findResource(custom, resourceId(resource))) out.push(defaultObserverSchema(resource));
  }
  return out;
}

function isControl(v: unknown): v is Record<string, number> {
  return isRecord(v) && (MIN_LENGTH in v || MAX_LENGTH in v);
}

/** The observed part of `object`: observed fields it has, and each observed list's current length. */
export function observedFields(schema: Schema, object: Record<string, unknown>): Schema {
  const out: Schema = {};
  for (const [key, sub] of Object.entries(schema)) {
    if (!(key in object)) continue;
    out[key] = observedValue(sub, object[key]);
  }
  return out;
}

function observedValue(schema: unknown, value: unknown): unknown {
  if (isRecord(schema) && isRecord(value)) return observedFields(schema, value);
  if (Array.isArray(schema) && Array.isArray(value)) {
    const elements = schema.filter((e) => !isControl(e));
    const out = value.slice(0, elements.length).map((v, i) => observedValue(elements[i], v));
    return [...out, { [CURRENT_LENGTH]: value.length }];
  }
  return value;
}

/**
 * Krake's update_last_applied_manifest_from_resp: observed fields the applied
 * manifest does not set take the cluster's value (a Service's clusterIP, a
 * defaulted protocol), so that later changes to them count as drift.
 */
export function fillFromResponse(applied: Record<string, unknown>, schema: Schema, response: Record<string, unknown>): void {
  for (const [key, sub] of Object.entries(schema)) {
    if (!(key in response)) continue;
    const value = response[key];
    if (isRecord(sub) && isRecord(value)) {
      if (!isRecord(applied[key])) applied[key] ??= {};
      if (isRecord(applied[key])) fillFromResponse(applied[key], sub, value);
    } else if (Array.isArray(sub) && Array.isArray(value)) {
      applied[key] ??= [];
      if (Array.isArray(applied[key])) fillList(applied[key], sub, value);
    } else if (!(key in applied)) {
      applied[key] = structuredClone(value);
    }
  }
}

function fillList(applied: unknown[], schema: unknown[], response: unknown[]): void {
  const elements = schema.filter((e) => !isControl(e));
  for (let i = 0; i < elements.length && i < response.length; i++) {
    const sub = elements[i];
    const value = response[i];
    if (isRecord(sub) && isRecord(value)) {
      if (i >= applied.length) applied.push({});
      if (isRecord(applied[i])) fillFromResponse(applied[i] as Record<string, unknown>, sub, value);
    } else if (i >= applied.length) {
      applied.push(structuredClone(value));
    }
  }
}

/**
 * Krake's "modified": an observed field that the applied manifest sets and
 * the cluster holds differently (or lost), or an observed list whose length
 * left its [min, max] bounds. `observed` is an observedFields() result.
 */
export function driftedFields(applied: Record<string, unknown>, schema: Schema, observed: Record<string, unknown>, path = ""): string[] {
  const out: string[] = [];
  for (const [key, sub] of Object.entries(schema)) {
    if (!(key in applied)) continue;
    const at = path ? `${path}.${key}` : key;
    const want = applied[key];
    const have = observed[key];
    if (isRecord(sub) && isRecord(want)) {
      if (!isRecord(have)) out.push(at);
      else out.push(...driftedFields(want, sub, have, at));
    } else if (Array.isArray(sub) && Array.isArray(want)) {
      if (!Array.isArray(have)) out.push(at);
      else out.push(...driftedList(want, sub, have, at));
    } else if (!deepEqual(want, have)) {
      out.push(at);
    }
  }
  return out;
}

function driftedList(want: unknown[], schema: unknown[], have: unknown[], at: string): string[] {
  const control = schema.find(isControl) ?? {};
  const current = have.find((e) => isRecord(e) && CURRENT_LENGTH in e) as Record<string, number> | undefined;
  const length = current?.[CURRENT_LENGTH] ?? have.length;
  const min = Number(control[MIN_LENGTH] ?? 0);
  const max = Number(control[MAX_LENGTH] ?? 0);
  if (length < min || (max !== 0 && length > max)) return [`${at} (length ${length}, expected ${min}..${max || "∞"})`];
  const elements = schema.filter((e) => !isControl(e));
  const out: string[] = [];
  for (let i = 0; i < elements.length && i < want.length; i++) {
    const sub = elements[i];
    const w = want[i];
    const h = have[i];
    if (i >= length) break;
    if (isRecord(sub) && isRecord(w)) {
      if (!isRecord(h)) out.push(`${at}[${i}]`);
      else out.push(...driftedFields(w, sub, h, `${at}[${i}]`));
    } else if (!deepEqual(w, h)) {
      out.push(`${at}[${i}]`);
    }
  }
  return out;
}

/**
 * What the cluster should show for the fields `applied` sets: the value the
 * cluster answered with right after Krake's apply (`baseline`, that
 * resource's last_observed_manifest entry) where it has one, else the
 * manifest's. The cluster's normal form (a quantity `1` stored as `"1"`, a
 * `0.5` as `"500m"`) then counts as no change.
 */
export function expectedFields(applied: unknown, baseline: unknown): unknown {
  if (baseline === undefined) return applied;
  if (isRecord(applied)) {
    if (!isRecord(baseline)) return applied;
    return Object.fromEntries(Object.entries(applied).map(([k, v]) => [k, expectedFields(v, baseline[k])]));
  }
  if (Array.isArray(applied)) {
    if (!Array.isArray(baseline)) return applied;
    const elements = baseline.filter((e) => !(isRecord(e) && CURRENT_LENGTH in e));
    return applied.map((v, i) => expectedFields(v, elements[i]));
  }
  return baseline;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isRecord(a) && isRecord(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}
