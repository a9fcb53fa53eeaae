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

/** Keys that are JavaScript object machinery: never a field name or a free-form key. */
export const prototypeKey = "__proto__";

type Plain = Record<string, unknown>;

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

  constructor(private readonly maxDepth = maxMessageDepth) {}

  check(desc: DescMessage, request: unknown): FieldError[] {
    const errors: FieldError[] = [];
    const stack: { desc: DescMessage; value: Plain; depth: number; path: string }[] = [];
    if (isPlain(request)) stack.push({ desc, value: request, depth: 1, path: "" });
    const freeForm: { value: unknown; kind: FreeForm; depth: number; path: string }[] = [];
    while (stack.length && errors.length < maxReported) {
      const m = stack.pop()!;
      if (m.depth > this.maxDepth) {
        errors.push(tooDeep(m.path, this.maxDepth));
        continue;
      }
      for (const field of m.desc.fields) {
        const v = m.value[field.localName];
        if (v === undefined || v === null) continue;
        const path = m.path ? `${m.path}.${field.name}` : field.name;
        this.field(field, v, m.depth, path, errors, stack, freeForm);
      }
    }
    for (const f of freeForm) {
      if (errors.length >= maxReported) break;
      const problem = checkFreeForm(f.value, f.kind, f.depth, f.path, this.maxDepth);
      if (problem) errors.push(problem);
    }
    return errors;
  }

  private field(
    field: DescField,
    v: unknown,
    depth: number,
    path: string,
    errors: FieldError[],
    stack: { desc: DescMessage; value: Plain; depth: number; path: string }[],
    freeForm: { value: unknown; kind: FreeForm; depth: number; path: string }[],
  ): void {
    const message = (desc: DescMessage, value: unknown, at: number, p: string) => {
      const kind = freeFormOf(desc);
      if (kind) freeForm.push({ value, kind, depth: at, path: p });
      else if (desc.typeName.startsWith("google.protobuf.")) {
        // Timestamp and the wrappers: scalars in ts-proto, one message on the wire
        if (at > this.maxDepth) errors.push(tooDeep(p, this.maxDepth));
      } else if (isPlain(value)) stack.push({ desc, value, depth: at, path: p });
    };
    switch (field.fieldKind) {
      case "enum":
        this.enumValue(field.enum, v, path, errors);
        return;
      case "message":
        message(field.message, v, depth + 1, path);
        return;
      case "list":
        if (!Array.isArray(v)) return;
        if (field.listKind === "enum") v.forEach((x, i) => this.enumValue(field.enum, x, `${path}[${i}]`, errors));
        else if (field.listKind === "message") v.forEach((x, i) => message(field.message, x, depth + 1, `${path}[${i}]`));
        return;
      case "map":
        if (!isPlain(v)) return;
        for (const [k, x] of Object.entries(v)) {
          const p = `${path}[${JSON.stringify(k)}]`;
          if (k === prototypeKey) errors.push({ field: p, message: "invalid map key" });
          // a map entry is a message of its own on the wire
          else if (field.mapKind === "enum") this.enumValue(field.enum, x, p, errors);
          else if (field.mapKind === "message") message(field.message, x, depth + 2, p);
        }
        return;
      default:
        return;
    }
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
  const isContainer = (v: unknown): v is Plain | unknown[] => typeof v === "object" && v !== null;
  // containers (Struct or ListValue messages) still to walk, with their depth
  const stack: { value: Plain | unknown[]; depth: number; path: string }[] = [];
  if (kind !== "value") {
    if (isContainer(value)) stack.push({ value, depth, path });
  } else if (isContainer(value)) stack.push({ value, depth: depth + 1, path });
  else if (depth > max) return tooDeep(path, max);
  while (stack.length) {
    const c = stack.pop()!;
    if (c.depth > max) return tooDeep(c.path, max);
    if (Array.isArray(c.value)) {
      c.value.forEach((x, i) => {
        if (isContainer(x)) stack.push({ value: x, depth: c.depth + 2, path: `${c.path}[${i}]` });
      });
      if (c.depth + 1 > max && c.value.length) return tooDeep(`${c.path}[0]`, max);
      continue;
    }
    for (const k of Object.keys(c.value)) {
      const p = `${c.path}.${k}`;
      if (k === prototypeKey) return { field: p, message: "unknown field" };
      const x = c.value[k];
      if (isContainer(x)) stack.push({ value: x, depth: c.depth + 3, path: p });
      else if (c.depth + 2 > max) return tooDeep(p, max);
    }
  }
  return undefined;
}
