/**
 * The generated artifacts and the descriptor set they come from, for the
 * codegen tests. Expectations are derived from gen/krake.binpb with
 * @bufbuild/protobuf directly, not through the generators' own code.
 */
import { readFileSync } from "node:fs";
import { createFileRegistry, fromBinary, getOption, hasOption } from "@bufbuild/protobuf";
import type { DescExtension, DescMethod, DescService, FileRegistry } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";

export const root = new URL("../../", import.meta.url);

export function loadRegistry(): FileRegistry {
  return createFileRegistry(fromBinary(FileDescriptorSetSchema, readFileSync(new URL("gen/krake.binpb", root))));
}

export interface ExpectedBinding {
  verb: string;
  /** OpenAPI form: `{field=pattern}` → `{field}`. */
  path: string;
  body: string;
  pathFields: string[];
}

interface RuleValue {
  pattern: { case: string | undefined; value?: unknown };
  body: string;
  additionalBindings: RuleValue[];
}

function toExpected(rule: RuleValue): ExpectedBinding {
  const { case: verb, value } = rule.pattern;
  if (verb === undefined || typeof value !== "string") throw new Error("unexpected http rule pattern in the fixture protos");
  const path = value.replace(/\{([^}=]+)(=[^}]*)?\}/g, "{$1}");
  const pathFields = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string);
  return { verb: verb.toUpperCase(), path, body: rule.body, pathFields };
}

export function httpExtension(registry: FileRegistry): DescExtension {
  const ext = registry.getExtension("google.api.http");
  if (!ext) throw new Error("gen/krake.binpb has no google.api.http extension");
  return ext;
}

export function expectedBindings(method: DescMethod, ext: DescExtension): ExpectedBinding[] {
  if (!hasOption(method, ext)) return [];
  const rule = getOption(method, ext) as RuleValue;
  return [rule, ...rule.additionalBindings].map(toExpected);
}

export function servicesOf(registry: FileRegistry): DescService[] {
  return [...registry.files].flatMap((f) => f.services);
}

export interface Schema {
  $ref?: string;
  type?: string | string[];
  format?: string;
  pattern?: string;
  enum?: string[];
  const?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: boolean | Schema;
  anyOf?: Schema[];
  description?: string;
}

export interface Parameter {
  name: string;
  in: "path" | "query";
  required?: boolean;
  schema: Schema;
  description?: string;
}

export interface Content {
  [mediaType: string]: { schema: Schema };
}

export interface Operation {
  operationId: string;
  tags: string[];
  "x-grpc-method": string;
  "x-grpc-watch-method"?: string;
  parameters: Parameter[];
  requestBody?: { required: boolean; content: Content };
  responses: Record<string, { $ref?: string; description?: string; content?: Content }>;
}

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, Schema>;
    responses: Record<string, { description: string; content: Content; headers?: Record<string, unknown> }>;
  };
}

export function loadOpenApi(): OpenApiDocument {
  return JSON.parse(readFileSync(new URL("gen/openapi.json", root), "utf8")) as OpenApiDocument;
}

export function refTo(typeName: string): string {
  return `#/components/schemas/${typeName}`;
}
