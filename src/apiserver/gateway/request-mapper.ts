import type { DescMessage, DescMethod } from "@bufbuild/protobuf";
import { ApiError, Status } from "../../errors/api-error.js";
import type { FieldError } from "../../errors/api-error.js";
import type { Fields } from "../operations.js";
import type { JsonDecoder } from "./json/decode.js";

/** Query parameters that steer the transport and never reach a request message. */
export const transportParams = new Set(["watch", "heartbeat"]);

/** Builds a method's request message from path variables, query parameters and the parsed JSON body. */
export type RequestMapper = (params: Record<string, string>, query: URLSearchParams | undefined, body: unknown) => Fields;

/** The query parameters a method does not read (Krake ignores them; the gateway answers with a Warning). */
export type IgnoredParams = (query: URLSearchParams | undefined) => string[];

export interface BodyBinding {
  /** `body` of the http rule: "" (none), "*" (the whole request) or a request field name. */
  rule: string;
  /** The message the body is read as (the request for "*"). */
  desc?: DescMessage;
}

/**
 * The google.api.http request mapping: path variables and query parameters
 * fill the request fields they name (dotted paths for nested fields, repeated
 * parameters for lists); the body fills the field named by `body`, or the
 * whole request for `body: "*"`, in which case the query may not set fields.
 * A parameter that names no field of the request is ignored, as Krake's server
 * (aiohttp) ignores parameters it does not read and its clients rely on that
 * (krakectl sends `blocking=False` on every PUT); `ignored` lists them so the
 * gateway can say so in a Warning header. Bad values of known parameters are
 * 400 with the offending names; a bad body is Krake's 422 with a message per
 * field.
 */
export function requestMapper(
  method: DescMethod,
  bodyRule: string,
  decoder: JsonDecoder,
): { map: RequestMapper; body: BodyBinding; ignored: IgnoredParams } {
  const input = method.input;
  const fieldNames = new Set(input.fields.flatMap((f) => [f.name, f.jsonName]));
  const reads = (key: string) => transportParams.has(key) || fieldNames.has(key.split(".")[0]);
  // A prototype key is refused wherever it stands, read or not (hostile, never a Krake client's).
  const hostile = (key: string) => key.split(".").some((k) => prototypeKeys.has(k));
  const ignored: IgnoredParams = (query) => (query ? [...new Set([...query.keys()].filter((k) => !reads(k) && !hostile(k)))] : []);
  const params = decoder.decoder(input);
  const bodyField = bodyRule && bodyRule !== "*" ? input.fields.find((f) => f.name === bodyRule) : undefined;
  if (bodyRule && bodyRule !== "*" && bodyField?.fieldKind !== "message") {
    throw new Error(`${method.toString()}: http body "${bodyRule}" must name a message field of ${input.typeName}`);
  }
  const bodyDesc = bodyRule === "*" ? input : bodyField?.message;
  const readBody = bodyDesc && decoder.decoder(bodyDesc);
  const map: RequestMapper = (vars, query, body) => {
    const json: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    if (query) {
      for (const [key, value] of query) {
        if (hostile(key)) throw badParams([{ field: key, message: "unknown field" }]);
        if (transportParams.has(key) || !reads(key)) continue;
        if (bodyRule === "*") throw badParams([{ field: key, message: "this method takes its fields from the body, not the query" }]);
        if (bodyField && (key === bodyField.name || key === bodyField.jsonName || key.startsWith(`${bodyField.name}.`))) {
          throw badParams([{ field: key, message: "set by the request body" }]);
        }
        setPath(json, key, value, true);
      }
    }
    for (const key in vars) setPath(json, key, vars[key], false);
    const errors: FieldError[] = [];
    if (bodyRule === "*") {
      const req = readBody!(body ?? {}, errors);
      if (errors.length) throw invalidBody(bodyDesc!, body, errors);
      const overlay = params(json, errors, { strings: true, partial: true });
      if (errors.length) throw badParams(errors);
      deepAssign(req, overlay);
      return req;
    }
    const req = params(json, errors, { strings: true });
    if (errors.length) throw badParams(errors);
    if (bodyField && body !== undefined) {
      req[bodyField.localName] = readBody!(body, errors);
      if (errors.length) throw invalidBody(bodyDesc!, body, errors);
    }
    return req;
  };
  return { map, body: { rule: bodyRule, desc: bodyDesc }, ignored };
}

/**
 * Keys that name a JavaScript object's machinery, not a field: never assigned
 * from user input (no request message has a field of these names).
 */
export const prototypeKeys: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/**
 * Sets `a.b.c` in a JSON object; a repeated query key collects a list. The
 * objects made here have no prototype, and a prototype key anywhere in the
 * path is refused, so a query string can never reach Object.prototype.
 */
function setPath(json: Record<string, unknown>, dotted: string, value: string, repeatable: boolean): void {
  const keys = dotted.split(".");
  if (keys.some((k) => prototypeKeys.has(k))) throw badParams([{ field: dotted, message: "unknown field" }]);
  let node = json;
  for (let i = 0; i < keys.length - 1; i++) {
    const next = node[keys[i]];
    if (next === undefined) node = node[keys[i]] = Object.create(null) as Record<string, unknown>;
    else if (typeof next === "object" && next !== null && !Array.isArray(next)) node = next as Record<string, unknown>;
    else throw badParams([{ field: dotted, message: `conflicts with ${keys.slice(0, i + 1).join(".")}` }]);
  }
  const last = keys[keys.length - 1];
  const prev = node[last];
  if (prev === undefined || !repeatable) node[last] = value;
  else if (Array.isArray(prev)) prev.push(value);
  else if (typeof prev === "string") node[last] = [prev, value];
  else throw badParams([{ field: dotted, message: "conflicts with a nested parameter" }]);
}

function deepAssign(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(source)) {
    if (prototypeKeys.has(k)) continue;
    const t = target[k];
    if (isPlain(v) && isPlain(t)) deepAssign(t, v);
    else target[k] = v;
  }
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date) && !(v instanceof Uint8Array);
}

function badParams(errors: FieldError[]): ApiError {
  const summary = errors.map((e) => `${e.field}: ${e.message}`).join("; ");
  return new ApiError(Status.INVALID_ARGUMENT, "BadRequest", `invalid request parameters: ${summary}`, errors);
}

function invalidBody(desc: DescMessage, body: unknown, errors: FieldError[]): ApiError {
  const meta = (body as { metadata?: { name?: unknown } } | null)?.metadata;
  return ApiError.invalid(desc.name, typeof meta?.name === "string" ? meta.name : "", errors);
}
