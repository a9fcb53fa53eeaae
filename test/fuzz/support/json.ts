/**
 * JSON documents as the fuzzer writes them: plain values plus a few markers
 * that stand for text JSON.stringify cannot make (a number literal beyond a
 * double, 10,000 levels of nesting, megabytes of string, bytes that are not
 * UTF-8). The markers keep counterexamples short and readable: fast-check
 * prints `Deep(10000,array)`, not 20,000 brackets. `toBytes` writes the real
 * request body, iteratively where it has to be.
 */
import fc from "fast-check";

/** A number literal written as it is: `1e400`, `-0.0`, `123456789012345678901234567890`. */
export class RawNumber {
  constructor(readonly text: string) {}
  toString(): string {
    return `RawNumber(${this.text})`;
  }
  [fc.toStringMethod](): string {
    return this.toString();
  }
}

export type DeepShape = "array" | "object" | "mixed" | "struct-like";

/** `depth` levels of nesting: `[[[…]]]`, `{"a":{"a":…}}`, alternating, or manifest-like objects. */
export class Deep {
  constructor(readonly depth: number, readonly shape: DeepShape) {}
  toString(): string {
    return `Deep(${this.depth},${this.shape})`;
  }
  [fc.toStringMethod](): string {
    return this.toString();
  }
}

/** A string of `length` characters (`char` repeated). */
export class Big {
  constructor(readonly length: number, readonly char: string = "x") {}
  toString(): string {
    return `Big(${this.length},${JSON.stringify(this.char)})`;
  }
  [fc.toStringMethod](): string {
    return this.toString();
  }
}

/** A JSON string whose content is these raw bytes (invalid UTF-8 on purpose), quotes included. */
export class RawBytes {
  constructor(readonly hex: string) {}
  toString(): string {
    return `RawBytes(${this.hex})`;
  }
  [fc.toStringMethod](): string {
    return this.toString();
  }
}

export type Marker = RawNumber | Deep | Big | RawBytes;
export type Json = null | boolean | number | string | Marker | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

export function isMarker(v: unknown): v is Marker {
  return v instanceof RawNumber || v instanceof Deep || v instanceof Big || v instanceof RawBytes;
}

export function isJsonObject(v: Json | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !isMarker(v);
}

/**
 * An object with exactly these own keys, `__proto__` included (an object
 * literal or a plain assignment would set the prototype instead).
 */
export function objectOf(entries: Iterable<readonly [string, Json]>): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of entries) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}

/** A structural copy (markers are immutable and shared). */
export function clone(v: Json): Json {
  if (Array.isArray(v)) return v.map(clone);
  if (isJsonObject(v)) return objectOf(Object.keys(v).map((k) => [k, clone(v[k]!)] as const));
  return v;
}

function deepText(d: Deep): string {
  const n = Math.max(0, d.depth);
  switch (d.shape) {
    case "array":
      return "[".repeat(n) + "]".repeat(n);
    case "object":
      return '{"a":'.repeat(n) + "1" + "}".repeat(n);
    case "mixed":
      return '[{"a":'.repeat(Math.ceil(n / 2)) + "null" + "}]".repeat(Math.ceil(n / 2));
    case "struct-like":
      // what a Kubernetes manifest's free-form part looks like, nested: {"spec":{"items":[{"spec":…}]}}
      return '{"spec":{"items":['.repeat(Math.ceil(n / 3)) + "{}" + "]}}".repeat(Math.ceil(n / 3));
  }
}

function write(v: Json, out: (string | Buffer)[]): void {
  if (v === null) out.push("null");
  else if (typeof v === "boolean") out.push(String(v));
  else if (typeof v === "number") out.push(Number.isFinite(v) ? (Object.is(v, -0) ? "-0" : String(v)) : "null");
  else if (typeof v === "string") out.push(JSON.stringify(v));
  else if (v instanceof RawNumber) out.push(v.text);
  else if (v instanceof Deep) out.push(deepText(v));
  else if (v instanceof Big) out.push(`"${JSON.stringify(v.char).slice(1, -1).repeat(Math.max(0, v.length))}"`);
  else if (v instanceof RawBytes) out.push('"', Buffer.from(v.hex, "hex"), '"');
  else if (Array.isArray(v)) {
    out.push("[");
    v.forEach((item, i) => {
      if (i > 0) out.push(",");
      write(item, out);
    });
    out.push("]");
  } else {
    out.push("{");
    Object.keys(v).forEach((k, i) => {
      if (i > 0) out.push(",");
      out.push(JSON.stringify(k), ":");
      write(v[k]!, out);
    });
    out.push("}");
  }
}

/** The request body: UTF-8 JSON text with the markers expanded. */
export function toBytes(v: Json): Buffer {
  const out: (string | Buffer)[] = [];
  write(v, out);
  return Buffer.concat(out.map((p) => (typeof p === "string" ? Buffer.from(p, "utf8") : p)));
}

/** Long runs of one character (a 20,000-character name) as `a×20000`, so that reports stay readable. */
export function compressRuns(text: string): string {
  return text.replace(/(.)\1{63,}/gsu, (run, c: string) => `${c}×${[...run].length}`);
}

/** Short text of a value for failure messages. */
export function preview(v: Json, max = 600): string {
  const parts: string[] = [];
  const walk = (x: Json): void => {
    if (parts.length > 2_000) return;
    if (isMarker(x)) parts.push(x.toString());
    else if (Array.isArray(x)) {
      parts.push("[");
      x.forEach((i, n) => {
        if (n) parts.push(",");
        walk(i);
      });
      parts.push("]");
    } else if (isJsonObject(x)) {
      parts.push("{");
      Object.keys(x).forEach((k, n) => {
        if (n) parts.push(",");
        parts.push(JSON.stringify(k), ":");
        walk(x[k]!);
      });
      parts.push("}");
    } else if (typeof x === "number" && !Number.isFinite(x)) parts.push("null");
    else parts.push(JSON.stringify(x));
  };
  walk(v);
  const text = compressRuns(parts.join(""));
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
}

// ---------------------------------------------------------------------------
// Strings and values that tend to break things

/** Unicode and syntax edge cases, for names, label values, free text. */
export const edgeStrings: readonly string[] = [
  "",
  " ",
  "é",
  "e\u0301",
  "\u00e9=1",
  "\u0000",
  "a\u0000b",
  "\uFEFF",
  "\u200B",
  "\u202Eevil",
  "\uD800",
  "\uDC00",
  "\uDBFF\uDFFF",
  "a\uD800b",
  "😀",
  "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
  "İ",
  "ß",
  "Ω",
  "\u3000",
  "\n",
  "\r\n",
  "\t",
  "\\",
  '"',
  "'",
  "<script>",
  "../",
  "..",
  ".",
  "/",
  "%",
  "%00",
  "%2F",
  "${x}",
  "*",
  "-",
  "_",
  ":",
  "a:b",
  "null",
  "undefined",
  "NaN",
  "-1",
  "1e20",
  "0x10",
  "true",
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
  "valueOf",
  "system:admin",
  "kube-system",
  "a".repeat(63),
  "a".repeat(64),
  "a".repeat(253),
  "a".repeat(255),
  "a".repeat(256),
  "é".repeat(200),
];

export const weirdString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...edgeStrings) },
  { weight: 2, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 8 }) },
  { weight: 1, arbitrary: fc.constantFrom(1_000, 10_000, 70_000).map((n) => "a".repeat(n)) },
);

/** Numbers at and past the edges of int32, int64, double and their JSON spellings. */
export const weirdNumber: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(0, -0, 1, -1, 0.5, 1.5, -1.5, 1e20, -1e20, 1e300, 2 ** 31, 2 ** 31 - 1, -(2 ** 31), -(2 ** 31) - 1,
    2 ** 32, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 2 ** 63, 2 ** 64, Number.MAX_VALUE, Number.MIN_VALUE, 5e-324),
  fc.constantFrom(
    new RawNumber("1e400"),
    new RawNumber("-1e400"),
    new RawNumber("123456789012345678901234567890"),
    new RawNumber("9223372036854775807"),
    new RawNumber("9223372036854775808"),
    new RawNumber("-9223372036854775809"),
    new RawNumber("18446744073709551616"),
    new RawNumber("1E+2"),
    new RawNumber("0.0000000000000000000000001"),
    new RawNumber("-0.0"),
  ),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** A small JSON value of any type (no markers except numbers). */
export const smallJson: fc.Arbitrary<Json> = fc.letrec<{ v: Json }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    weirdNumber,
    weirdString,
    fc.array(tie("v"), { maxLength: 3 }),
    fc.array(fc.tuple(weirdString, tie("v")), { maxLength: 3 }).map((entries) => objectOf(entries)),
  ),
})).v;

/** Any value of the wrong type for wherever it lands. */
export const wrongTypeJson: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(null, true, false, 0, -1, 1e20, "", "x", [], {}, [null], { "": null }),
  weirdNumber,
  weirdString,
  smallJson,
);

/** The keys that mean something to JavaScript objects. */
export const prototypeKeys: readonly string[] = [
  "__proto__",
  "constructor",
  "prototype",
  "__defineGetter__",
  "__lookupGetter__",
  "hasOwnProperty",
  "toString",
  "valueOf",
  "toJSON",
  "then",
];

/** What goes under a prototype key: the shapes pollution gadgets look for. */
export const prototypeValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(
    objectOf([["zz", 1]]),
    objectOf([["polluted", "yes"]]),
    objectOf([["prototype", objectOf([["zz", 1]])]]),
    objectOf([["__proto__", objectOf([["zz", 1]])]]),
    objectOf([["toString", 1]]),
    objectOf([["length", 1e9]]),
    objectOf([["name", "x"], ["namespace", "y"]]),
    objectOf([["metadata", objectOf([["name", "x"]])]]),
    null,
    1,
    "x",
    [],
  ),
  smallJson,
);
