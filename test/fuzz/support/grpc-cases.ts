/**
 * gRPC cases: every method of the descriptor set, with request bytes built
 * from a readable value plus, per family, corruptions (wrong wire types,
 * truncation, flipped bytes, random frames), deep nesting (Value chains,
 * groups, nested unknown fields) and strings that are not UTF-8.
 */
import fc from "fast-check";
import { ScalarType } from "@bufbuild/protobuf";
import type { DescField, DescMessage } from "@bufbuild/protobuf";
import { compressRuns, Deep, edgeStrings, RawBytes, smallJson, weirdNumber, weirdString } from "./json.js";
import type { DeepShape, Json } from "./json.js";
import {
  encodeField,
  encodeMessage,
  fieldPaths,
  isFreeFormField,
  isStringField,
  nest,
  stepsTo,
  tag,
  varint,
  WireType,
} from "./protobuf.js";
import type { GrpcMethod, MessageValue, NestStep } from "./protobuf.js";
import { selectorValues } from "./rest-arbitraries.js";
import { normalizeKey } from "./runner.js";
import type { Problem, Verdict } from "./runner.js";
import { SEED_NAME, SEED_NAMESPACE } from "./state.js";
import type { GrpcOutcome, Target } from "./target.js";
import { GRPC_TIMEOUT_MS, GRPC_WATCH_DEADLINE_MS } from "./target.js";
import { hasTemplate, pluralOf, templateFor } from "./templates.js";

/** Bytes added after the message (protobuf merges repeated occurrences of a field). */
export type Extra =
  | { kind: "wrong-wire"; field: number; wire: number; payload: string }
  | { kind: "groups"; field: number; depth: number; closed: boolean }
  | { kind: "nested-unknown"; field: number; depth: number }
  | { kind: "nested-known"; path: string[]; depth: number }
  | { kind: "deep-value"; path: string[]; depth: number; shape: DeepShape }
  | { kind: "bad-utf8"; path: string[]; hex: string }
  | { kind: "raw"; hex: string };

/** Changes to the finished bytes. */
export type Transform = { kind: "truncate"; at: number } | { kind: "flip"; at: number; xor: number } | { kind: "replace"; hex: string };

export interface GrpcCase {
  method: string;
  message: MessageValue;
  extras: Extra[];
  transforms: Transform[];
}

const STATUS_NAMES = ["OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"];

function extraBytes(input: DescMessage, e: Extra): Buffer {
  switch (e.kind) {
    case "wrong-wire":
      return Buffer.concat([tag(e.field, e.wire), Buffer.from(e.payload, "hex")]);
    case "groups": {
      const open = tag(e.field, WireType.SGROUP);
      const close = tag(e.field, WireType.EGROUP);
      return Buffer.concat([Buffer.concat(new Array<Buffer>(e.depth).fill(open)), e.closed ? Buffer.concat(new Array<Buffer>(e.depth).fill(close)) : Buffer.alloc(0)]);
    }
    case "nested-unknown": {
      const steps: NestStep[] = new Array<NestStep>(e.depth).fill({ pre: Buffer.alloc(0), tag: tag(e.field, WireType.LEN) });
      return nest(steps, Buffer.alloc(0));
    }
    case "nested-known": {
      // the same message field again and again: {spec: {spec: {…}}} is unknown below the first level, but framed
      const at = stepsTo(input, e.path);
      if (!at) return Buffer.alloc(0);
      const steps: NestStep[] = [...at.steps, ...new Array<NestStep>(e.depth).fill({ pre: Buffer.alloc(0), tag: tag(at.field.number, WireType.LEN) })];
      return nest(steps, Buffer.alloc(0));
    }
    case "deep-value": {
      const at = stepsTo(input, e.path);
      if (!at) return Buffer.alloc(0);
      return nest(at.steps, Buffer.concat(encodeField(at.field, new Deep(e.depth, e.shape))));
    }
    case "bad-utf8": {
      const at = stepsTo(input, e.path);
      if (!at) return Buffer.alloc(0);
      const raw = Buffer.from(e.hex, "hex");
      return nest(at.steps, Buffer.concat([tag(at.field.number, WireType.LEN), varint(raw.length), raw]));
    }
    case "raw":
      return Buffer.from(e.hex, "hex");
  }
}

export function caseBytes(m: GrpcMethod, c: GrpcCase): Buffer {
  let bytes = Buffer.concat([encodeMessage(m.input, c.message), ...c.extras.map((e) => extraBytes(m.input, e))]);
  for (const t of c.transforms) {
    if (t.kind === "truncate") bytes = bytes.subarray(0, Math.min(t.at, Math.max(0, bytes.length - 1)));
    else if (t.kind === "flip" && bytes.length) {
      bytes = Buffer.from(bytes);
      bytes[t.at % bytes.length] = (bytes[t.at % bytes.length]! ^ t.xor) & 0xff;
    } else if (t.kind === "replace") bytes = Buffer.from(t.hex, "hex");
  }
  return bytes;
}

// ---------------------------------------------------------------------------
// Values of messages

interface Hints {
  names: fc.Arbitrary<string>;
  namespaces: fc.Arbitrary<string>;
  /** Label selectors: ASCII only, or anything (unicode, invalid). */
  selectors: fc.Arbitrary<string>;
  /** Strings that are not names or selectors. */
  strings: fc.Arbitrary<string>;
  /** 64-bit integers: the whole range, or small ones (for families about something else). */
  int64: fc.Arbitrary<bigint>;
  /** google.protobuf.Timestamp values. */
  timestamps: fc.Arbitrary<MessageValue>;
}

const names = fc.oneof(
  { weight: 6, arbitrary: fc.constant(SEED_NAME) },
  { weight: 3, arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9._:-]{0,20}$/) },
  { weight: 1, arbitrary: fc.constantFrom(...edgeStrings) },
);
const namespaces = fc.oneof(
  { weight: 8, arbitrary: fc.constant(SEED_NAMESPACE) },
  { weight: 2, arbitrary: fc.constant("") },
  { weight: 1, arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,12}$/) },
  { weight: 1, arbitrary: fc.constantFrom(...edgeStrings) },
);
const longStrings = fc.constantFrom(256, 1_000, 30_000, 70_000).map((n) => "A".repeat(n));

const asciiSelectors = selectorValues.filter((s) => /^[\x20-\x7e]*$/.test(s));

const fullInt64 = fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }), fc.constantFrom(0n, 1n, -1n, 2n ** 53n, -(2n ** 53n)));
const smallInt64 = fc.bigInt({ min: -1_000n, max: 1_000n });
const isoDates = fc.date({ noInvalidDate: true, min: new Date("1970-01-01T00:00:00Z"), max: new Date("2200-01-01T00:00:00Z") }).map((d): MessageValue => d.toISOString());
const anyTimestamps = fc.oneof(
  fc.date({ noInvalidDate: true }).map((d): MessageValue => d.toISOString()),
  fc.record({
    seconds: fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.constantFrom(0n, 253402300800n, -62135596801n)),
    nanos: fc.oneof(fc.constantFrom(0, -1, 999_999_999, 1_000_000_000), fc.integer()),
  }).map((r): MessageValue => r),
);

const validHints: Hints = {
  names,
  namespaces,
  int64: fullInt64,
  timestamps: anyTimestamps,
  selectors: asciiSelectors,
  strings: fc.oneof({ weight: 3, arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,12}$/) }, { weight: 1, arbitrary: weirdString }),
};

/** Well-formed, ordinary numbers and times: for the families that break something else. */
const tameHints: Hints = { ...validHints, int64: smallInt64, timestamps: isoDates };

export const unicodeHints: Hints = {
  ...tameHints,
  names: fc.oneof(names, fc.constantFrom(...edgeStrings), longStrings),
  namespaces: fc.oneof(namespaces, fc.constantFrom(...edgeStrings), longStrings),
  selectors: fc.oneof(selectorValues, fc.tuple(fc.constantFrom(...edgeStrings), fc.constantFrom("", "=1", "!=1", " in (a)", "=é")).map(([a, b]) => a + b)),
  strings: fc.oneof(fc.constantFrom(...edgeStrings), weirdString),
};

const resourceVersions = fc.constantFrom("", "0", "1", "2", "-1", "abc", "99999999999", "9223372036854775808", "1e3", " 1");
const int32s = fc.oneof(fc.constantFrom(0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 100, 2 ** 31, 2 ** 32 + 5), fc.integer());

function kindPlural(typeName: string): string | undefined {
  const plural = pluralOf(typeName.split(".").pop()!);
  return hasTemplate(plural) ? plural : undefined;
}

const MAX_MESSAGE_DEPTH = 3;

function scalarArb(f: DescField, scalar: ScalarType, hints: Hints): fc.Arbitrary<MessageValue> {
  switch (scalar) {
    case ScalarType.STRING:
      if (f.name === "name") return hints.names;
      if (f.name === "namespace") return hints.namespaces;
      if (f.name === "label_selector") return hints.selectors;
      if (f.name === "resource_version") return resourceVersions;
      if (f.name === "blocking") return fc.constantFrom("", "", "RUNNING", "ONLINE", "x");
      if (f.name === "continue") return fc.oneof(fc.constant(""), fc.constantFrom("abc", "e30", "eyJ2IjoxLCJydiI6MSwiYWZ0ZXIiOiIifQ", "eyJ2IjoxLCJydiI6OTk5OTk5OTk5LCJhZnRlciI6IiJ9"));
      return hints.strings;
    case ScalarType.BYTES:
      return fc.uint8Array({ maxLength: 16 }).map((b) => new RawBytes(Buffer.from(b).toString("hex")));
    case ScalarType.BOOL:
      return fc.boolean();
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return fc.oneof(fc.double(), weirdNumber);
    case ScalarType.INT64:
    case ScalarType.UINT64:
    case ScalarType.SINT64:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return hints.int64;
    default:
      return f.name === "limit" ? fc.oneof(int32s, fc.constantFrom(0, 1, 2, 5)) : int32s;
  }
}

function enumArb(f: DescField): fc.Arbitrary<MessageValue> {
  const values = f.enum?.values.map((v) => v.number) ?? [0];
  return fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...values) }, { weight: 1, arbitrary: fc.constantFrom(-1, 999, 2 ** 31 - 1, -(2 ** 31)) });
}

/** A readable value of a message: each field present or not, well-typed, with edge cases. */
export function messageArb(desc: DescMessage, hints: Hints, depth = 0): fc.Arbitrary<MessageValue> {
  switch (desc.typeName) {
    case "google.protobuf.Struct":
      return fc.array(fc.tuple(fc.string({ maxLength: 8 }), smallJson), { maxLength: 3 }).map((e) => Object.fromEntries(e));
    case "google.protobuf.Value":
      return smallJson;
    case "google.protobuf.ListValue":
      return fc.array(smallJson, { maxLength: 3 });
    case "google.protobuf.Timestamp":
      return hints.timestamps;
  }
  const plural = kindPlural(desc.typeName);
  const fields = desc.fields.filter((f) => depth < MAX_MESSAGE_DEPTH || f.fieldKind === "scalar" || f.fieldKind === "enum");
  const random = fc.tuple(...fields.map((f) => fc.option(fieldArb(f, hints, depth).map((v) => [f.name, v] as const), { freq: 2 })))
    .map((entries) => Object.fromEntries(entries.filter((e): e is readonly [string, MessageValue] => e !== null)) as unknown as MessageValue);
  if (plural === undefined || depth > 1) return random;
  // a kind's own message: mostly the valid template (so that writes get through), else random
  const template = fc.constantFrom(...[SEED_NAME, "fuzz-grpc"]).map((name) => templateFor(plural, name, SEED_NAMESPACE) as MessageValue);
  return fc.oneof({ weight: 3, arbitrary: template }, { weight: 1, arbitrary: random });
}

function fieldArb(f: DescField, hints: Hints, depth: number): fc.Arbitrary<MessageValue> {
  switch (f.fieldKind) {
    case "scalar":
      return scalarArb(f, f.scalar, hints);
    case "enum":
      return enumArb(f);
    case "message":
      return messageArb(f.message, hints, depth + 1);
    case "list": {
      const item = f.listKind === "scalar" ? scalarArb(f, f.scalar, hints) : f.listKind === "enum" ? enumArb(f) : messageArb(f.message, hints, depth + 1);
      return fc.array(item, { maxLength: 3 }).map((xs) => xs as Json);
    }
    case "map": {
      const value = f.mapKind === "scalar" ? scalarArb(f, f.scalar, hints) : f.mapKind === "enum" ? enumArb(f) : messageArb(f.message, hints, depth + 1);
      const key = f.mapKey === ScalarType.STRING ? fc.oneof(fc.stringMatching(/^[a-z][a-z0-9.-]{0,8}$/), hints.strings) : fc.integer().map(String);
      return fc.array(fc.tuple(key, value), { maxLength: 3 }).map((e) => Object.fromEntries(e) as MessageValue);
    }
  }
}

// ---------------------------------------------------------------------------
// Families

const pickMethod = (methods: GrpcMethod[]) => fc.constantFrom(...methods);

/** Well-formed messages for every method. */
export function validFamily(methods: GrpcMethod[]): fc.Arbitrary<GrpcCase> {
  return pickMethod(methods).chain((m) => messageArb(m.input, validHints).map((message): GrpcCase => ({ method: m.path, message, extras: [], transforms: [] })));
}

/** Random frames, truncated and flipped messages, wrong wire types, bad varints and lengths. */
export function corruptFamily(methods: GrpcMethod[]): fc.Arbitrary<GrpcCase> {
  return pickMethod(methods).chain((m) => {
    const numbers = [...new Set(fieldPaths(m.input, 1).map((p) => p.field.number)), 0, 99, 536_870_911];
    const payloadFor = (wire: number) => {
      switch (wire) {
        case WireType.VARINT:
          return fc.constantFrom("00", "01", "ffffffffffffffffff01", "ffffffffffffffffffffff", "80");
        case WireType.I64:
          return fc.constantFrom("0000000000000000", "ffffffffffffffff", "0000");
        case WireType.LEN:
          return fc.constantFrom("00", "0161", "05616263", "ffffffff0f", "ffffffffffffffff7f", "0aff", "020000");
        case WireType.I32:
          return fc.constantFrom("00000000", "ffffffff", "00");
        default:
          return fc.constantFrom("", "00", "ff");
      }
    };
    const wrongWire = fc.tuple(fc.constantFrom(...numbers), fc.integer({ min: 0, max: 7 })).chain(([field, wire]) =>
      payloadFor(wire).map((payload): Extra => ({ kind: "wrong-wire", field, wire, payload })));
    const transforms = fc.oneof(
      fc.nat(400).map((at): Transform => ({ kind: "truncate", at })),
      fc.tuple(fc.nat(400), fc.integer({ min: 1, max: 255 })).map(([at, xor]): Transform => ({ kind: "flip", at, xor })),
    );
    const rawFrame = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.constantFrom(Uint8Array.from([0xff]), Uint8Array.from([0x08]), Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), Uint8Array.from([0x0a, 0x05, 0x61]),
        Uint8Array.from([0x07]), Uint8Array.from([0x0e]), Uint8Array.from([0x00, 0x00]), Uint8Array.from(new Array<number>(11).fill(0xff))),
    ).map((b) => Buffer.from(b).toString("hex"));
    return fc.oneof(
      { weight: 3, arbitrary: fc.tuple(messageArb(m.input, tameHints), fc.array(wrongWire, { minLength: 1, maxLength: 3 })).map(([message, extras]): GrpcCase => ({ method: m.path, message, extras, transforms: [] })) },
      { weight: 3, arbitrary: fc.tuple(messageArb(m.input, tameHints), fc.array(transforms, { minLength: 1, maxLength: 3 })).map(([message, ts]): GrpcCase => ({ method: m.path, message, extras: [], transforms: ts })) },
      { weight: 2, arbitrary: rawFrame.map((hex): GrpcCase => ({ method: m.path, message: {}, extras: [], transforms: [{ kind: "replace", hex }] })) },
      { weight: 1, arbitrary: fc.tuple(messageArb(m.input, tameHints), rawFrame).map(([message, hex]): GrpcCase => ({ method: m.path, message, extras: [{ kind: "raw", hex }], transforms: [] })) },
    );
  });
}

const depths = fc.oneof({ weight: 2, arbitrary: fc.noBias(fc.integer({ min: 1, max: 10_000 })) }, { weight: 1, arbitrary: fc.constant(10_000) });

/** Deeply nested Values in free-form fields, groups, nested length-delimited fields (up to 10,000 levels). */
export function deepFamily(methods: GrpcMethod[]): fc.Arbitrary<GrpcCase> {
  return pickMethod(methods).chain((m) => {
    const paths = fieldPaths(m.input, 5);
    const free = paths.filter((p) => isFreeFormField(p.field)).map((p) => p.path);
    const messages = paths.filter((p) => p.field.fieldKind === "message" && !isFreeFormField(p.field)).map((p) => p.path);
    const numbers = [...new Set(m.input.fields.map((f) => f.number)), 99];
    const unknown = [99, 1_000, 536_870_911].filter((n) => !m.input.fields.some((f) => f.number === n));
    const options: fc.WeightedArbitrary<Extra>[] = [
      { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...numbers), depths, fc.boolean()).map(([field, depth, closed]): Extra => ({ kind: "groups", field, depth, closed })) },
      { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...unknown), depths).map(([field, depth]): Extra => ({ kind: "nested-unknown", field, depth })) },
    ];
    if (free.length) {
      options.push({ weight: 4, arbitrary: fc.tuple(fc.constantFrom(...free), depths, fc.constantFrom<DeepShape>("array", "object", "mixed")).map(([path, depth, shape]): Extra => ({ kind: "deep-value", path, depth, shape })) });
    }
    if (messages.length) options.push({ weight: 1, arbitrary: fc.tuple(fc.constantFrom(...messages), depths).map(([path, depth]): Extra => ({ kind: "nested-known", path, depth })) });
    return fc.tuple(messageArb(m.input, tameHints), fc.oneof(...options)).map(([message, extra]): GrpcCase => ({ method: m.path, message, extras: [extra], transforms: [] }));
  });
}

const invalidUtf8 = fc.constantFrom("ff", "c0af", "c080", "eda080", "edbfbf", "f4908080", "e282", "80", "fe", "c3", "f8888080", "61ff62", "e9", "c3a9ff");

/** Strings that are not UTF-8 in any string field, unicode names, and label selectors such as `é=1`. */
export function stringsFamily(methods: GrpcMethod[]): fc.Arbitrary<GrpcCase> {
  return pickMethod(methods).chain((m) => {
    const strings = fieldPaths(m.input, 4).filter((p) => isStringField(p.field)).map((p) => p.path);
    const badUtf8 = strings.length
      ? fc.array(fc.tuple(fc.constantFrom(...strings), invalidUtf8).map(([path, hex]): Extra => ({ kind: "bad-utf8", path, hex })), { minLength: 1, maxLength: 2 })
      : fc.constant<Extra[]>([]);
    return fc.oneof(
      fc.tuple(messageArb(m.input, tameHints), badUtf8).map(([message, extras]): GrpcCase => ({ method: m.path, message, extras, transforms: [] })),
      messageArb(m.input, unicodeHints).map((message): GrpcCase => ({ method: m.path, message, extras: [], transforms: [] })),
    );
  });
}

// ---------------------------------------------------------------------------
// Sending and judging

/** Transport failures that grpc-js reports as UNAVAILABLE: a dropped connection, not an answer. */
const transportFailure = /Connection dropped|RST_STREAM|No connection established|Connection closed|ECONNRESET|ECONNREFUSED|Failed to connect|Socket closed|GOAWAY|Stream refused/i;

function describeCase(c: GrpcCase, bytes: Buffer): string {
  const hex = bytes.length > 120 ? `${bytes.subarray(0, 120).toString("hex")}… (${bytes.length} bytes)` : bytes.toString("hex");
  const text = (v: unknown, max: number) => {
    const t = compressRuns(fc.stringify(v));
    return t.length > max ? `${t.slice(0, max)}…` : t;
  };
  return `${c.method} ${text(c.message, 500)}${c.extras.length ? ` + ${text(c.extras, 300)}` : ""}${c.transforms.length ? ` ~ ${text(c.transforms, 200)}` : ""} = bytes ${hex}`;
}

export async function sendGrpc(c: GrpcCase, t: Target, byPath: Map<string, GrpcMethod>): Promise<Verdict> {
  const m = byPath.get(c.method);
  if (!m) throw new Error(`unknown method ${c.method}`);
  const bytes = caseBytes(m, c);
  const o: GrpcOutcome = m.streaming ? await t.stream(m.path, bytes, GRPC_WATCH_DEADLINE_MS) : await t.unary(m.path, bytes, GRPC_TIMEOUT_MS);
  const problems: Problem[] = [];
  const name = STATUS_NAMES[o.code] ?? String(o.code);
  if (o.code === 13 || o.code === 2) {
    const server = await t.serverError(o.requestId);
    problems.push({ key: `gRPC ${name}: ${normalizeKey(server.message ?? o.details)}`, detail: `${m.path} ended with ${name} "${o.details}"; the server logged:\n${server.text}` });
  } else if (o.code === 14 && (transportFailure.test(o.details) || !o.requestId)) {
    problems.push({ key: `gRPC call ended without a status from the server (UNAVAILABLE: ${normalizeKey(o.details)})`, detail: `${m.path}: ${o.details}` });
  } else if (o.local === "deadline" && !m.streaming) {
    problems.push({ key: "gRPC: the call did not end (no status within the deadline)", detail: `${m.path}: nothing within ${GRPC_TIMEOUT_MS} ms` });
  }
  const watchStarted = m.streaming && (o.local === "cancelled" || o.messages > 0);
  return {
    succeeded: o.code === 0 || watchStarted,
    indeterminate: (o.code === 4 && o.local === undefined) || (o.code === 14 && problems.length === 0),
    problems,
    request: describeCase(c, bytes),
    response: `${name}${o.local ? ` (${o.local}, ours)` : ""} "${o.details}"${o.messages ? `, ${o.messages} message(s)` : ""}`,
  };
}
