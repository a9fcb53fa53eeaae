import type { DescEnum, DescField, DescMessage } from "@bufbuild/protobuf";
import type { FieldError } from "../errors/api-error.js";

/**
 * How deep a request may nest, in protobuf messages counted from the request
 * message itself. Every protobuf runtime refuses to decode deeper than 100 by
 * default (C++, Java, Python's upb, and ts-proto, which our own clients use),
 * and an object travels inside an envelope (a request, a watch event, a list),
 * so an object accepted here must stay a few levels below that to be readable
 * by every client. A free-form JSON level costs three messages (Struct, its
 * map entry, Value), so this allows about 30 levels of objects in a manifest.
 */
export const maxMessageDepth = 96;

/**
 * Whether a string can be stored as it is: protobuf strings are UTF-8, so a
 * lone surrogate (which JSON's `\uD800` escapes can produce) would be stored
 * as U+FFFD and the API would answer the write with a value it did not store.
 */
export function isWellFormedText(text: string): boolean {
  return (text as unknown as { isWellFormed(): boolean }).isWellFormed();
}

export const notUnicode = "is not valid Unicode (a lone surrogate); strings must be valid UTF-8";

/** Keys that are JavaScript object machinery: never a field name or a free-form key. */
export const prototypeKey = "__proto__";

type Plain = Record<string, unknown>;

/** One check's state: errors so far, messages still to walk, free-form values to walk at the end. */
interface Walk {
  errors: FieldError[];
  stack: { desc: DescMessage; value: Plain; depth: number; path: string }[];
  freeForm: { value: unknown; kind: FreeForm; depth: number; path: string }[];
}

const isPlain = (v: unknown): v is Plain =>
  typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date) && !(v instanceof Uint8Array);

/**
 * Checks a decoded request (ts-proto's objects) against what the decoders
 * alone do not refuse: enum numbers that the enum does not define, nesting
 * deeper than `maxMessageDepth`, and `__proto__` keys in free-form values.
 * Both transports run it before the operation, so a gRPC client and a REST
 * client meet the same rules. Driven by the descriptors; iterative, so no
 * input can exhaust the stack.
 */
export class RequestChecker {
  private readonly enumValues = new Map<string, ReadonlySet<number>>();
  /** Per message: the fields that can break a rule (enums, messages, maps); scalars never do. */
  private readonly plans = new Map<DescMessage, DescField[]>();

  constructor(private readonly maxDepth = maxMessageDepth) {}

  check(desc: DescMessage, request: unknown): FieldError[] {
    const errors: FieldError[] = [];
    const walk: Walk = { errors, stack: [], freeForm: [] };
    if (isPlain(request)) walk.stack.push({ desc, value: request, depth: 1, path: "" });
    while (walk.stack.length && errors.length < maxReported) {
      const m = walk.stack.pop()!;
      if (m.depth > this.maxDepth) {
        errors.push(tooDeep(m.path, this.maxDepth));
        continue;
      }
      for (const field of this.plan(m.desc)) {
        const v = m.value[field.localName];
        if (v !== undefined && v !== null) this.field(field, v, m.depth, m.path, walk);
      }
    }
    for (const f of walk.freeForm) {
      if (errors.length >= maxReported) break;
      const problem = checkFreeForm(f.value, f.kind, f.depth, f.path, this.maxDepth);
      if (problem) errors.push(problem);
    }
    return errors;
  }

  private plan(desc: DescMessage): DescField[] {
    let plan = this.plans.get(desc);
    if (!plan) {
      plan = desc.fields.filter((f) => f.fieldKind !== "scalar" && !(f.fieldKind === "list" && f.listKind === "scalar"));
      this.plans.set(desc, plan);
    }
    return plan;
  }

  /** One field's value; `parent` is the path of its message ("" at the root). */
  private field(field: DescField, v: unknown, depth: number, parent: string, walk: Walk): void {
    const path = parent ? `${parent}.${field.name}` : field.name;
    switch (field.fieldKind) {
      case "enum":
        this.enumValue(field.enum, v, path, walk.errors);
        return;
      case "message":
        this.message(field.message, v, depth + 1, path, walk);
        return;
      case "list":
        if (!Array.isArray(v)) return;
        for (let i = 0; i < v.length; i++) {
          if (field.listKind === "enum") this.enumValue(field.enum, v[i], `${path}[${i}]`, walk.errors);
          else if (field.listKind === "message") this.message(field.message, v[i], depth + 1, `${path}[${i}]`, walk);
        }
        return;
      case "map":
        if (!isPlain(v)) return;
        for (const k of Object.keys(v)) {
          if (k === prototypeKey) walk.errors.push({ field: `${path}[${JSON.stringify(k)}]`, message: "invalid map key" });
          // a map entry is a message of its own on the wire
          else if (field.mapKind === "enum") this.enumValue(field.enum, v[k], `${path}[${JSON.stringify(k)}]`, walk.errors);
          else if (field.mapKind === "message") this.message(field.message, v[k], depth + 2, `${path}[${JSON.stringify(k)}]`, walk);
        }
        return;
      default:
        return;
    }
  }

  private message(desc: DescMessage, value: unknown, at: number, path: string, walk: Walk): void {
    const kind = freeFormOf(desc);
    if (kind) walk.freeForm.push({ value, kind, depth: at, path });
    else if (desc.typeName.startsWith("google.protobuf.")) {
      // Timestamp and the wrappers: scalars in ts-proto, one message on the wire
      if (at > this.maxDepth) walk.errors.push(tooDeep(path, this.maxDepth));
    } else if (isPlain(value)) walk.stack.push({ desc, value, depth: at, path });
  }

  private enumValue(desc: DescEnum, v: unknown, path: string, errors: FieldError[]): void {
    let known = this.enumValues.get(desc.typeName);
    if (!known) this.enumValues.set(desc.typeName, (known = new Set(desc.values.map((x) => x.number))));
    if (typeof v === "number" && known.has(v)) return;
    errors.push({ field: path, message: `expected one of ${desc.values.map((x) => x.name).join(", ")}` });
  }
}

/** Field errors reported at most: the rest would only make the answer large. */
const maxReported = 100;

function tooDeep(path: string, max: number): FieldError {
  return { field: path, message: `nested deeper than ${max} protobuf messages (the limit every protobuf client can read)` };
}

type FreeForm = "value" | "struct" | "list";

function isContainer(v: unknown): v is Plain | unknown[] {
  return typeof v === "object" && v !== null;
}

function freeFormOf(desc: DescMessage): FreeForm | undefined {
  switch (desc.typeName) {
    case "google.protobuf.Value":
      return "value";
    case "google.protobuf.Struct":
      return "struct";
    case "google.protobuf.ListValue":
      return "list";
    default:
      return undefined;
  }
}

/**
 * Walks a free-form field (plain JSON in ts-proto) whose message sits at
 * `depth`, counting levels as the wire has them: a Value holding an object is
 * a Struct one level down, each Struct key a map entry one more, and its value
 * a Value below that; a list is a ListValue whose items are Values. Reports
 * the first `__proto__` key or the first level too deep.
 */
function checkFreeForm(value: unknown, kind: FreeForm, depth: number, path: string, max: number): FieldError | undefined {
  // containers (Struct or ListValue messages) still to walk, with their depth
  const stack: { value: Plain | unknown[]; depth: number; path: string }[] = [];
  if (kind !== "value") {
    if (isContainer(value)) stack.push({ value, depth, path });
  } else if (isContainer(value)) stack.push({ value, depth: depth + 1, path });
  else if (depth > max) return tooDeep(path, max);
  else if (typeof value === "string" && !isWellFormedText(value)) return { field: path, message: notUnicode };
  while (stack.length) {
    const c = stack.pop()!;
    if (c.depth > max) return tooDeep(c.path, max);
    if (Array.isArray(c.value)) {
      for (let i = 0; i < c.value.length; i++) {
        const x = c.value[i];
        if (isContainer(x)) stack.push({ value: x, depth: c.depth + 2, path: `${c.path}[${i}]` });
        else if (typeof x === "string" && !isWellFormedText(x)) return { field: `${c.path}[${i}]`, message: notUnicode };
      }
      if (c.depth + 1 > max && c.value.length) return tooDeep(`${c.path}[0]`, max);
      continue;
    }
    for (const k of Object.keys(c.value)) {
      const p = `${c.path}.${k}`;
      if (k === prototypeKey) return { field: p, message: "unknown field" };
      const x = c.value[k];
      if (!isWellFormedText(k) || (typeof x === "string" && !isWellFormedText(x))) return { field: p, message: notUnicode };
      if (isContainer(x)) stack.push({ value: x, depth: c.depth + 3, path: p });
      else if (c.depth + 2 > max) return tooDeep(p, max);
    }
  }
  return undefined;
}
