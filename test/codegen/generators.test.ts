/**
 * Both protoc plugins run in-process on a synthetic proto file (built as
 * descriptors on top of gen/krake.binpb's google/api files): the http rule
 * features Krake's own protos do not use, and every error a proto author can
 * run into.
 */
import { readFileSync } from "node:fs";
import { create, createFileRegistry, fromBinary, setExtension } from "@bufbuild/protobuf";
import type { DescMessage } from "@bufbuild/protobuf";
import {
  CodeGeneratorRequestSchema,
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
  MethodOptionsSchema,
} from "@bufbuild/protobuf/wkt";
import type { CodeGeneratorRequest, CodeGeneratorResponse, MethodOptions } from "@bufbuild/protobuf/wkt";
import { expect } from "chai";
import { openApiPlugin } from "../../tools/protoc-gen-krake-openapi/src/plugin.js";
import { parsePathTemplate } from "../../tools/protoc-gen-krake-openapi/src/shared/path-template.js";
import { restPlugin } from "../../tools/protoc-gen-krake-rest/src/plugin.js";
import { httpExtension, root } from "./descriptors.js";
import type { OpenApiDocument } from "./descriptors.js";

const set = fromBinary(FileDescriptorSetSchema, readFileSync(new URL("gen/krake.binpb", root)));
const registry = createFileRegistry(set);
const ext = httpExtension(registry);
const httpRule = registry.getMessage("google.api.HttpRule") as DescMessage;

interface Rule {
  pattern: { case: "get" | "put" | "post" | "delete" | "patch"; value: string } | { case: "custom"; value: { kind: string; path: string } };
  body?: string;
  additionalBindings?: Rule[];
}

interface TestMethod {
  name: string;
  rule: Rule;
  clientStreaming?: boolean;
  serverStreaming?: boolean;
}

const { STRING: TYPE_STRING, INT64: TYPE_INT64, MESSAGE: TYPE_MESSAGE } = FieldDescriptorProto_Type;
const { OPTIONAL: LABEL_OPTIONAL, REPEATED: LABEL_REPEATED } = FieldDescriptorProto_Label;

function field(name: string, number: number, type: FieldDescriptorProto_Type, extra: { typeName?: string; repeated?: boolean } = {}) {
  const label = extra.repeated ? LABEL_REPEATED : LABEL_OPTIONAL;
  return { name, number, type, label, jsonName: name, ...(extra.typeName ? { typeName: extra.typeName } : {}) };
}

function options(rule: Rule): MethodOptions {
  const opts = create(MethodOptionsSchema);
  setExtension(opts, ext, create(httpRule, rule as never));
  return opts;
}

function request(methods: TestMethod[], parameter = "target=ts"): CodeGeneratorRequest {
  const file = create(FileDescriptorProtoSchema, {
    name: "test/v1/things.proto",
    package: "test.v1",
    syntax: "proto3",
    dependency: ["google/api/annotations.proto", "google/protobuf/timestamp.proto"],
    messageType: [
      { name: "Thing", field: [field("id", 1, TYPE_STRING), field("created", 2, TYPE_MESSAGE, { typeName: ".google.protobuf.Timestamp" })] },
      { name: "Filter", field: [field("label", 1, TYPE_STRING), field("names", 2, TYPE_STRING, { repeated: true })] },
      {
        name: "Req",
        field: [
          field("parent", 1, TYPE_STRING),
          field("thing", 2, TYPE_MESSAGE, { typeName: ".test.v1.Thing" }),
          field("filter", 3, TYPE_MESSAGE, { typeName: ".test.v1.Filter" }),
          field("page", 4, TYPE_INT64),
        ],
      },
    ],
    service: [
      {
        name: "Things",
        method: methods.map((m) => ({
          name: m.name,
          inputType: ".test.v1.Req",
          outputType: ".test.v1.Thing",
          clientStreaming: m.clientStreaming ?? false,
          serverStreaming: m.serverStreaming ?? false,
          options: options(m.rule),
        })),
      },
    ],
  });
  return create(CodeGeneratorRequestSchema, { fileToGenerate: [file.name], parameter, protoFile: [...set.file, file] });
}

function output(response: CodeGeneratorResponse, name: string): string {
  const file = response.file.find((f) => f.name === name);
  if (!file) throw new Error(`no ${name} in ${response.file.map((f) => f.name).join(", ")}`);
  return file.content;
}

describe("codegen: protoc plugins on synthetic protos", () => {
  it("maps nested path fields, multi-segment variables, custom verbs and nested query fields", () => {
    const methods: TestMethod[] = [
      { name: "Do", rule: { pattern: { case: "post", value: "/v1/{parent=projects/*}/things/{thing.id}:do" }, body: "*" } },
      {
        name: "List",
        rule: { pattern: { case: "get", value: "/v1/things" }, additionalBindings: [{ pattern: { case: "get", value: "/v1/{parent=projects/*}/things" } }] },
      },
    ];
    const doc = JSON.parse(output(openApiPlugin.run(request(methods)), "openapi.json")) as OpenApiDocument;
    const doOp = doc.paths["/v1/{parent}/things/{thing.id}:do"]?.post;
    expect(doOp?.parameters.map((p) => [p.name, p.in])).to.deep.equal([["parent", "path"], ["thing.id", "path"]]);
    expect(doOp?.parameters[0]?.description).to.equal('Matches `projects/*`; may contain "/".');
    expect(Object.keys(doOp?.requestBody?.content["application/json"]?.schema.properties ?? {})).to.deep.equal(["thing", "filter", "page"]);
    const list = doc.paths["/v1/things"]?.get;
    expect(list?.parameters.map((p) => [p.name, p.schema])).to.deep.equal([
      ["parent", { type: "string" }],
      ["thing.id", { type: "string" }],
      ["thing.created", { type: "string", format: "date-time" }],
      ["filter.label", { type: "string" }],
      ["filter.names", { type: "array", items: { type: "string" } }],
      ["page", { type: ["string", "integer"], format: "int64", pattern: "^ *-?[0-9]+ *$" }],
    ]);
    expect(doc.paths["/v1/{parent}/things"]?.get?.operationId).to.equal("Things_List_2");

    const client = output(restPlugin.run(request(methods, "target=ts,import_extension=js")), "test/v1/things.ts");
    expect(client).to.include('path: ["/v1/", { field: "parent", multi: true }, "/things/", { field: "thing.id", multi: false }, ":do"], body: "*"');
    expect(client).to.include("do(request: RestRequest<Req, \"parent\">, options?: CallOptions): Promise<Thing>");
    expect(client).to.include("list(request: RestRequest<Req>, options?: CallOptions): Promise<Thing>");
    expect(client).to.include("  page: string;");
    expect(client).to.include("  created: string | null;");
  });

  const failures: { what: string; methods: TestMethod[]; parameter?: string; openapi?: RegExp; rest?: RegExp }[] = [
    {
      what: "two unary methods on one route",
      methods: [
        { name: "A", rule: { pattern: { case: "get", value: "/v1/things" } } },
        { name: "B", rule: { pattern: { case: "get", value: "/v1/things" } } },
      ],
      openapi: /test\.v1\.Things\.B: route GET \/v1\/things is already taken by test\.v1\.Things\.A/,
      rest: /already taken/,
    },
    {
      what: "a client-streaming method with an http rule",
      methods: [{ name: "Upload", rule: { pattern: { case: "post", value: "/v1/things" }, body: "*" }, clientStreaming: true }],
      openapi: /test\.v1\.Things\.Upload: client_streaming methods have no REST mapping/,
      rest: /client_streaming methods have no REST mapping/,
    },
    {
      what: "a stream on a non-GET route of a unary method",
      methods: [
        { name: "Put", rule: { pattern: { case: "put", value: "/v1/things" }, body: "*" } },
        { name: "Stream", rule: { pattern: { case: "put", value: "/v1/things" }, body: "*" }, serverStreaming: true },
      ],
      openapi: /only a GET stream can share a route with a unary method \(PUT \/v1\/things\)/,
      rest: /only a GET stream/,
    },
    {
      what: "an anonymous wildcard",
      methods: [{ name: "A", rule: { pattern: { case: "get", value: "/v1/*/things" } } }],
      openapi: /http rule path "\/v1\/\*\/things": anonymous wildcards bind no field/,
      rest: /anonymous wildcards/,
    },
    {
      what: "a path variable naming no field",
      methods: [{ name: "A", rule: { pattern: { case: "get", value: "/v1/{nope}" } } }],
      openapi: /test\.v1\.Req has no field "nope"/,
      rest: /test\.v1\.Req has no field "nope"/,
    },
    {
      what: "a path variable on a message field",
      methods: [{ name: "A", rule: { pattern: { case: "get", value: "/v1/{thing}" } } }],
      openapi: /test\.v1\.Things\.A: path variable "thing" must be a scalar field/,
      rest: /path variable "thing" must be a scalar field/,
    },
    {
      what: "a body naming no field",
      methods: [{ name: "A", rule: { pattern: { case: "post", value: "/v1/things" }, body: "nope" } }],
      openapi: /test\.v1\.Req has no field "nope"/,
      rest: /test\.v1\.Req has no field "nope"/,
    },
    {
      what: "a custom HTTP method",
      methods: [{ name: "A", rule: { pattern: { case: "custom", value: { kind: "list", path: "/v1/things" } } } }],
      openapi: /LIST \/v1\/things: OpenAPI has no HTTP method LIST/,
    },
    {
      what: "a malformed template",
      methods: [{ name: "A", rule: { pattern: { case: "get", value: "v1/{a" } } }],
      openapi: /must start with "\/"/,
      rest: /must start with "\/"/,
    },
    {
      what: "an unknown plugin option",
      methods: [{ name: "A", rule: { pattern: { case: "get", value: "/v1/things" } } }],
      parameter: "target=ts,colour=blue",
      openapi: /unknown option "colour"/,
      rest: /colour/,
    },
  ];
  for (const { what, methods, parameter, openapi, rest } of failures) {
    it(`fails on ${what}`, () => {
      if (openapi) expect(() => openApiPlugin.run(request(methods, parameter))).to.throw(openapi);
      if (rest) expect(() => restPlugin.run(request(methods, parameter))).to.throw(rest);
    });
  }

  it("parses path templates and rejects malformed ones", () => {
    expect(parsePathTemplate("/v1/{name=projects/*/things/**}:cancel")).to.deep.equal({
      raw: "/v1/{name=projects/*/things/**}:cancel",
      segments: [
        { kind: "literal", value: "v1" },
        { kind: "variable", field: "name", pattern: "projects/*/things/**" },
      ],
      verb: "cancel",
    });
    const bad: [string, string][] = [
      ["/v1/{a", "unclosed variable"],
      ["/v1//x", "empty segment"],
      ["/v1/", "empty segment"],
      ["/v1/{a-b}", '"a-b" is not a field path'],
      ["/v1/{a=}", 'variable "a" has an empty pattern'],
      ["/v1/**", "anonymous wildcards bind no field"],
      ["/v1/x{a}", 'malformed segment "x{a}"'],
      ["/v1/{a}x", 'expected "/" at offset 7'],
    ];
    for (const [raw, why] of bad) expect(() => parsePathTemplate(raw), raw).to.throw(`http rule path "${raw}": ${why}`);
  });
});
