import { ScalarType } from "@bufbuild/protobuf";
import type { DescEnum, DescField, DescMessage, DescOneof } from "@bufbuild/protobuf";
import type { FieldError } from "../../../errors/api-error.js";
import { isWellFormedText, notUnicode } from "../../request-limits.js";
import { parseTimestamp, wellKnown } from "./wkt.js";

export interface DecodeOptions {
  /**
   * Query-string values: every scalar arrives as a string, booleans as Krake's
   * clients write them (`True`, `false`, `1`, `0`, or bare for true), and a
   * single value stands for a one-element list.
   */
  strings?: boolean;
  /** Only the fields given (for overlaying path variables), no defaults. */
  partial?: boolean;
}

/** Reads a JSON value into a ts-proto message object; problems are pushed to `errors`. */
export type Decoder = (json: unknown, errors: FieldError[], opts?: DecodeOptions, path?: string) => Record<string, unknown>;

type Read = (json: unknown, ctx: Ctx, path: string) => unknown;

interface Ctx {
  errors: FieldError[];
  strings: boolean;
  partial: boolean;
}

interface FieldPlan {
  field: DescField;
  key: string;
  read: Read;
  oneof?: DescOneof;
}

interface MessagePlan {
  /** By proto name and by lowerCamel JSON name. */
  byName: Map<string, FieldPlan>;
  /** ts-proto's createBase: every field at its default. */
  defaults: () => Record<string, unknown>;
}

const invalid = Symbol("invalid");

/** Keys Krake's clients add to every serialized object (its class's API group and name). */
const krakeTypeTags: ReadonlySet<string> = new Set(["api", "kind"]);

/**
 * Proto3 JSON input for ts-proto objects, driven by the descriptors: accepts
 * proto names and lowerCamel names, treats `null` as "unset" for every field,
 * ignores Krake's `api`/`kind` tags on messages without such fields, and
 * reports unknown fields and wrong types with the path of the field
 * (`spec.constraints.cluster.labels[0]`) instead of stopping at the first.
 */
export class JsonDecoder {
  private readonly plans = new Map<string, MessagePlan>();

  decoder(desc: DescMessage): Decoder {
    const plan = this.plan(desc);
    return (json, errors, opts = {}, path = "") =>
      readMessage(plan, json, { errors, strings: !!opts.strings, partial: !!opts.partial }, path) as Record<string, unknown>;
  }

  private plan(desc: DescMessage): MessagePlan {
    let plan = this.plans.get(desc.typeName);
    if (plan) return plan;
    const byName = new Map<string, FieldPlan>();
    plan = { byName, defaults: () => defaultsOf(desc) };
    this.plans.set(desc.typeName, plan);
    for (const field of desc.fields) {
      const fp: FieldPlan = { field, key: field.localName, read: this.fieldReader(field), oneof: field.oneof };
      byName.set(field.name, fp);
      byName.set(field.jsonName, fp);
    }
    return plan;
  }

  private fieldReader(field: DescField): Read {
    switch (field.fieldKind) {
      case "scalar":
        return scalarReader(field.scalar);
      case "enum":
        return enumReader(field.enum);
      case "message":
        return this.messageReader(field.message);
      case "list": {
        const item = field.listKind === "scalar" ? scalarReader(field.scalar)
          : field.listKind === "enum" ? enumReader(field.enum) : this.messageReader(field.message);
        return (json, ctx, path) => {
          const items = Array.isArray(json) ? json : ctx.strings && json !== undefined ? [json] : undefined;
          if (!items) return fail(ctx, path, "expected a list");
          return items.map((x, i) => (x === null ? fail(ctx, `${path}[${i}]`, "null is not allowed in a list") : item(x, ctx, `${path}[${i}]`)));
        };
      }
      case "map": {
        const key = mapKeyReader(field.mapKey);
        const value = field.mapKind === "scalar" ? scalarReader(field.scalar)
          : field.mapKind === "enum" ? enumReader(field.enum) : this.messageReader(field.message);
        return (json, ctx, path) => {
          if (!isObject(json)) return fail(ctx, path, "expected an object");
          const out: Record<string, unknown> = {};
          for (const [k, x] of Object.entries(json)) {
            const p = `${path}[${JSON.stringify(k)}]`;
            if (!key(k)) fail(ctx, p, "invalid map key");
            else if (x === null) fail(ctx, p, "null is not allowed as a map value");
            else out[k] = value(x, ctx, p);
          }
          return out;
        };
      }
    }
  }

  private messageReader(desc: DescMessage): Read {
    const wkt = wellKnown(desc);
    if (!wkt) return (json, ctx, path) => readMessage(this.plan(desc), json, ctx, path);
    switch (wkt.type) {
      case "struct":
        return (json, ctx, path) => (isObject(json) ? json : fail(ctx, path, "expected an object"));
      case "list-value":
        return (json, ctx, path) => (Array.isArray(json) ? json : fail(ctx, path, "expected a list"));
      case "value":
        return (json) => json;
      case "timestamp":
        return (json, ctx, path) =>
          (typeof json === "string" && parseTimestamp(json)) || fail(ctx, path, "expected an RFC 3339 timestamp");
      case "wrapper":
        return scalarReader(wkt.scalar);
    }
  }
}

function readMessage(plan: MessagePlan, json: unknown, ctx: Ctx, path: string): unknown {
  if (!isObject(json)) return fail(ctx, path, "expected an object");
  const out = ctx.partial ? {} : plan.defaults();
  let oneofs: Map<DescOneof, string> | undefined;
  for (const name of Object.keys(json)) {
    const p = path ? `${path}.${name}` : name;
    const fp = plan.byName.get(name);
    if (!fp) {
      // Krake's serializer writes `api` and `kind` into every object it sends, nested ones
      // (status.nodes[]) and subresource bodies (ClusterBinding) included; where the message has no
      // such field they are type tags and carry nothing.
      if (!krakeTypeTags.has(name)) fail(ctx, p, "unknown field");
      continue;
    }
    const value = json[name];
    if (value === null) continue;
    if (fp.oneof) {
      oneofs ??= new Map();
      const other = oneofs.get(fp.oneof);
      if (other !== undefined && other !== fp.field.name) {
        fail(ctx, p, `only one of ${fp.oneof.fields.map((f) => f.name).join(", ")} may be set (${other} is set too)`);
        continue;
      }
      oneofs.set(fp.oneof, fp.field.name);
    }
    const read = fp.read(value, ctx, p);
    if (read !== invalid) out[fp.key] = read;
  }
  return out;
}

function fail(ctx: Ctx, path: string, message: string): typeof invalid {
  ctx.errors.push({ field: path, message });
  return invalid;
}

function isObject(json: unknown): json is Record<string, unknown> {
  return typeof json === "object" && json !== null && !Array.isArray(json);
}

const intText = /^-?\d+$/;

function scalarReader(type: ScalarType): Read {
  switch (type) {
    case ScalarType.STRING:
      return (json, ctx, path) => {
        if (typeof json !== "string") return fail(ctx, path, "expected a string");
        return isWellFormedText(json) ? json : fail(ctx, path, notUnicode);
      };
    case ScalarType.BOOL:
      return (json, ctx, path) => {
        if (typeof json === "boolean") return json;
        if (ctx.strings && typeof json === "string") {
          const v = queryBoolean(json);
          if (v !== undefined) return v;
        }
        return fail(ctx, path, ctx.strings ? "expected true or false (True, False, 1, 0)" : "expected true or false");
      };
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return (json, ctx, path) => {
        if (typeof json === "number") return json;
        if (typeof json === "string" && json.trim() !== "") {
          if (json === "NaN" || json === "Infinity" || json === "-Infinity") return Number(json);
          const n = Number(json);
          if (Number.isFinite(n)) return n;
        }
        return fail(ctx, path, "expected a number");
      };
    case ScalarType.BYTES:
      return (json, ctx, path) =>
        typeof json === "string" && /^[A-Za-z0-9+/_-]*={0,2}$/.test(json)
          ? new Uint8Array(Buffer.from(json, "base64"))
          : fail(ctx, path, "expected base64 text");
    default:
      return integerReader(type);
  }
}

function integerReader(type: ScalarType): Read {
  const unsigned = type === ScalarType.UINT32 || type === ScalarType.FIXED32 || type === ScalarType.UINT64 || type === ScalarType.FIXED64;
  const wide = type === ScalarType.INT64 || type === ScalarType.UINT64 || type === ScalarType.SINT64
    || type === ScalarType.FIXED64 || type === ScalarType.SFIXED64;
  const [min, max] = wide
    ? [unsigned ? 0 : Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER]
    : [unsigned ? 0 : -0x80000000, unsigned ? 0xffffffff : 0x7fffffff];
  const kind = `${unsigned ? "an unsigned" : "an"} integer (${ScalarType[type].toLowerCase()})`;
  return (json, ctx, path) => {
    const n = typeof json === "number" ? json : typeof json === "string" && intText.test(json.trim()) ? Number(json) : NaN;
    if (!Number.isInteger(n)) return fail(ctx, path, `expected ${kind}`);
    if (n < min || n > max) return fail(ctx, path, `${n} is out of range for ${kind}`);
    return n;
  };
}

function enumReader(desc: DescEnum): Read {
  const byName = new Map(desc.values.map((v) => [v.name, v.number]));
  const names = desc.values.map((v) => v.name).join(", ");
  return (json, ctx, path) => {
    if (typeof json === "string") {
      const n = byName.get(json);
      if (n !== undefined) return n;
      if (ctx.strings && intText.test(json)) return Number(json);
    } else if (typeof json === "number" && Number.isInteger(json)) {
      return json;
    }
    return fail(ctx, path, `expected one of ${names}`);
  };
}

function mapKeyReader(type: ScalarType): (key: string) => boolean {
  if (type === ScalarType.STRING) return isWellFormedText;
  if (type === ScalarType.BOOL) return (k) => k === "true" || k === "false";
  return (k) => intText.test(k);
}

/** Krake's clients write Python booleans; a bare `?flag` means true. */
export function queryBoolean(text: string): boolean | undefined {
  switch (text) {
    case "":
    case "true":
    case "True":
    case "1":
      return true;
    case "false":
    case "False":
    case "0":
      return false;
    default:
      return undefined;
  }
}

/** ts-proto's createBase for a message: implicit fields at their defaults, the rest undefined. */
function defaultsOf(desc: DescMessage): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of desc.fields) {
    if (f.fieldKind === "list") out[f.localName] = [];
    else if (f.fieldKind === "map") out[f.localName] = {};
    else if (f.presence !== 2 || f.fieldKind === "message") out[f.localName] = undefined;
    else if (f.fieldKind === "enum") out[f.localName] = f.enum.values[0]?.number ?? 0;
    else out[f.localName] = scalarZero(f.scalar);
  }
  return out;
}

function scalarZero(type: ScalarType): unknown {
  switch (type) {
    case ScalarType.STRING:
      return "";
    case ScalarType.BOOL:
      return false;
    case ScalarType.BYTES:
      return new Uint8Array(0);
    default:
      return 0;
  }
}
