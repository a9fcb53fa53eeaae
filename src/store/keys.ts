/**
 * The key layout in etcd, in one place:
 *
 *   namespaced: `${prefix}/${api}/${plural}/${namespace}/${name}`
 *   global:     `${prefix}/${api}/${plural}/${name}`           (namespace "")
 *
 * No segment may contain "/", so a key has exactly one parse given whether
 * its kind is namespaced (which the segment count tells).
 */
import { ApiError } from "../errors/api-error.js";

export const DEFAULT_KEY_PREFIX = "/krake";

export interface ObjectKeyParts {
  api: string;
  plural: string;
  /** "" for global kinds. */
  namespace: string;
  name: string;
}

function checkSegment(what: string, value: string): void {
  if (value === "") throw ApiError.badRequest(`${what} must not be empty`);
  if (value.includes("/")) throw ApiError.badRequest(`${what} must not contain "/": ${JSON.stringify(value)}`);
}

function checkPrefix(prefix: string): void {
  if (!prefix.startsWith("/") || prefix.endsWith("/")) {
    throw new Error(`key prefix must start with "/" and not end with "/": ${JSON.stringify(prefix)}`);
  }
}

/** Prefix of every key of one kind (all namespaces), ending in "/". */
export function kindPrefix(prefix: string, api: string, plural: string): string {
  checkPrefix(prefix);
  checkSegment("api", api);
  checkSegment("plural", plural);
  return `${prefix}/${api}/${plural}/`;
}

/** Prefix of the keys of one kind in one namespace, ending in "/". */
export function namespacePrefix(prefix: string, api: string, plural: string, namespace: string): string {
  checkSegment("namespace", namespace);
  return `${kindPrefix(prefix, api, plural)}${namespace}/`;
}

/** The key of one object; `namespace` is "" for global kinds. */
export function objectKey(prefix: string, api: string, plural: string, namespace: string, name: string): string {
  checkSegment("name", name);
  const base = namespace === "" ? kindPrefix(prefix, api, plural) : namespacePrefix(prefix, api, plural, namespace);
  return `${base}${name}`;
}

/** Inverse of objectKey; undefined if `key` is not an object key under `prefix`. */
export function parseObjectKey(prefix: string, key: string): ObjectKeyParts | undefined {
  if (!key.startsWith(`${prefix}/`)) return undefined;
  const parts = key.slice(prefix.length + 1).split("/");
  if (parts.some((p) => p === "")) return undefined;
  if (parts.length === 3) return { api: parts[0], plural: parts[1], namespace: "", name: parts[2] };
  if (parts.length === 4) return { api: parts[0], plural: parts[1], namespace: parts[2], name: parts[3] };
  return undefined;
}

/**
 * `api/plural` of an object key under `prefix` (what selects its kind's
 * cache), undefined for a key that is not one. Cheaper than parseObjectKey:
 * it runs for every event of the store watch.
 */
export function kindOfKey(prefix: string, key: string): string | undefined {
  const start = prefix.length + 1;
  const a = key.indexOf("/", start);
  const b = a < 0 ? -1 : key.indexOf("/", a + 1);
  return b < 0 ? undefined : key.slice(start, b);
}
