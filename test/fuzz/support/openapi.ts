/**
 * The REST surface as the server describes it: every path and method of its
 * own GET /openapi.json, and value generators driven by the request schemas.
 */
import fc from "fast-check";
import { objectOf, RawNumber, smallJson, weirdNumber, weirdString, wrongTypeJson } from "./json.js";
import type { Json, JsonObject } from "./json.js";
import { registerKind } from "./templates.js";

export interface Schema {
  $ref?: string;
  type?: string | string[];
  format?: string;
  enum?: string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: boolean | Schema;
  anyOf?: Schema[];
}

interface Parameter {
  name: string;
  in: string;
  schema?: Schema;
}

interface Operation {
  operationId?: string;
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  "x-grpc-watch-method"?: string;
}

export interface OpenApi {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

export interface Route {
  method: string;
  /** `/kubernetes/namespaces/{namespace}/applications/{name}`. */
  template: string;
  pathParams: string[];
  query: { name: string; schema: Schema }[];
  body?: { mediaType: string; schema: Schema };
  /** The kind's plural (`applications`), and the subresource (`status`) if any. */
  plural: string;
  sub: string | undefined;
  watchable: boolean;
  operationId: string;
}

export function routesOf(doc: OpenApi): Route[] {
  const routes: Route[] = [];
  for (const [template, methods] of Object.entries(doc.paths)) {
    // Krake's paths: /{api}/namespaces/{namespace}/{plural}[/{name}[/{sub}]] and /{api}/{plural}[/{name}[/{sub}]]
    const segments = template.split("/").filter(Boolean);
    const plural = segments[1] === "namespaces" ? segments[3] : segments[1];
    if (!plural || plural.startsWith("{")) throw new Error(`the fuzzer cannot read the kind of ${template}`);
    const nameAt = segments.indexOf("{name}");
    const sub = nameAt >= 0 && nameAt < segments.length - 1 ? segments[nameAt + 1] : undefined;
    for (const [method, op] of Object.entries(methods)) {
      const params = op.parameters ?? [];
      const content = Object.entries(op.requestBody?.content ?? {})[0];
      const ref = content?.[1].schema?.$ref;
      if (ref && sub === undefined) registerKind(plural, segments[0]!, ref.split("/").pop()!.replace(/-Input$/, "").split(".").pop()!);
      routes.push({
        method: method.toUpperCase(),
        template,
        pathParams: params.filter((p) => p.in === "path").map((p) => p.name),
        query: params.filter((p) => p.in === "query").map((p) => ({ name: p.name, schema: p.schema ?? {} })),
        body: content ? { mediaType: content[0], schema: content[1].schema ?? {} } : undefined,
        plural,
        sub,
        watchable: op["x-grpc-watch-method"] !== undefined,
        operationId: op.operationId ?? `${method} ${template}`,
      });
    }
  }
  return routes;
}

export async function fetchOpenApi(url: string): Promise<OpenApi> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  return (await res.json()) as OpenApi;
}

const MAX_DEPTH = 5;

const dateTimes = fc.oneof(
  fc.constantFrom("2024-01-01T00:00:00Z", "2024-02-30T25:61:61Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z",
    "10000-01-01T00:00:00Z", "1970-01-01T00:00:00+14:00", "yesterday", "", "2024-01-01", "1e20"),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
);

/**
 * Values of a schema: mostly well-typed (enum members, date-times, int32 and
 * int64 in range), with edge cases mixed in. Keys are only the schema's.
 */
export class SchemaValues {
  private readonly memo = new Map<string, fc.Arbitrary<Json>>();

  constructor(private readonly doc: OpenApi) {}

  resolve(s: Schema): Schema {
    let cur = s;
    for (let i = 0; cur.$ref && i < 20; i++) {
      const name = cur.$ref.replace("#/components/schemas/", "");
      const next = this.doc.components.schemas[name];
      if (!next) throw new Error(`unresolved ${cur.$ref}`);
      cur = next;
    }
    return cur;
  }

  of(schema: Schema, depth = 0): fc.Arbitrary<Json> {
    if (schema.$ref) {
      const key = `${schema.$ref}@${depth}`;
      let arb = this.memo.get(key);
      if (!arb) {
        arb = this.build(this.resolve(schema), depth);
        this.memo.set(key, arb);
      }
      return arb;
    }
    return this.build(schema, depth);
  }

  private build(s: Schema, depth: number): fc.Arbitrary<Json> {
    if (s.anyOf) {
      const nonNull = s.anyOf.filter((a) => a.type !== "null");
      return fc.oneof(
        { weight: 8, arbitrary: fc.oneof(...nonNull.map((a) => this.of(a, depth))) },
        { weight: 1, arbitrary: fc.constant(null) },
      );
    }
    const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
    const options: fc.WeightedArbitrary<Json>[] = [];
    for (const t of types) {
      const arb = this.typed(t, s, depth);
      if (arb) options.push({ weight: t === "null" ? 1 : 8, arbitrary: arb });
    }
    if (options.length === 0) return depth >= MAX_DEPTH ? fc.constant({}) : smallJson; // free-form (tosca)
    return options.length === 1 ? options[0]!.arbitrary : fc.oneof(...options);
  }

  private typed(t: string, s: Schema, depth: number): fc.Arbitrary<Json> | undefined {
    switch (t) {
      case "null":
        return fc.constant(null);
      case "boolean":
        return fc.boolean();
      case "string":
        // enums: a member mostly, else any string or a number (proto3 JSON takes enum numbers too)
        if (s.enum) return fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...s.enum) }, { weight: 1, arbitrary: weirdString }, { weight: 1, arbitrary: weirdNumber });
        if (s.format === "date-time") return dateTimes;
        if (s.format === "int64") return fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String), weirdString);
        return fc.oneof({ weight: 4, arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,12}$/) }, { weight: 2, arbitrary: weirdString });
      case "integer":
        return fc.oneof(
          { weight: 6, arbitrary: s.format === "int64" ? fc.maxSafeInteger() : fc.integer() },
          { weight: 2, arbitrary: weirdNumber },
        );
      case "number":
        return fc.oneof({ weight: 6, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) }, { weight: 2, arbitrary: weirdNumber });
      case "array": {
        if (depth >= MAX_DEPTH) return fc.constant([]);
        return fc.array(s.items ? this.of(s.items, depth + 1) : smallJson, { maxLength: 3 });
      }
      case "object": {
        if (depth >= MAX_DEPTH) return fc.constant({});
        const props = Object.entries(s.properties ?? {});
        const extra = s.additionalProperties;
        const parts: fc.Arbitrary<[string, Json][]>[] = [];
        if (props.length) {
          // a random subset of the declared properties, each well-typed
          parts.push(
            fc.tuple(...props.map(([k, v]) => fc.option(this.of(v, depth + 1).map((x): [string, Json] => [k, x]), { freq: 2 })))
              .map((xs) => xs.filter((x): x is [string, Json] => x !== null)),
          );
        }
        if (extra === true) parts.push(fc.array(fc.tuple(fc.string({ maxLength: 8 }), smallJson), { maxLength: 3 }));
        else if (typeof extra === "object") {
          const keys = fc.oneof(fc.stringMatching(/^[a-z][a-z0-9.-]{0,10}$/), weirdString);
          parts.push(fc.array(fc.tuple(keys, this.of(extra, depth + 1)), { maxLength: 3 }));
        }
        if (parts.length === 0) return fc.constant({});
        return fc.tuple(...parts).map((lists): JsonObject => objectOf(lists.flat()));
      }
      default:
        return undefined;
    }
  }

  /** Every field of a body schema down to `maxDepth` (a list's items as "0"), with its schema: where single-field edge cases go. */
  fieldPaths(schema: Schema, maxDepth = 6, path: string[] = [], out: { path: string[]; schema: Schema }[] = []): { path: string[]; schema: Schema }[] {
    const s = this.resolve(schema);
    if (path.length) out.push({ path, schema: s });
    if (path.length >= maxDepth) return out;
    for (const a of s.anyOf ?? []) if (a.type !== "null") return this.fieldPaths(a, maxDepth, path, out);
    const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
    if (types.includes("object")) for (const [k, v] of Object.entries(s.properties ?? {})) this.fieldPaths(v, maxDepth, [...path, k], out);
    if (types.includes("array") && s.items) this.fieldPaths(s.items, maxDepth, [...path, "0"], out);
    return out;
  }

  /** Values at and past the edges of what a field's schema allows: out-of-range numbers, enum numbers, wrong types. */
  edgeValues(schema: Schema): fc.Arbitrary<Json> {
    const s = this.resolve(schema.anyOf?.find((a) => a.type !== "null") ?? schema);
    const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
    const outOfRange: Json[] = [2 ** 31, -(2 ** 31) - 1, 2 ** 32, 2 ** 53 + 2, 1e20, -1e20, -1, 1.5, new RawNumber("1e400"), new RawNumber("99999999999999999999")];
    const specific: Json[] = [];
    if (s.enum) specific.push(...outOfRange, 99, 0, "", s.enum[0]!.toLowerCase(), ` ${s.enum[0]}`, "UNSPECIFIED");
    else if (types.includes("integer")) specific.push(...outOfRange, "1", "abc", "");
    else if (types.includes("number")) specific.push(1e308, -1e308, new RawNumber("1e400"), -0, 5e-324, "NaN", "Infinity", "1");
    else if (s.format === "date-time") specific.push("2024-02-30T00:00:00Z", "10000-01-01T00:00:00Z", "0000-00-00T00:00:00Z", "-000001-01-01T00:00:00Z", "1e20", "", 1e20);
    else if (s.format === "int64") specific.push("9223372036854775808", "-9223372036854775809", "1e3", " 1", "0x10", 2 ** 63, 1e20, "");
    else if (types.includes("string")) specific.push(1e20, 0, true);
    else if (types.includes("boolean")) specific.push("true", 1, 0, "yes");
    else if (types.includes("array")) specific.push({}, "x", [null], [[]]);
    else if (types.includes("object")) specific.push([], "x", 1, objectOf([["", null]]));
    return fc.oneof(
      { weight: 4, arbitrary: specific.length ? fc.constantFrom(...specific) : wrongTypeJson },
      { weight: 2, arbitrary: types.includes("string") ? weirdString : wrongTypeJson },
      { weight: 1, arbitrary: fc.constant<Json>(null) },
    );
  }

  /** The dotted paths of free-form fields (objects with any keys, or untyped) in a body schema: where deep values can go. */
  freeFormPaths(schema: Schema, path: string[] = [], depth = 0, out: string[][] = []): string[][] {
    if (depth > 6) return out;
    const s = this.resolve(schema);
    if (s.anyOf) {
      for (const a of s.anyOf) if (a.type !== "null") this.freeFormPaths(a, path, depth, out);
      return out;
    }
    const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
    if (types.length === 0 && path.length) out.push(path);
    if (types.includes("object")) {
      if (s.additionalProperties === true && path.length) out.push(path);
      for (const [k, v] of Object.entries(s.properties ?? {})) this.freeFormPaths(v, [...path, k], depth + 1, out);
    }
    if (types.includes("array") && s.items) {
      const items = this.resolve(s.items);
      if (items.additionalProperties === true) out.push([...path, "0"]);
      else this.freeFormPaths(s.items, [...path, "0"], depth + 1, out);
    }
    return out;
  }
}
