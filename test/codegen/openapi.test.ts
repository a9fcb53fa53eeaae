import { FeatureSet_FieldPresence } from "@bufbuild/protobuf/wkt";
import { getOption, hasOption } from "@bufbuild/protobuf";
import type { DescField, DescMessage } from "@bufbuild/protobuf";
import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { expect } from "chai";
import { expectedBindings, httpExtension, loadOpenApi, loadRegistry, refTo, servicesOf } from "./descriptors.js";
import type { Operation, Schema } from "./descriptors.js";

const registry = loadRegistry();
const ext = httpExtension(registry);
const doc = loadOpenApi();
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

const errorStatuses = ["400", "401", "403", "404", "405", "409", "410", "413", "415", "422", "429", "500", "503", "504"];

function operation(path: string, verb: string): Operation {
  const op = doc.paths[path]?.[verb.toLowerCase()];
  if (!op) throw new Error(`gen/openapi.json has no ${verb} ${path}`);
  return op;
}

/** What a URL can carry of a request: non-path, non-body scalar (and repeated scalar) fields, nested as a.b. */
function queryFieldsOf(message: DescMessage, exclude: Set<string>, prefix = ""): string[] {
  return message.fields.flatMap((f): string[] => {
    const name = prefix + f.name;
    if (exclude.has(name)) return [];
    if (f.fieldKind === "scalar" || f.fieldKind === "enum") return [name];
    if (f.fieldKind === "list" && f.listKind !== "message") return [name];
    if (f.fieldKind === "message" && !f.message.typeName.startsWith("google.protobuf.")) return queryFieldsOf(f.message, exclude, `${name}.`);
    if (f.fieldKind === "message" && f.message.typeName === "google.protobuf.Timestamp") return [name];
    return [];
  });
}

function messagesInRegistry(): DescMessage[] {
  const out: DescMessage[] = [];
  for (const type of registry) if (type.kind === "message") out.push(type);
  return out;
}

function isNullable(schema: Schema): boolean {
  if (Array.isArray(schema.type)) return schema.type.includes("null");
  if (schema.anyOf) return schema.anyOf.some((s) => s.type === "null");
  return Object.keys(schema).every((k) => k === "description");
}

describe("codegen: gen/openapi.json", () => {
  it("is a valid OpenAPI 3.1 document", async () => {
    const result = await new Validator().validate(doc as unknown as Record<string, unknown>);
    expect(result.errors, JSON.stringify(result.errors, null, 2)).to.equal(undefined);
    expect(result.valid).to.equal(true);
    expect(doc.openapi).to.equal("3.1.0");
  });

  it("has component schemas that compile as JSON Schema 2020-12", () => {
    const ajv = addFormats(new Ajv2020({ strict: false }));
    ajv.addSchema({ $id: "openapi.json", components: doc.components });
    for (const name of Object.keys(doc.components.schemas)) {
      expect(() => ajv.getSchema(`openapi.json#/components/schemas/${name.replace(/~/g, "~0").replace(/\//g, "~1")}`), name).not.to.throw();
    }
  });

  it("has an operation for every http binding of every service in gen/krake.binpb", () => {
    let bindings = 0;
    for (const service of servicesOf(registry)) {
      for (const method of service.methods) {
        const name = `${service.typeName}/${method.name}`;
        for (const b of expectedBindings(method, ext)) {
          bindings++;
          const op = operation(b.path, b.verb);
          if (method.methodKind === "server_streaming") {
            expect([op["x-grpc-method"], op["x-grpc-watch-method"]], `${b.verb} ${b.path}`).to.include(name);
            const ndjson = op.responses["200"]?.content?.["application/x-ndjson"]?.schema;
            expect(ndjson?.anyOf?.map((s) => s.$ref), name).to.deep.equal([refTo(method.output.typeName), refTo("WatchErrorEvent")]);
          } else {
            expect(op["x-grpc-method"], `${b.verb} ${b.path}`).to.equal(name);
            expect(op.responses["200"]?.content?.["application/json"]?.schema.$ref, name).to.equal(refTo(method.output.typeName));
          }
          const pathParams = op.parameters.filter((p) => p.in === "path");
          expect(pathParams.map((p) => p.name), name).to.deep.equal(b.pathFields);
          expect(pathParams.every((p) => p.required === true)).to.equal(true);
        }
      }
    }
    expect(bindings).to.be.greaterThan(50);
    const fromRules = new Set<string>();
    for (const service of servicesOf(registry)) {
      for (const method of service.methods) for (const b of expectedBindings(method, ext)) fromRules.add(`${b.verb} ${b.path}`);
    }
    const documented = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item).filter((verb) => verb !== "patch").map((verb) => `${verb.toUpperCase()} ${path}`),
    );
    expect(new Set(documented)).to.deep.equal(fromRules);
  });

  it("selects the watch stream on the shared List path with ?watch, heartbeat and the watch request's fields", () => {
    let shared = 0;
    for (const service of servicesOf(registry)) {
      for (const method of service.methods.filter((m) => m.methodKind === "server_streaming")) {
        for (const b of expectedBindings(method, ext)) {
          const op = operation(b.path, b.verb);
          expect(op["x-grpc-watch-method"], b.path).to.equal(`${service.typeName}/${method.name}`);
          shared++;
          const query = op.parameters.filter((p) => p.in === "query");
          const byName = new Map(query.map((p) => [p.name, p]));
          expect(byName.get("watch")?.schema.type).to.equal("boolean");
          expect(byName.get("heartbeat")?.schema.type).to.equal("integer");
          for (const field of queryFieldsOf(method.input, new Set(b.pathFields))) expect(byName.has(field), `${b.path} ${field}`).to.equal(true);
          for (const field of ["resource_version", "allow_bookmarks", "send_initial_events", "label_selector"]) {
            expect(byName.has(field), `${b.path} ${field}`).to.equal(true);
          }
          expect(byName.get("allow_bookmarks")?.schema.type).to.equal("boolean");
        }
      }
    }
    expect(shared).to.be.greaterThan(10);
    const event = doc.components.schemas["krake.kubernetes.v1.WatchApplicationsResponse"];
    expect(event?.properties?.type?.$ref).to.equal(refTo("krake.core.v1.EventType"));
    expect(event?.properties?.object?.anyOf?.[0]?.$ref).to.equal(refTo("krake.kubernetes.v1.Application"));
    expect(doc.components.schemas.WatchErrorEvent?.properties?.object?.$ref).to.equal(refTo("Problem"));
  });

  it("maps the other request fields to query parameters and the body per the rule", () => {
    for (const service of servicesOf(registry)) {
      for (const method of service.methods.filter((m) => m.methodKind === "unary")) {
        for (const b of expectedBindings(method, ext)) {
          const op = operation(b.path, b.verb);
          const all = op.parameters.filter((p) => p.in === "query").map((p) => p.name);
          // On a List path shared with a Watch, the watch flag and the watch-only parameters follow the List's.
          const query = op["x-grpc-watch-method"] ? all.slice(0, all.indexOf("watch")) : all;
          const name = `${b.verb} ${b.path}`;
          if (b.body === "*") {
            expect(query, name).to.deep.equal([]);
            const schema = op.requestBody?.content["application/json"]?.schema;
            const expected = method.input.fields.map((f) => f.name).filter((f) => !b.pathFields.includes(f));
            expect(Object.keys(schema?.properties ?? {}), name).to.deep.equal(expected);
          } else if (b.body) {
            const field = method.input.fields.find((f) => f.name === b.body) as DescField;
            expect(field.message?.typeName).to.be.a("string");
            expect(op.requestBody?.required).to.equal(true);
            expect(op.requestBody?.content["application/json"]?.schema.$ref, name).to.equal(refTo(`${field.message?.typeName}-Input`));
            expect(query, name).to.deep.equal(queryFieldsOf(method.input, new Set([...b.pathFields, b.body])));
          } else {
            expect(op.requestBody, name).to.equal(undefined);
            expect(query, name).to.deep.equal(queryFieldsOf(method.input, new Set(b.pathFields)));
          }
        }
      }
    }
    // Krake's clients send these (krake-model.md §12).
    const create = operation("/kubernetes/namespaces/{namespace}/applications", "POST");
    expect(create.parameters.map((p) => p.name)).to.deep.equal(["namespace", "blocking"]);
    const del = operation("/kubernetes/namespaces/{namespace}/clusters/{name}", "DELETE");
    expect(del.parameters.find((p) => p.name === "force")?.schema.type).to.equal("boolean");
  });

  it("answers every operation's errors with application/problem+json", () => {
    const problem = doc.components.schemas.Problem;
    expect(Object.keys(problem?.properties ?? {})).to.deep.equal(["type", "title", "status", "detail", "instance", "code", "request_id", "errors"]);
    expect(problem?.properties?.errors?.items?.$ref).to.equal(refTo("ProblemFieldError"));
    expect(problem?.properties?.code?.enum).to.include("NOT_FOUND");
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [verb, op] of Object.entries(item)) {
        for (const status of errorStatuses) {
          const ref = op.responses[status]?.$ref;
          expect(ref, `${verb} ${path} ${status}`).to.be.a("string");
          const response = doc.components.responses[String(ref).split("/").pop() as string];
          expect(response?.content["application/problem+json"]?.schema.$ref).to.equal(refTo("Problem"));
        }
      }
    }
    expect(doc.components.responses.MethodNotAllowed?.headers).to.have.property("Allow");
  });

  it("describes every message with its proto field names, every field but oneof members required on output", () => {
    const emptyJson = registry.getExtension("krake.core.v1.empty_json")!;
    const rule = (f: DescField) => (hasOption(f, emptyJson) ? (getOption(f, emptyJson) as number) : 0);
    let checked = 0;
    for (const message of messagesInRegistry()) {
      const output = doc.components.schemas[message.typeName];
      if (!output) continue;
      checked++;
      const names = message.fields.map((f) => f.name);
      expect(Object.keys(output.properties ?? {}), message.typeName).to.deep.equal(names);
      expect(output.required ?? [], message.typeName).to.deep.equal(message.fields.filter((f) => !f.oneof).map((f) => f.name));
      for (const field of message.fields) {
        const schema = output.properties?.[field.name] as Schema;
        // empty_json: EMPTY_JSON_NULL (1) writes the zero value as null, EMPTY_JSON_DEFAULT (2) never writes null
        const explicit = (field.presence === FeatureSet_FieldPresence.EXPLICIT && rule(field) !== 2) || rule(field) === 1
          || field.message?.typeName === "google.protobuf.Value";
        expect(isNullable(schema), `${message.typeName}.${field.name}`).to.equal(explicit);
      }
      const input = doc.components.schemas[`${message.typeName}-Input`];
      if (input) {
        expect(Object.keys(input.properties ?? {})).to.deep.equal(names);
        expect(input.required).to.equal(undefined);
        for (const field of message.fields) expect(isNullable(input.properties?.[field.name] as Schema), field.name).to.equal(true);
      }
    }
    expect(checked).to.be.greaterThan(20);
  });

  it("maps proto3 JSON types as the gateway writes them", () => {
    const s = doc.components.schemas;
    const prop = (type: string, field: string): Schema => s[type]?.properties?.[field] as Schema;
    const cases: [Schema, Schema][] = [
      [prop("krake.core.v1.Metadata", "created"), { type: ["string", "null"], format: "date-time", description: "Set by the server on create." }],
      [prop("krake.core.v1.Metadata", "generation"), { type: "string", format: "int64", pattern: "^-?[0-9]+$" }],
      [prop("krake.core.v1.Metadata", "labels"), { type: "object", additionalProperties: { type: "string" } }],
      [prop("krake.core.v1.Metadata", "finalizers"), { type: "array", items: { type: "string" } }],
      [prop("krake.kubernetes.v1.ApplicationSpec", "manifest"), { type: "array", items: { type: "object", additionalProperties: true }, description: "Kubernetes resources; each needs apiVersion, kind and metadata.name." }],
      [prop("krake.kubernetes.v1.ApplicationSpec", "tosca"), { description: "A TOSCA template as an object, or the URL (.yaml/.yml) of one; {} for none." }],
      [prop("krake.kubernetes.v1.ApplicationSpec", "csar"), { type: ["string", "null"], description: "URL (.csar/.zip) of a CSAR archive." }],
      [prop("krake.kubernetes.v1.ApplicationSpec", "auto_cluster_create"), { type: "boolean" }],
      [prop("krake.kubernetes.v1.ApplicationStatus", "state"), { $ref: refTo("krake.kubernetes.v1.ApplicationStatus.State") }],
      [prop("krake.kubernetes.v1.ApplicationStatus", "migration_timeout"), { type: "number", format: "double" }],
      [prop("krake.kubernetes.v1.ApplicationStatus", "retries"), { type: ["integer", "null"], format: "int32" }],
      [prop("krake.kubernetes.v1.ApplicationStatus", "container_health"), { $ref: refTo("krake.kubernetes.v1.ContainerHealth") }],
      [prop("krake.core.v1.Metadata", "namespace"), { type: ["string", "null"] }],
      [prop("krake.core.v1.StaticSpec", "metrics"), { type: "object", additionalProperties: { type: "number", format: "double" } }],
      [prop("krake.kubernetes.v1.ClusterSpec", "kubeconfig"), { type: "object", additionalProperties: true }],
    ];
    for (const [actual, expected] of cases) {
      const { description, ...rest } = actual;
      expect(expected.description === undefined ? rest : { ...rest, description }).to.deep.equal(expected);
    }
    expect(s["krake.kubernetes.v1.ApplicationStatus.State"]?.enum?.slice(0, 3)).to.deep.equal(["PENDING", "CREATING", "RUNNING"]);
    expect(s["krake.core.v1.EventType"]?.enum).to.deep.equal(["EVENT_TYPE_UNSPECIFIED", "ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"]);
    expect(s["krake.kubernetes.v1.ApplicationSpec"]?.description).to.equal("ApplicationSpec is the desired state. One of manifest, tosca or csar is needed.");
    expect(s["krake.core.v1.Metadata-Input"]?.properties?.generation?.type).to.deep.equal(["string", "integer", "null"]);
  });

  it("documents PATCH (JSON merge patch) where a Get and an Update share the object's path", () => {
    const patch = operation("/kubernetes/namespaces/{namespace}/applications/{name}", "PATCH");
    expect(patch["x-grpc-method"]).to.equal("krake.kubernetes.v1.ApplicationService/UpdateApplication");
    expect(patch.requestBody?.content["application/merge-patch+json"]?.schema.$ref).to.equal(refTo("krake.kubernetes.v1.Application-Input"));
    expect(doc.paths["/kubernetes/namespaces/{namespace}/applications/{name}/status"]).not.to.have.property("patch");
    expect(doc.paths["/core/roles/{name}"]).to.have.property("patch");
  });
});
