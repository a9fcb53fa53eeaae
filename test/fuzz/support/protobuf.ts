/**
 * Protobuf for the gRPC fuzz families, from the descriptor set the server is
 * built from (gen/krake.binpb): every method of every krake service, and a
 * wire encoder of our own so that anything can be sent — well-formed
 * messages from a readable, proto3-JSON-like value, and also out-of-range
 * enums, invalid UTF-8 in strings, wrong wire types and 10,000 levels of
 * nesting.
 */
import { readFileSync } from "node:fs";
import { createFileRegistry, fromBinary, ScalarType } from "@bufbuild/protobuf";
import type { DescField, DescMessage, DescMethod } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { Deep, isJsonObject, isMarker, RawBytes, RawNumber, Big } from "./json.js";
import type { Json } from "./json.js";

export interface GrpcMethod {
  /** `/krake.kubernetes.v1.ApplicationService/ListApplications`. */
  path: string;
  streaming: boolean;
  input: DescMessage;
  desc: DescMethod;
}

export function loadMethods(): GrpcMethod[] {
  const bytes = readFileSync(new URL("../../../gen/krake.binpb", import.meta.url));
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, bytes));
  const out: GrpcMethod[] = [];
  for (const file of registry.files) {
    if (!file.proto.package?.startsWith("krake.")) continue;
    for (const service of file.services) {
      for (const m of service.methods) {
        out.push({ path: `/${service.typeName}/${m.name}`, streaming: m.methodKind === "server_streaming", input: m.input, desc: m });
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// The wire format

export const WireType = { VARINT: 0, I64: 1, LEN: 2, SGROUP: 3, EGROUP: 4, I32: 5 } as const;

export function varint(v: bigint | number): Buffer {
  let n = BigInt.asUintN(64, BigInt(v));
  const out: number[] = [];
  do {
    let b = Number(n & 0x7fn);
    n >>= 7n;
    if (n > 0n) b |= 0x80;
    out.push(b);
  } while (n > 0n);
  return Buffer.from(out);
}

export function varintLength(n: number): number {
  let len = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

export function tag(field: number, wire: number): Buffer {
  return varint((BigInt(field) << 3n) | BigInt(wire));
}

export function lengthDelimited(field: number, payload: Buffer): Buffer {
  return Buffer.concat([tag(field, WireType.LEN), varint(payload.length), payload]);
}

/**
 * One step of a nesting chain: the message written at this level is
 * `pre + tag + varint(len(inner)) + inner`.
 */
export interface NestStep {
  pre: Buffer;
  tag: Buffer;
}

/** `steps` nested messages around `core`, written in one pass (lengths computed inside out). */
export function nest(steps: NestStep[], core: Buffer): Buffer {
  const lengths = new Array<number>(steps.length + 1);
  lengths[steps.length] = core.length;
  for (let i = steps.length - 1; i >= 0; i--) {
    const inner = lengths[i + 1]!;
    lengths[i] = steps[i]!.pre.length + steps[i]!.tag.length + varintLength(inner) + inner;
  }
  const out = Buffer.alloc(lengths[0]!);
  let at = 0;
  steps.forEach((s, i) => {
    at += s.pre.copy(out, at);
    at += s.tag.copy(out, at);
    at += varint(lengths[i + 1]!).copy(out, at);
  });
  core.copy(out, at);
  return out;
}

const noBytes = Buffer.alloc(0);

/** google.protobuf.Value / Struct / ListValue nested `depth` times. */
export function deepValueSteps(depth: number, shape: Deep["shape"]): NestStep[] {
  const listLevel: NestStep[] = [
    { pre: noBytes, tag: tag(6, WireType.LEN) }, // Value.list_value
    { pre: noBytes, tag: tag(1, WireType.LEN) }, // ListValue.values
  ];
  const structLevel: NestStep[] = [
    { pre: noBytes, tag: tag(5, WireType.LEN) }, // Value.struct_value
    { pre: noBytes, tag: tag(1, WireType.LEN) }, // Struct.fields (a map entry)
    { pre: lengthDelimited(1, Buffer.from("a")), tag: tag(2, WireType.LEN) }, // entry: key "a", value
  ];
  const steps: NestStep[] = [];
  for (let i = 0; i < depth; i++) {
    const level = shape === "array" ? listLevel : shape === "object" ? structLevel : i % 2 ? structLevel : listLevel;
    steps.push(...level);
  }
  return steps;
}

/** The bytes of a google.protobuf.Value that is `null`. */
const nullValue = Buffer.concat([tag(1, WireType.VARINT), varint(0)]);

// ---------------------------------------------------------------------------
// Encoding a readable value

/**
 * A message as the fuzzer writes it: field name → value, as in proto3 JSON
 * (enum names or numbers, int64 as strings or bigints, Timestamps as RFC 3339
 * text, Struct/Value/ListValue as any JSON), plus RawBytes for a string or
 * bytes field with exactly these bytes and Deep for a Value nested that deep.
 */
export type MessageValue = Json | bigint | MessageValue[] | MessageObject;
export interface MessageObject {
  [field: string]: MessageValue;
}

function isRecord(v: MessageValue): v is MessageObject {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !isMarker(v);
}

function toBigInt(v: MessageValue): bigint {
  try {
    if (typeof v === "bigint") return v;
    if (typeof v === "number") return Number.isFinite(v) ? BigInt(Math.trunc(v)) : 0n;
    if (typeof v === "string") return BigInt(v.trim() || "0");
    if (typeof v === "boolean") return v ? 1n : 0n;
    if (v instanceof RawNumber) return BigInt(v.text);
  } catch {
    return 0n;
  }
  return 0n;
}

function toNumber(v: MessageValue): number {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "string") return Number(v);
  if (typeof v === "boolean") return v ? 1 : 0;
  if (v instanceof RawNumber) return Number(v.text);
  return 0;
}

function scalarBytes(type: ScalarType, v: MessageValue): { wire: number; bytes: Buffer } {
  switch (type) {
    case ScalarType.STRING:
    case ScalarType.BYTES: {
      let bytes: Buffer;
      if (v instanceof RawBytes) bytes = Buffer.from(v.hex, "hex");
      else if (v instanceof Big) bytes = Buffer.from(v.char.repeat(v.length));
      else if (type === ScalarType.BYTES && typeof v === "string") bytes = Buffer.from(v, "base64");
      else bytes = Buffer.from(typeof v === "string" ? v : String(v), "utf8");
      return { wire: WireType.LEN, bytes: Buffer.concat([varint(bytes.length), bytes]) };
    }
    case ScalarType.BOOL:
      return { wire: WireType.VARINT, bytes: varint(v === true || v === "true" ? 1 : typeof v === "number" || typeof v === "bigint" ? toBigInt(v) : 0) };
    case ScalarType.INT32:
    case ScalarType.INT64:
    case ScalarType.UINT32:
    case ScalarType.UINT64:
      return { wire: WireType.VARINT, bytes: varint(toBigInt(v)) };
    case ScalarType.SINT32:
    case ScalarType.SINT64: {
      const n = toBigInt(v);
      return { wire: WireType.VARINT, bytes: varint(n >= 0n ? n << 1n : ((-n) << 1n) - 1n) };
    }
    case ScalarType.DOUBLE: {
      const b = Buffer.alloc(8);
      b.writeDoubleLE(toNumber(v));
      return { wire: WireType.I64, bytes: b };
    }
    case ScalarType.FLOAT: {
      const b = Buffer.alloc(4);
      b.writeFloatLE(toNumber(v));
      return { wire: WireType.I32, bytes: b };
    }
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64: {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(BigInt.asUintN(64, toBigInt(v)));
      return { wire: WireType.I64, bytes: b };
    }
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32: {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(Number(BigInt.asUintN(32, toBigInt(v))));
      return { wire: WireType.I32, bytes: b };
    }
  }
}

function enumNumber(field: DescField, v: MessageValue): bigint {
  const e = field.enum;
  if (typeof v === "string" && e) {
    const value = e.values.find((x) => x.name === v || x.localName === v || x.name.endsWith(`_${v}`));
    if (value) return BigInt(value.number);
  }
  return toBigInt(v);
}

/** A google.protobuf.Value for any JSON value (markers included). */
export function encodeJsonValue(v: Json): Buffer {
  if (v instanceof Deep) return nest(deepValueSteps(v.depth, v.shape), nullValue);
  if (v === null) return nullValue;
  if (typeof v === "number" || v instanceof RawNumber) {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(toNumber(v));
    return Buffer.concat([tag(2, WireType.I64), b]);
  }
  if (typeof v === "string" || v instanceof RawBytes || v instanceof Big) return Buffer.concat([tag(3, WireType.LEN), scalarBytes(ScalarType.STRING, v).bytes]);
  if (typeof v === "boolean") return Buffer.concat([tag(4, WireType.VARINT), varint(v ? 1 : 0)]);
  if (Array.isArray(v)) return lengthDelimited(6, encodeListValue(v));
  return lengthDelimited(5, encodeStruct(v));
}

export function encodeStruct(v: Json): Buffer {
  if (v instanceof Deep) return lengthDelimited(1, Buffer.concat([lengthDelimited(1, Buffer.from("a")), lengthDelimited(2, encodeJsonValue(v))]));
  if (!isJsonObject(v)) return noBytes;
  return Buffer.concat(Object.keys(v).map((k) => lengthDelimited(1, Buffer.concat([lengthDelimited(1, Buffer.from(k, "utf8")), lengthDelimited(2, encodeJsonValue(v[k]!))]))));
}

export function encodeListValue(v: Json): Buffer {
  if (v instanceof Deep) return lengthDelimited(1, encodeJsonValue(v));
  if (!Array.isArray(v)) return noBytes;
  return Buffer.concat(v.map((item) => lengthDelimited(1, encodeJsonValue(item))));
}

function encodeTimestamp(v: MessageValue): Buffer {
  if (isRecord(v)) return Buffer.concat([tag(1, 0), varint(toBigInt(v.seconds ?? 0)), tag(2, 0), varint(toBigInt(v.nanos ?? 0))]);
  const ms = typeof v === "string" ? Date.parse(v) : toNumber(v);
  if (!Number.isFinite(ms)) return noBytes;
  return Buffer.concat([tag(1, 0), varint(BigInt(Math.floor(ms / 1000))), tag(2, 0), varint(BigInt((ms % 1000) * 1e6))]);
}

function encodeMessageOf(desc: DescMessage, v: MessageValue): Buffer {
  switch (desc.typeName) {
    case "google.protobuf.Struct":
      return encodeStruct(v as Json);
    case "google.protobuf.Value":
      return encodeJsonValue(v as Json);
    case "google.protobuf.ListValue":
      return encodeListValue(v as Json);
    case "google.protobuf.Timestamp":
      return encodeTimestamp(v);
    default:
      return encodeMessage(desc, v);
  }
}

/** One field's bytes (tag included; every element of a list or map). */
export function encodeField(field: DescField, v: MessageValue): Buffer[] {
  const single = (kind: "scalar" | "enum" | "message", scalar: ScalarType | undefined, message: DescMessage | undefined, x: MessageValue): Buffer => {
    if (kind === "message") return lengthDelimited(field.number, encodeMessageOf(message!, x));
    if (kind === "enum") return Buffer.concat([tag(field.number, WireType.VARINT), varint(enumNumber(field, x))]);
    const { wire, bytes } = scalarBytes(scalar!, x);
    return Buffer.concat([tag(field.number, wire), bytes]);
  };
  switch (field.fieldKind) {
    case "scalar":
      return [single("scalar", field.scalar, undefined, v)];
    case "enum":
      return [single("enum", undefined, undefined, v)];
    case "message":
      return [single("message", undefined, field.message, v)];
    case "list": {
      const items = Array.isArray(v) ? v : [v];
      return items.map((x) => single(field.listKind, field.listKind === "scalar" ? field.scalar : undefined, field.listKind === "message" ? field.message : undefined, x));
    }
    case "map": {
      if (!isRecord(v)) return [];
      return Object.keys(v).map((k) => {
        const key = scalarBytes(field.mapKey, field.mapKey === ScalarType.STRING ? k : toBigInt(k));
        const x = v[k]!;
        let value: Buffer;
        if (field.mapKind === "message") value = lengthDelimited(2, encodeMessageOf(field.message, x));
        else if (field.mapKind === "enum") value = Buffer.concat([tag(2, WireType.VARINT), varint(enumNumber(field, x))]);
        else {
          const s = scalarBytes(field.scalar, x);
          value = Buffer.concat([tag(2, s.wire), s.bytes]);
        }
        return lengthDelimited(field.number, Buffer.concat([tag(1, key.wire), key.bytes, value]));
      });
    }
  }
}

/** A message from its readable value; keys that name no field are left out. */
export function encodeMessage(desc: DescMessage, v: MessageValue): Buffer {
  if (!isRecord(v) || isMarker(v)) return noBytes;
  const parts: Buffer[] = [];
  for (const key of Object.keys(v)) {
    const field = desc.fields.find((f) => f.name === key || f.jsonName === key || f.localName === key);
    if (!field) continue;
    parts.push(...encodeField(field, v[key]!));
  }
  return Buffer.concat(parts);
}

/**
 * The nesting steps from a request message down to the field at `path`
 * (field names), and that field: for putting bytes deep inside a request.
 */
export function stepsTo(desc: DescMessage, path: string[]): { steps: NestStep[]; field: DescField } | undefined {
  const steps: NestStep[] = [];
  let cur: DescMessage | undefined = desc;
  let field: DescField | undefined;
  for (let i = 0; i < path.length; i++) {
    field = cur?.fields.find((f) => f.name === path[i]);
    if (!field) return undefined;
    if (i < path.length - 1) {
      const next: DescMessage | undefined = field.fieldKind === "message" ? field.message : field.fieldKind === "list" && field.listKind === "message" ? field.message : undefined;
      if (!next) return undefined;
      steps.push({ pre: noBytes, tag: tag(field.number, WireType.LEN) });
      cur = next;
    }
  }
  return field ? { steps, field } : undefined;
}

/** Every field path (by name) of a message, down to `maxDepth`, with its field: where to put things. */
export function fieldPaths(desc: DescMessage, maxDepth = 4, prefix: string[] = [], out: { path: string[]; field: DescField }[] = []): { path: string[]; field: DescField }[] {
  for (const f of desc.fields) {
    const path = [...prefix, f.name];
    out.push({ path, field: f });
    const next = f.fieldKind === "message" ? f.message : f.fieldKind === "list" && f.listKind === "message" ? f.message : undefined;
    if (next && prefix.length + 1 < maxDepth && !next.typeName.startsWith("google.protobuf.")) fieldPaths(next, maxDepth, path, out);
  }
  return out;
}

/** Is this field a string (or a list of strings)? */
export function isStringField(f: DescField): boolean {
  return (f.fieldKind === "scalar" || (f.fieldKind === "list" && f.listKind === "scalar")) && f.scalar === ScalarType.STRING;
}

/** A Struct, Value or ListValue field (or a list of them): free-form JSON. */
export function isFreeFormField(f: DescField): boolean {
  const m = f.fieldKind === "message" ? f.message : f.fieldKind === "list" && f.listKind === "message" ? f.message : undefined;
  return m !== undefined && ["google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue"].includes(m.typeName);
}
