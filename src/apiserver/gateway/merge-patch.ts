import type { DescMessage } from "@bufbuild/protobuf";
import { wellKnown } from "./json/wkt.js";

type Json = unknown;

/**
 * RFC 7386 JSON Merge Patch: objects merge key by key, `null` removes a key,
 * anything else (arrays included) replaces the target. Objects made here have
 * no prototype, so a `__proto__` key stays an ordinary key (which the decoder
 * then refuses as an unknown field, as it does for PUT). Recursive: callers
 * bound the depth of both documents first (request-body.ts).
 */
export function applyMergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return patch;
  const out = plainObject(isObject(target) ? target : undefined);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = applyMergePatch(out[key], value);
  }
  return out;
}

/**
 * Rewrites lowerCamel keys of a patch to the proto names the server writes,
 * so that `{"metadata": {"resourceVersion": ...}}` patches the same key as
 * `resource_version` does. Free-form values (Struct, Value) and map keys stay
 * as they are.
 */
export function protoNamedPatch(desc: DescMessage, patch: Json): Json {
  if (!isObject(patch) || wellKnown(desc)) return patch;
  const out = plainObject();
  for (const [key, value] of Object.entries(patch)) {
    const field = desc.fields.find((f) => f.name === key || f.jsonName === key);
    if (!field) {
      out[key] = value;
      continue;
    }
    const message = field.fieldKind === "message" ? field.message : undefined;
    out[field.name] = message ? protoNamedPatch(message, value) : value;
  }
  return out;
}

/** An object without a prototype, with `from`'s own keys. */
function plainObject(from?: Record<string, Json>): Record<string, Json> {
  return Object.assign(Object.create(null) as Record<string, Json>, from);
}

export function isObject(v: Json): v is Record<string, Json> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
