/**
 * Generators of REST cases, one per family. Every family draws its route
 * from the server's own /openapi.json, so a new route is fuzzed without
 * touching this file.
 */
import fc from "fast-check";
import {
  Big,
  clone,
  Deep,
  edgeStrings,
  isJsonObject,
  objectOf,
  prototypeKeys,
  prototypeValue,
  RawBytes,
  toBytes,
  weirdNumber,
  weirdString,
  wrongTypeJson,
} from "./json.js";
import type { DeepShape, Json, JsonObject } from "./json.js";
import type { Route, Schema, SchemaValues } from "./openapi.js";
import { BodyBytes, BodyText, RawSegment, routeKey } from "./rest-cases.js";
import type { BodyContent, RestBody, RestCase } from "./rest-cases.js";
import { SEED_NAME, SEED_NAMESPACE } from "./state.js";
import { MAX_BODY_BYTES } from "./target.js";
import { subresourceTemplate, templateFor } from "./templates.js";

export interface RestWorld {
  routes: Route[];
  schemas: SchemaValues;
}

// ---------------------------------------------------------------------------
// Path parameters

/** Segments sent as they are: bad percent-encoding, encoded slashes, dot segments. */
const junkSegments = ["%", "%zz", "%2", "%2F", "%2f", "%00", "%C0%80", "%ED%A0%80", "%FF", "%E9", "..", ".", "%2e%2e", "%2E",
  "a%2Fb", "%25", "%u0041", "+", "a+b", "%20", "~", ";", "a;b=c", "*", "@", "!", "$", "(", ")", ",", "'", "a%00b", "%EF%BF%BF", "%F4%90%80%80"];

const longNames = fc.constantFrom(254, 255, 256, 1_000, 5_000, 20_000).map((n) => "a".repeat(n));

/** Names for {name}: mostly the seed (so that updates reach an existing object) and valid names, then edge cases. */
export const nameArb: fc.Arbitrary<string | RawSegment> = fc.oneof(
  { weight: 6, arbitrary: fc.constant(SEED_NAME) },
  { weight: 4, arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9._:-]{0,20}$/) },
  { weight: 3, arbitrary: fc.constantFrom(...edgeStrings) },
  { weight: 2, arbitrary: weirdString },
  { weight: 1, arbitrary: longNames },
  { weight: 2, arbitrary: fc.constantFrom(...junkSegments).map((s) => new RawSegment(s)) },
);

export const namespaceArb: fc.Arbitrary<string | RawSegment> = fc.oneof(
  { weight: 10, arbitrary: fc.constant(SEED_NAMESPACE) },
  { weight: 2, arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,12}$/) },
  { weight: 2, arbitrary: fc.constantFrom(...edgeStrings) },
  { weight: 1, arbitrary: weirdString },
  { weight: 1, arbitrary: longNames },
  { weight: 1, arbitrary: fc.constantFrom(...junkSegments).map((s) => new RawSegment(s)) },
);

/** Valid, ordinary path parameters (for families that fuzz something else). */
const plainParams = (route: Route): fc.Arbitrary<Record<string, string | RawSegment>> =>
  fc.record(Object.fromEntries(route.pathParams.map((p) => [p, p === "namespace" ? fc.constant(SEED_NAMESPACE) : fc.constantFrom(SEED_NAME, "fuzz-other", "fuzz-new")])));

const fuzzedParams = (route: Route): fc.Arbitrary<Record<string, string | RawSegment>> =>
  fc.record(Object.fromEntries(route.pathParams.map((p) => [p, p === "namespace" ? namespaceArb : nameArb])));

function text(v: string | RawSegment | undefined, fallback: string): string {
  return typeof v === "string" ? v : fallback;
}

// ---------------------------------------------------------------------------
// Bodies

/** A valid body for the route and these parameters (the object's name and namespace as in the path). */
export function validBody(route: Route, params: Record<string, string | RawSegment>): JsonObject {
  const name = text(params.name, "fuzz-new");
  const namespace = route.pathParams.includes("namespace") ? text(params.namespace, SEED_NAMESPACE) : "";
  if (route.sub) return subresourceTemplate(route.plural, route.sub, name, namespace);
  return templateFor(route.plural, name, namespace);
}

/** A change at a place in a JSON tree: `steps` choose a child at each level (modulo the number of children). */
interface Mutation {
  steps: number[];
  op: "set" | "delete" | "insert";
  key: string;
  value: Json;
}

function children(v: Json): (string | number)[] {
  if (Array.isArray(v)) return v.map((_, i) => i);
  if (isJsonObject(v)) return Object.keys(v);
  return [];
}

function getChild(v: Json, k: string | number): Json {
  return Array.isArray(v) ? v[k as number]! : (v as JsonObject)[k as string]!;
}

/** Applies a mutation to a copy of `root`. */
export function mutate(root: Json, m: Mutation): Json {
  const copy = clone(root);
  let node = copy;
  let parent: Json | undefined;
  let at: string | number | undefined;
  for (const step of m.steps) {
    const keys = children(node);
    if (keys.length === 0) break;
    const k = keys[step % keys.length]!;
    const child = getChild(node, k);
    parent = node;
    at = k;
    node = child;
    if (children(child).length === 0) break;
  }
  if (m.op === "insert") {
    const target = isJsonObject(node) ? node : isJsonObject(parent ?? null) ? (parent as JsonObject) : undefined;
    if (target) Object.defineProperty(target, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
    else if (Array.isArray(node)) node.push(objectOf([[m.key, m.value]]));
    else return m.steps.length === 0 ? objectOf([[m.key, m.value]]) : copy;
    return copy;
  }
  if (parent === undefined || at === undefined) return m.op === "set" ? m.value : null;
  if (Array.isArray(parent)) {
    if (m.op === "set") parent[at as number] = m.value;
    else parent.splice(at as number, 1);
  } else if (isJsonObject(parent)) {
    if (m.op === "set") Object.defineProperty(parent, at as string, { value: m.value, enumerable: true, writable: true, configurable: true });
    else delete parent[at as string];
  }
  return copy;
}

const steps = fc.array(fc.nat(30), { minLength: 1, maxLength: 6 });

/** Wrong types, edge numbers and strings, at random places. */
const typeMutation: fc.Arbitrary<Mutation> = fc.record({
  steps,
  op: fc.constantFrom<Mutation["op"]>("set", "set", "set", "delete", "insert"),
  key: fc.oneof(fc.constantFrom("status", "spec", "metadata", "state", "x", "", "resource_version", "generation"), weirdString),
  value: fc.oneof(wrongTypeJson, weirdNumber, weirdString, fc.constant<Json>(null)),
});

/** The route's body schema's values merged into its valid body: well-typed but unusual content. */
function schemaBlend(world: RestWorld, route: Route, params: Record<string, string | RawSegment>): fc.Arbitrary<Json> {
  const schema = route.body!.schema;
  return world.schemas.of(schema).map((random) => {
    const base = validBody(route, params);
    if (!isJsonObject(random)) return base;
    const out = objectOf(Object.entries(base));
    for (const k of Object.keys(random)) {
      const v = random[k]!;
      // keep the path's name and namespace so that the request gets past the obvious checks
      if (k === "metadata" && isJsonObject(v) && isJsonObject(base.metadata)) out[k] = objectOf([...Object.entries(v), ...Object.entries(base.metadata).filter(([mk]) => mk === "name" || mk === "namespace")]);
      else out[k] = v;
    }
    return out;
  });
}

/** A JSON body: valid, schema-random, or a blend; then up to three type mutations. */
function jsonBody(world: RestWorld, route: Route, params: Record<string, string | RawSegment>, mutations = true): fc.Arbitrary<Json> {
  const base = fc.oneof(
    { weight: 3, arbitrary: fc.constant(null).map(() => validBody(route, params) as Json) },
    { weight: 3, arbitrary: schemaBlend(world, route, params) },
    { weight: 2, arbitrary: world.schemas.of(route.body!.schema) },
  );
  if (!mutations) return base;
  return fc.tuple(base, fc.array(typeMutation, { maxLength: 3 })).map(([b, ms]) => ms.reduce<Json>((acc, m) => mutate(acc, m), b));
}

function jsonRequestBody(route: Route, content: BodyContent): RestBody {
  return { content, type: route.body?.mediaType ?? "application/json", chunked: false };
}

const bodyRoutes = (w: RestWorld) => w.routes.filter((r) => r.body);

// ---------------------------------------------------------------------------
// Families

const methods = ["GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "PROPFIND", "get", "M-SEARCH"];

const unknownPaths = ["/", "//", "/kubernetes", "/kubernetes/", "/kubernetes/namespaces", "/kubernetes/namespaces/{namespace}",
  "/kubernetes/namespaces/{namespace}/applications/{name}/status/x", "/kubernetes/namespaces/{namespace}/applications/{name}/{name}",
  "/core/roles/{name}/status", "/core/namespaces/{namespace}/roles", "/openapi.json", "/me", "/metrics", "/readyz", "/livez",
  "/kubernetes/namespaces/{namespace}/applications/", "/kubernetes//applications", "/{name}", "/core/{name}/{name}", "/x/../core/roles"];

/** Every operation with fuzzed path parameters (and some other methods and paths). */
export function routesFamily(w: RestWorld): fc.Arbitrary<RestCase> {
  const onRoute = fc.constantFrom(...w.routes).chain((route) =>
    fc.tuple(fuzzedParams(route), fc.option(fc.constantFrom(...methods), { freq: 8 }), fc.boolean()).map(([params, method, otherName]): RestCase => ({
      route: routeKey(route),
      ...(method ? { method } : {}),
      params,
      query: [],
      headers: {},
      body: route.body ? jsonRequestBody(route, validBody(route, otherName ? { ...params, name: "fuzz-elsewhere" } : params)) : null,
    })));
  const offRoute = fc.tuple(fc.constantFrom(...unknownPaths), namespaceArb, nameArb, fc.constantFrom(...methods)).map(([path, namespace, name, method]): RestCase => ({
    route: routeKey(w.routes[0]!),
    method,
    path,
    params: { namespace, name },
    query: [],
    headers: {},
    body: null,
  }));
  return fc.oneof({ weight: 9, arbitrary: onRoute }, { weight: 1, arbitrary: offRoute });
}

/** Query parameter values that are wrong in interesting ways, by parameter. */
export const queryValues = {
  heartbeat: ["", "0", "1", "10", "-1", "0.001", "1e-300", "1e308", "1e309", "Infinity", "-Infinity", "NaN", "abc", "0x10", " 1", "1 ",
    "2147483648", "9007199254740993", "1e21", "-0", "+1", ".5", "5.", "1_000", "\u0000", "é", "[]", "{}"],
  limit: ["", "0", "1", "2", "-1", "-2147483648", "2147483647", "2147483648", "4294967296", "9007199254740993", "1e3", "1.5", "abc",
    " 1", "0x10", "Infinity", "NaN", "1e400", "00001", "+1", "-0", "1e-7", "٣"],
  watch: ["", "true", "false", "0", "1", "yes", "TRUE", "null", "\u0000", "é"],
  resource_version: ["", "0", "1", "2", "-1", "abc", "99999999999", "9223372036854775807", "9223372036854775808", "1e3", " 1", "1.5",
    "0x10", "NaN", "é"],
  send_initial_events: ["", "true", "false", "1", "0", "yes", "maybe"],
  allow_bookmarks: ["", "true", "false", "1", "0", "yes", "maybe"],
  namespace: ["", "fuzz", "é", "\u0000", "a".repeat(300), "*", "%"],
  force: ["", "true", "false", "1", "maybe"],
  propagation_policy: ["", "foreground", "background", "orphan", "Foreground", "x", "é"],
  blocking: ["", "RUNNING", "ONLINE", "x", "é"],
} as const satisfies Record<string, readonly string[]>;

/** Continue tokens: garbage, and well-formed tokens with bad contents. */
const continueValues: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("", "abc", "e30", "e30=", "eyJ9", "!!!", "%", "a".repeat(5_000), "null", "W10"),
  fc.tuple(
    fc.oneof(fc.constant<Json>(1), weirdNumber, weirdString),
    fc.oneof(fc.constant<Json>(1), fc.integer({ min: -5, max: 2 ** 31 }), weirdNumber, fc.constant<Json>("5")),
    fc.oneof(fc.constantFrom<Json>("", "/", "\u0000", "../", "/krake/", "fuzz/fuzz-seed", "\uffff"), weirdString),
  ).map(([v, rv, after]) => toBytes(objectOf([["v", v], ["rv", rv], ["after", after]])).toString("base64url")),
  fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString("base64url")),
);

/** Label selectors: valid ones, syntax errors, and what the tokenizer may not expect. */
export const selectorValues: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("", "a=b", "app=echo", "a==b", "a!=b", "a in (b,c)", "a notin (b)", "a", "!a", "a,b", "a=b,c!=d", "fuzz=yes",
    "=", "==", "!=", ",", "!", "a=", "=b", "a in", "a in (", "a in ()", "a in (b", "a in b)", "a notin", "(", ")", "a b", "a=b=c",
    "a in (b,,c)", " ", "\t", "a=b,", ",a=b", "!!a", "a!", "a=(b)", "a in ((b))", "a".repeat(64) + "=b", "a/b=c", "x.io/a=b",
    "-a=b", "a=-b", "a=b c", "a in (b c)", "\u0000", "a=\u0000", "é=1", "a=é", "é", "!é", "é in (1)", "a in (é)", "😀=1",
    "\uD800=1", "a=\uD800", "İ=1", "ß", "\u0301=1", "a=b,é=1", "ａ=1", "a\u200b=1", "a=b".repeat(500)),
  fc.array(fc.oneof(fc.stringMatching(/^[a-z]{1,4}$/), fc.constantFrom("=", "!=", "==", " in ", " notin ", "(", ")", ",", "!", " ")), { maxLength: 8 }).map((xs) => xs.join("")),
  weirdString,
);

function valuesFor(param: keyof typeof queryValues | "continue" | "label_selector"): fc.Arbitrary<string> {
  if (param === "continue") return continueValues;
  if (param === "label_selector") return selectorValues;
  return fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...queryValues[param]) }, { weight: 1, arbitrary: weirdString });
}

type QueryItem = readonly [string, string] | RawSegment;

/** A query aimed at one parameter (plus a few others, valid or not). */
function queryAbout(param: keyof typeof queryValues | "continue" | "label_selector", alsoWatch: boolean): fc.Arbitrary<QueryItem[]> {
  const focus = valuesFor(param).map((v): QueryItem => [param, v]);
  const others = fc.oneof(
    fc.constantFrom<QueryItem>(["limit", "1"], ["label_selector", "fuzz=yes"], ["send_initial_events", "true"], ["allow_bookmarks", "true"],
      ["resource_version", "1"], new RawSegment("watch"), ["watch", "true"], ["heartbeat", "0"], new RawSegment(param), new RawSegment(`${param}=`),
      new RawSegment(`${param}=a=b`), new RawSegment("&&"), new RawSegment("=x"), new RawSegment(`${param}=%zz`), new RawSegment(`${param}=%ED%A0%80`)),
    focus,
  );
  const base = fc.tuple(fc.array(focus, { minLength: 1, maxLength: 3 }), fc.array(others, { maxLength: 3 })).map(([a, b]) => [...a, ...b]);
  return alsoWatch ? fc.tuple(base, fc.boolean()).map(([q, watch]) => (watch ? [...q, new RawSegment("watch")] : q)) : base;
}

/** The query family, one parameter at a time so that a failure names its parameter. */
export function queryFamily(w: RestWorld, param: "heartbeat" | "limit/continue" | "label_selector" | "watch/resource_version" | "others"): fc.Arbitrary<RestCase> {
  const lists = w.routes.filter((r) => r.method === "GET" && r.query.some((q) => q.name === "label_selector"));
  const all = w.routes;
  const pick = (routes: Route[], q: fc.Arbitrary<QueryItem[]>) =>
    fc.constantFrom(...routes).chain((route) =>
      fc.tuple(plainParams(route), q).map(([params, query]): RestCase => ({
        route: routeKey(route),
        params,
        query,
        headers: {},
        body: route.body ? jsonRequestBody(route, validBody(route, params)) : null,
      })));
  switch (param) {
    case "heartbeat":
      // only a watch reads heartbeat
      return pick(lists, queryAbout("heartbeat", false).map((q) => [...q, new RawSegment("watch")]));
    case "limit/continue":
      return fc.oneof(pick(lists, queryAbout("limit", false)), pick(lists, queryAbout("continue", false)));
    case "label_selector":
      return pick(lists, queryAbout("label_selector", true));
    case "watch/resource_version":
      return fc.oneof(pick(lists, queryAbout("watch", false)), pick(lists, queryAbout("resource_version", true)),
        pick(lists, queryAbout("send_initial_events", true)), pick(lists, queryAbout("allow_bookmarks", true)));
    case "others":
      return fc.oneof(
        pick(all, fc.oneof(queryAbout("namespace", false), queryAbout("force", false), queryAbout("propagation_policy", false),
          queryAbout("blocking", false), queryAbout("resource_version", false))),
        // query items named like body fields, and unknown ones (no prototype keys: that is its own family)
        pick(all, fc.array(fc.tuple(fc.oneof(fc.constantFrom("metadata.name", "metadata.labels.a", "spec", "application", "cluster",
          "name", "namespace", "body", "a.b.c", "a..b", ".", "", "limit.x", "metadata", "status.state"), weirdString.filter((k) => !prototypeKeys.some((p) => k.includes(p)))),
          weirdString).map(([k, v]): QueryItem => [k, v]), { minLength: 1, maxLength: 4 })),
      );
  }
}

/**
 * Sets `value` at `path` in a copy of `body`, creating objects on the way
 * ("0" is a list's first item, created if the list is empty).
 */
export function setPath(body: Json, path: string[], value: Json): Json {
  if (path.length === 0) return value;
  const [key, ...rest] = path as [string, ...string[]];
  if (key === "0") {
    const list = Array.isArray(body) ? (clone(body) as Json[]) : [];
    list[0] = setPath(list.length ? list[0]! : {}, rest, value);
    return list;
  }
  const out = isJsonObject(body) ? (clone(body) as JsonObject) : {};
  Object.defineProperty(out, key, { value: setPath(out[key] ?? null, rest, value), enumerable: true, writable: true, configurable: true });
  return out;
}

/** The fields of a route's body that it reads: `status…` for a status subresource, the rest for the object itself. */
function relevantFields(w: RestWorld, route: Route): { path: string[]; schema: Schema }[] {
  return w.schemas.fieldPaths(route.body!.schema, 5).filter((f) =>
    route.sub === "status" ? f.path[0] === "status" : route.sub === undefined ? f.path[0] !== "status" : true);
}

/**
 * JSON bodies: a valid body with one field at the edge of its type (enum
 * fields get their own share: there are few of them, and a number where a
 * state name goes is a classic), or a schema-driven body with mutations.
 */
export function bodiesFamily(w: RestWorld): fc.Arbitrary<RestCase> {
  const routes = bodyRoutes(w).filter((r) => r.method !== "PATCH");
  const pairs = routes.flatMap((route) => relevantFields(w, route).map((field) => ({ route, field })));
  const enums = pairs.filter((p) => w.schemas.resolve(p.field.schema.anyOf?.find((a) => a.type !== "null") ?? p.field.schema).enum);
  const oneField = (from: typeof pairs) =>
    fc.constantFrom(...from).chain(({ route, field }) =>
      fc.tuple(plainParams(route), w.schemas.edgeValues(field.schema)).map(([params, v]): RestCase => ({
        route: routeKey(route),
        params,
        query: [],
        headers: {},
        body: { content: setPath(validBody(route, params), field.path, v), type: route.body!.mediaType, chunked: false },
      })));
  const mutated = fc.constantFrom(...routes).chain((route) =>
    fc.tuple(plainParams(route), fc.constantFrom(route.body!.mediaType, route.body!.mediaType, "application/json; charset=utf-8"))
      .chain(([params, type]) => jsonBody(w, route, params).map((content): RestCase => ({
        route: routeKey(route),
        params,
        query: [],
        headers: {},
        body: { content, type, chunked: false },
      }))));
  const options: fc.WeightedArbitrary<RestCase>[] = [{ weight: 3, arbitrary: mutated }];
  if (pairs.length) options.push({ weight: 3, arbitrary: oneField(pairs) });
  if (enums.length) options.push({ weight: 2, arbitrary: oneField(enums) });
  return fc.oneof(...options);
}

const mediaTypes = [null, "", "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1", "application/merge-patch+json",
  "APPLICATION/JSON", "application/json;", "multipart/form-data; boundary=x", "application/problem+json", "*/*", ";", "application/json\t",
  "application/xml", "application/json-patch+json", "application/+json", "+json", "application/json, text/plain"];

/** Texts that are almost JSON, or not at all. */
function malformedTexts(valid: string): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom("{", "[", "{}{}", "}", "]", "nul", "tru", '"', '"x', "{'a':1}", '{"a":}', '{"a" 1}', '{"a":1,}', "[1,]", "NaN", "Infinity",
      "-", "01", "1.", ".1", "+1", "0x10", "/* c */{}", "{}//", "\uFEFF{}", "\u0000", " ", "\n\n", "{\"a\":\"\\x\"}", '{"a":"\\u12"}',
      '{"a":"\\ud800"}', '{"\\ud800":1}', '{"a":"\u0000"}', "[".repeat(100), "{\"a\":".repeat(50), '{"a":1e999999}', "-0", "[-]",
      '"\\uDFFF\\uD800"', "{\"metadata\":{\"name\":\"a\"},\"metadata\":{\"name\":\"b\"}}", "null", "1", "\"x\"", "[]", "true"),
    fc.nat(valid.length).map((n) => valid.slice(0, n)),
    fc.tuple(fc.nat(valid.length), fc.constantFrom(",", "}", "]", "\"", ":", "\\", "\u0000", "\uFEFF", "\uD800")).map(([n, c]) => valid.slice(0, n) + c + valid.slice(n)),
    fc.string({ unit: "binary", maxLength: 60 }),
  );
}

/** Malformed JSON, bytes that are not UTF-8, wrong and odd media types, chunked uploads, empty bodies. */
export function malformedFamily(w: RestWorld): fc.Arbitrary<RestCase> {
  const routes = w.routes.filter((r) => r.method !== "GET" || r.body);
  return fc.constantFrom(...routes).chain((route) =>
    plainParams(route).chain((params) => {
      const valid = toBytes(route.body ? validBody(route, params) : {}).toString("utf8");
      const invalidUtf8 = fc.constantFrom("ff", "c0af", "c080", "eda080", "edbfbf", "f4908080", "e282", "80", "fe", "c3", "f8888080", "e0", "ffff");
      const content: fc.Arbitrary<BodyContent> = fc.oneof(
        { weight: 4, arbitrary: malformedTexts(valid).map((t) => new BodyText(t)) },
        // a string somewhere in the valid body replaced by bytes that are not UTF-8
        { weight: 3, arbitrary: fc.tuple(steps, invalidUtf8).map(([s, hex]) => mutate(validBody(route, params), { steps: s, op: "set", key: "", value: new RawBytes(hex) })) },
        { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => new BodyBytes(Buffer.from(b).toString("hex"))) },
        { weight: 1, arbitrary: fc.constant(new BodyText("")) },
        { weight: 2, arbitrary: fc.constant<Json>(validBody(route, params)) },
      );
      const type = fc.oneof({ weight: 3, arbitrary: fc.constant<string | null>(route.body?.mediaType ?? "application/json") }, { weight: 2, arbitrary: fc.constantFrom(...mediaTypes) });
      return fc.tuple(content, type, fc.boolean()).map(([c, t, chunked]): RestCase => ({
        route: routeKey(route),
        params,
        query: [],
        headers: {},
        body: { content: c, type: t, chunked },
      }));
    }));
}

/** Up to 10,000 levels: often the maximum; otherwise uniform, shrinking towards shallow (the smallest depth that fails). */
const depthArb = fc.oneof(
  { weight: 2, arbitrary: fc.noBias(fc.integer({ min: 1, max: 10_000 })) },
  { weight: 1, arbitrary: fc.constant(10_000) },
);
const shapeArb = fc.constantFrom<DeepShape>("array", "object", "mixed", "struct-like");

/** Puts `value` at a dotted path of `body`, creating objects (or a one-element list for a "0" step). */
function setAtPath(body: JsonObject, path: string[], value: Json): JsonObject {
  const out = clone(body) as JsonObject;
  let node: JsonObject = out;
  path.forEach((key, i) => {
    const last = i === path.length - 1;
    const nextIsIndex = path[i + 1] === "0";
    if (key === "0") return; // handled by the step before
    if (last) {
      node[key] = value;
    } else if (nextIsIndex) {
      const item = objectOf([["apiVersion", "v1"], ["kind", "ConfigMap"], ["metadata", objectOf([["name", "deep"]])]]);
      if (i + 1 === path.length - 1) {
        node[key] = [value];
      } else {
        node[key] = [item];
        node = item;
      }
    } else {
      const next = isJsonObject(node[key]) ? (node[key] as JsonObject) : {};
      node[key] = next;
      node = next;
    }
  });
  return out;
}

/** Deep nesting (up to 10,000 levels): the whole body, or inside a free-form field (spec.manifest, spec.kubeconfig, …). */
export function deepFamily(w: RestWorld): fc.Arbitrary<RestCase> {
  return fc.constantFrom(...bodyRoutes(w)).chain((route) => {
    const free = w.schemas.freeFormPaths(route.body!.schema);
    const places = [["(top)"], ["metadata", "labels"], ["spec"], ...free];
    return fc.tuple(plainParams(route), depthArb, shapeArb, fc.constantFrom(...places), fc.boolean()).map(([params, depth, shape, place, inItem]): RestCase => {
      const deep = new Deep(depth, shape);
      let content: Json;
      if (place[0] === "(top)") content = deep;
      else {
        const value = inItem && place[place.length - 1] === "0" ? objectOf([["apiVersion", "v1"], ["kind", "ConfigMap"], ["metadata", objectOf([["name", "deep"]])], ["data", deep]]) : deep;
        content = setAtPath(validBody(route, params), place, value);
      }
      return { route: routeKey(route), params, query: [], headers: {}, body: { content, type: route.body!.mediaType, chunked: false } };
    });
  });
}

/** Bodies over (and at) the 1.5 MiB limit, with and without Content-Length; large and many headers. */
export function oversizeFamily(w: RestWorld): fc.Arbitrary<RestCase> {
  const sizes = fc.constantFrom(MAX_BODY_BYTES - 1_000, MAX_BODY_BYTES, MAX_BODY_BYTES + 1, MAX_BODY_BYTES + 10_000, 2 * 1024 * 1024, 3 * 1024 * 1024);
  const bodies = fc.constantFrom(...bodyRoutes(w)).chain((route) =>
    fc.tuple(plainParams(route), sizes, fc.constantFrom("label", "manifest", "top", "array"), fc.boolean()).map(([params, size, where, chunked]): RestCase => {
      const base = validBody(route, params);
      const baseLength = toBytes(base).length;
      const fill = Math.max(1, size - baseLength - 40);
      let content: Json;
      if (where === "array") content = new Array<Json>(Math.ceil(fill / 2)).fill(0);
      else if (where === "top") content = objectOf([...Object.entries(base), ["junk", new Big(fill)]]);
      else if (where === "label" && isJsonObject(base.metadata)) content = setAtPath(base, ["metadata", "labels", "big"], new Big(fill));
      else content = setAtPath(base, ["spec", "manifest", "0"], objectOf([["apiVersion", "v1"], ["kind", "ConfigMap"], ["metadata", objectOf([["name", "big"]])], ["data", objectOf([["x", new Big(fill)]])]]));
      return { route: routeKey(route), params, query: [], headers: {}, body: { content, type: route.body!.mediaType, chunked } };
    }));
  const headerValue = fc.constantFrom(100, 8_000, 16_000, 17_000, 64_000, 200_000).map((n) => "h".repeat(n));
  const headers = fc.oneof(
    fc.tuple(fc.constantFrom("x-large", "cookie", "authorization", "x-request-id", "accept", "user-agent", "origin"), headerValue).map(([k, v]) => ({ [k]: k === "authorization" ? `Bearer ${v}` : v })),
    fc.integer({ min: 50, max: 2_000 }).map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`x-h-${i}`, "v".repeat(20)]))),
    fc.constantFrom(129, 10_000).map((n) => ({ "x-request-id": "r".repeat(n) })),
    fc.constantFrom<Record<string, string>>({ origin: "null" }, { origin: "http://evil.example" }, { "x-request-id": "" }, { "x-request-id": "a b" },
      { authorization: "Bearer" }, { authorization: "Basic !!!" }, { accept: "application/x-ndjson" }, { "transfer-encoding": "gzip" }),
  );
  const withHeaders = fc.constantFrom(...w.routes).chain((route) =>
    fc.tuple(plainParams(route), headers).map(([params, h]): RestCase => ({
      route: routeKey(route),
      params,
      query: [],
      headers: h,
      body: route.body ? jsonRequestBody(route, validBody(route, params)) : null,
    })));
  return fc.oneof({ weight: 2, arbitrary: bodies }, { weight: 1, arbitrary: withHeaders });
}

/** PATCH with merge patches: partial documents, nulls that delete, immutable fields, non-objects; odd media types. */
export function patchFamily(w: RestWorld): fc.Arbitrary<RestCase> {
  const patches = w.routes.filter((r) => r.method === "PATCH");
  return fc.constantFrom(...patches).chain((route) =>
    plainParams(route).chain((params) => {
      const doc: fc.Arbitrary<Json> = fc.oneof(
        { weight: 4, arbitrary: w.schemas.of(route.body!.schema) },
        { weight: 3, arbitrary: jsonBody(w, route, params) },
        {
          weight: 3,
          arbitrary: fc.constantFrom<Json>({ metadata: null }, { spec: null }, { status: null }, { metadata: { name: "other" } }, { metadata: { namespace: "other" } },
            { metadata: { uid: "x" } }, { metadata: { resource_version: "1" } }, { metadata: { resource_version: "abc" } }, { metadata: { labels: null } },
            { metadata: { labels: { a: null } } }, { metadata: { finalizers: ["x"] } }, { metadata: { deleted: "2024-01-01T00:00:00Z" } },
            { metadata: { generation: "-1" } }, { api: "x" }, { kind: "Other" }, { status: { state: "RUNNING" } }, {}, { "": null },
            { spec: { manifest: null } }, { spec: { manifest: [] } }, { spec: { manifest: [{}] } }, { spec: { kubeconfig: null } }, { rules: null }, { users: [null] }),
        },
        { weight: 1, arbitrary: fc.constantFrom<Json>([], null, 1, "x", true, [{}]) },
        { weight: 1, arbitrary: fc.tuple(fc.constantFrom<Json>({ metadata: { labels: {} } }, { spec: {} }), typeMutation).map(([d, m]) => mutate(d, m)) },
      );
      const type = fc.oneof(
        { weight: 8, arbitrary: fc.constant<string | null>("application/merge-patch+json") },
        { weight: 2, arbitrary: fc.constantFrom<string | null>("application/json", "application/merge-patch+json; charset=utf-8", "APPLICATION/MERGE-PATCH+JSON", null, "application/json-patch+json", "text/plain") },
      );
      const query = fc.oneof(
        { weight: 9, arbitrary: fc.constant<QueryItem[]>([]) },
        { weight: 1, arbitrary: fc.constant<QueryItem[]>([new RawSegment("x=1")]) },
      );
      return fc.tuple(doc, type, query).map(([content, t, q]): RestCase => ({ route: routeKey(route), params, query: q, headers: {}, body: { content, type: t, chunked: false } }));
    }));
}

/** A dotted query key with a prototype key somewhere: `a.__proto__.zz`, `constructor.prototype.x`, `__proto__`. */
const protoQueryKey: fc.Arbitrary<string> = fc.tuple(
  fc.array(fc.constantFrom("a", "metadata", "spec", "label_selector", "limit", "name", "namespace", "zz", "x"), { maxLength: 2 }),
  fc.constantFrom(...prototypeKeys),
  fc.array(fc.constantFrom("zz", "polluted", "prototype", "__proto__", "toString", "length", "name"), { maxLength: 2 }),
).map(([a, p, b]) => [...a, p, ...b].join("."));

/** Prototype keys at the top of a body, nested, in free-form fields, in merge patches and in query keys. */
export function prototypeFamily(w: RestWorld): fc.Arbitrary<RestCase> {
  const insertion = fc.record({
    steps: fc.array(fc.nat(30), { maxLength: 6 }),
    op: fc.constant<Mutation["op"]>("insert"),
    key: fc.constantFrom(...prototypeKeys),
    value: prototypeValue,
  });
  const inBodies = fc.constantFrom(...bodyRoutes(w)).chain((route) =>
    plainParams(route).chain((params) => {
      const free = w.schemas.freeFormPaths(route.body!.schema);
      const inFree = free.length
        ? fc.tuple(fc.constantFrom(...free), fc.constantFrom(...prototypeKeys), prototypeValue).map(([place, key, value]) =>
          setAtPath(validBody(route, params), place, place[place.length - 1] === "0" ? objectOf([["apiVersion", "v1"], ["kind", "ConfigMap"], ["metadata", objectOf([["name", "p"]])], [key, value]]) : objectOf([[key, value]])))
        : fc.constant<Json>(validBody(route, params));
      const content = fc.oneof(
        fc.tuple(fc.constant(null), fc.array(insertion, { minLength: 1, maxLength: 3 })).map(([, ms]) => ms.reduce<Json>((acc, m) => mutate(acc, m), validBody(route, params))),
        inFree,
        fc.tuple(fc.constantFrom(...prototypeKeys), prototypeValue).map(([k, v]) => objectOf([[k, v]])),
      );
      return content.map((c): RestCase => ({ route: routeKey(route), params, query: [], headers: {}, body: { content: c, type: route.body!.mediaType, chunked: false } }));
    }));
  const inQuery = fc.constantFrom(...w.routes).chain((route) =>
    fc.tuple(plainParams(route), fc.array(fc.tuple(protoQueryKey, fc.constantFrom("1", "x", "", "true", "{}")), { minLength: 1, maxLength: 3 }), fc.boolean())
      .map(([params, items, watch]): RestCase => ({
        route: routeKey(route),
        params,
        query: [...items.map(([k, v]) => [k, v] as const), ...(watch && route.method === "GET" ? [new RawSegment("watch")] : [])],
        headers: {},
        body: route.body ? jsonRequestBody(route, validBody(route, params)) : null,
      })));
  const inNames = fc.constantFrom(...w.routes).chain((route) =>
    fc.tuple(fuzzedParams(route), fc.constantFrom(...prototypeKeys)).map(([params, key]): RestCase => {
      const p = { ...params, [route.pathParams[route.pathParams.length - 1] ?? "name"]: key };
      return { route: routeKey(route), params: p, query: [], headers: {}, body: route.body ? jsonRequestBody(route, validBody(route, p)) : null };
    }));
  return fc.oneof({ weight: 5, arbitrary: inBodies }, { weight: 4, arbitrary: inQuery }, { weight: 1, arbitrary: inNames });
}

