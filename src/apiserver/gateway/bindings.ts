import type { DescField, DescMessage, DescMethod } from "@bufbuild/protobuf";
import type { HttpRule } from "../../../gen/google/api/http.js";
import { encodeList, kindOperations } from "../operations.js";
import type { Operation } from "../operations.js";
import type { KrakeObject } from "../objects/kind.js";
import type { ListPage, Registry } from "../registry/registry.js";
import type { CachedObject } from "../objects/cached-object.js";
import type { CacheEvent } from "../watchcache/kind-cache.js";
import type { Descriptors } from "../../kinds/descriptors.js";
import type { JsonDecoder } from "./json/decode.js";
import type { Encoder, JsonEncoder } from "./json/encode.js";
import { parseTemplate } from "./path-template.js";
import type { PathTemplate } from "./path-template.js";
import { requestMapper } from "./request-mapper.js";
import type { BodyBinding, IgnoredParams, RequestMapper } from "./request-mapper.js";
import { Router } from "./router.js";

/** One HTTP binding of one RPC: how to build its request and how to write its answer. */
export interface Binding {
  rpc: string;
  httpMethod: string;
  template: PathTemplate;
  registry: Registry<KrakeObject>;
  operation: Operation;
  mapRequest: RequestMapper;
  /** The query parameters this method does not read. */
  ignoredParams: IgnoredParams;
  body: BodyBinding;
  /** The object type the method answers with (or lists, or streams). */
  objectDesc: DescMessage;
  objectJson: ObjectJson;
  /** For methods answering with another message (actions): its JSON. */
  messageJson?: (message: object) => Buffer;
  /** For list methods: the `{api, kind, metadata, items}` document. */
  listJson?: (page: ListPage<KrakeObject>) => Buffer;
  /** For watch methods: one NDJSON line per event, shared by every watcher. */
  watchLine?: (event: CacheEvent) => Buffer;
  /** For watch methods: the last line of a failed stream. */
  errorLine?: (problem: object) => string;
}

/** What a path template serves per HTTP method. */
export interface RouteTarget {
  /** The unary method bound here. */
  unary?: Binding;
  /** A server-streaming method; with a unary method on the same GET pattern it needs `?watch`. */
  stream?: Binding;
  /** Merge-patch over a Get and an Update that share the pattern. */
  patch?: { get: Binding; update: Binding };
}

/**
 * An object type's JSON, computed once per object version (CachedObject's
 * cache) and kept as bytes next to it, so a read costs no encoding.
 */
export class ObjectJson {
  readonly encode: Encoder;
  private readonly bytesOf = new WeakMap<CachedObject, Buffer>();
  private readonly encodeObject: (o: KrakeObject) => unknown;

  constructor(encode: Encoder) {
    this.encode = encode;
    this.encodeObject = (o) => encode(o);
  }

  text(obj: CachedObject): string {
    return obj.json(this.encodeObject);
  }

  bytes(obj: CachedObject): Buffer {
    let b = this.bytesOf.get(obj);
    if (!b) {
      b = Buffer.from(obj.json(this.encodeObject));
      this.bytesOf.set(obj, b);
    }
    return b;
  }
}

/**
 * The gateway's route table, built from each kind's service: every method's
 * google.api.http rule (and its additional bindings) becomes a route that runs
 * the same operation as the gRPC method. Nothing here knows a kind or a path.
 */
export function buildRoutes(
  registries: Iterable<Registry<KrakeObject>>,
  descriptors: Descriptors,
  encoder: JsonEncoder,
  decoder: JsonDecoder,
): Router<RouteTarget> {
  const objectJson = new Map<string, ObjectJson>();
  const jsonFor = (desc: DescMessage) => {
    let j = objectJson.get(desc.typeName);
    if (!j) objectJson.set(desc.typeName, (j = new ObjectJson(encoder.encoder(desc))));
    return j;
  };
  const targets = new Map<string, { template: PathTemplate; byMethod: Map<string, RouteTarget> }>();
  for (const registry of registries) {
    for (const [path, { method, rpc, operation }] of kindOperations(registry, descriptors)) {
      const desc = descriptors.method(path);
      const rule = descriptors.httpRule(desc);
      if (!rule) continue;
      for (const { verb, pattern, body } of patterns(rule)) {
        const { map, body: bodyBinding, ignored } = requestMapper(desc, body, decoder);
        const objectDesc = answeredType(desc, operation);
        const binding: Binding = {
          rpc, httpMethod: verb, template: parseTemplate(pattern), registry, operation, mapRequest: map, ignoredParams: ignored, body: bodyBinding,
          objectDesc, objectJson: jsonFor(objectDesc),
        };
        if (operation.type === "message") {
          const encode = encoder.encoder(objectDesc);
          binding.messageJson = (message) => Buffer.from(JSON.stringify(encode(message)));
        }
        if (operation.type === "list") binding.listJson = listJson(registry, desc, binding.objectJson, encoder, method.responseDeserialize);
        if (operation.type === "watch") Object.assign(binding, watchLines(desc, binding.objectJson));
        let t = targets.get(pattern);
        if (!t) targets.set(pattern, (t = { template: binding.template, byMethod: new Map() }));
        const target = t.byMethod.get(verb) ?? {};
        const slot = operation.type === "watch" ? "stream" : "unary";
        if (target[slot]) throw new Error(`${verb} ${pattern}: bound to both ${target[slot].rpc} and ${rpc}`);
        target[slot] = binding;
        t.byMethod.set(verb, target);
      }
    }
  }
  const router = new Router<RouteTarget>();
  for (const { template, byMethod } of targets.values()) {
    const get = byMethod.get("GET")?.unary;
    const update = byMethod.get("PUT")?.unary;
    if (get && update && get.operation.type === "object" && update.body.desc === get.objectDesc && !byMethod.has("PATCH")) {
      byMethod.set("PATCH", { patch: { get, update } });
    }
    for (const [verb, target] of byMethod) router.add(verb, template, target);
  }
  return router;
}

function patterns(rule: HttpRule): { verb: string; pattern: string; body: string }[] {
  const out: { verb: string; pattern: string; body: string }[] = [];
  for (const r of [rule, ...rule.additionalBindings]) {
    const [verb, pattern] = r.get !== undefined ? ["GET", r.get] : r.put !== undefined ? ["PUT", r.put]
      : r.post !== undefined ? ["POST", r.post] : r.delete !== undefined ? ["DELETE", r.delete]
      : r.patch !== undefined ? ["PATCH", r.patch] : r.custom ? [r.custom.kind.toUpperCase(), r.custom.path] : ["", ""];
    if (verb) out.push({ verb, pattern, body: r.body });
  }
  return out;
}

/** The object type in the answer: the output itself, a list's items, or a watch event's object. */
function answeredType(method: DescMethod, operation: Operation): DescMessage {
  if (operation.type === "object" || operation.type === "message") return method.output;
  const field = messageField(method.output, operation.type === "list" ? "list" : "message");
  return field.message!;
}

function messageField(desc: DescMessage, kind: "list" | "message"): DescField {
  const field = desc.fields.find((f) => (kind === "list" ? f.fieldKind === "list" && f.listKind === "message" : f.fieldKind === "message"));
  if (!field) throw new Error(`${desc.typeName}: no ${kind === "list" ? "repeated message" : "message"} field to carry objects`);
  return field;
}

function listJson(
  registry: Registry<KrakeObject>,
  method: DescMethod,
  items: ObjectJson,
  encoder: JsonEncoder,
  decodeResponse: (b: Buffer) => unknown,
): (page: ListPage<KrakeObject>) => Buffer {
  const encode = encoder.encoder(method.output);
  const itemsKey = messageField(method.output, "list").name;
  const { api, kind } = registry.kind;
  return (page) => {
    const head = decodeResponse(Buffer.from(encodeList(api, `${kind}List`, { ...page, items: [] }))) as object;
    const doc = encode(head);
    delete doc[itemsKey];
    const open = JSON.stringify(doc).slice(0, -1);
    const parts = page.items.map((o) => items.text(o));
    return Buffer.from(`${open}${open.length > 1 ? "," : ""}${JSON.stringify(itemsKey)}:[${parts.join(",")}]}`);
  };
}

function watchLines(method: DescMethod, objects: ObjectJson): Pick<Binding, "watchLine" | "errorLine"> {
  const typeField = method.output.fields.find((f) => f.fieldKind === "enum");
  const objectField = messageField(method.output, "message");
  if (!typeField || typeField.fieldKind !== "enum") throw new Error(`${method.output.typeName}: no event type field`);
  const names = typeField.enum.values;
  const prefix = (name: string) => `{${JSON.stringify(typeField.name)}:${JSON.stringify(name)},${JSON.stringify(objectField.name)}:`;
  const prefixes = new Map(names.map((v) => [v.number, prefix(v.name)]));
  const lines = new WeakMap<CachedObject, Buffer[]>();
  return {
    watchLine(event) {
      let cached = lines.get(event.object);
      if (!cached) lines.set(event.object, (cached = []));
      let line = cached[event.type];
      if (!line) {
        line = Buffer.from(`${prefixes.get(event.type) ?? prefix(String(event.type))}${objects.text(event.object)}}\n`);
        cached[event.type] = line;
      }
      return line;
    },
    errorLine: (problem) => `${prefix("ERROR")}${JSON.stringify(problem)}}\n`,
  };
}
