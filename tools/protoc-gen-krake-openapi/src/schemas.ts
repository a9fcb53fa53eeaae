/**
 * JSON Schemas (OpenAPI 3.1) for messages and enums, in the proto3 JSON
 * mapping with proto field names. Every message gets two components:
 * - output (`pkg.Message`): what the gateway writes. It writes every field,
 *   defaults included, so all fields but oneof members (only the one set is
 *   written) are required; fields with explicit presence (messages,
 *   `optional`) are null when unset, and so are fields whose empty_json
 *   option is EMPTY_JSON_NULL; an EMPTY_JSON_DEFAULT message is never null.
 * - input (`pkg.Message-Input`): what the gateway reads. Every field may be
 *   left out or null.
 * 64-bit integers are decimal strings on output (proto3 JSON); the gateway
 * reads strings or numbers.
 */
import { ScalarType } from "@bufbuild/protobuf";
import type { DescEnum, DescField, DescMessage } from "@bufbuild/protobuf";
import { commentOf, emptyJsonRule, hasExplicitPresence } from "./shared/descriptors.js";
import { isNullValueEnum, wellKnownMessage } from "./shared/well-known.js";
import type { WellKnown } from "./shared/well-known.js";
import { compact } from "./json.js";
import type { Json, JsonObject } from "./json.js";

export type Mode = "output" | "input";

export function scalarSchema(scalar: ScalarType, mode: Mode = "output"): JsonObject {
  switch (scalar) {
    case ScalarType.STRING:
      return { type: "string" };
    case ScalarType.BOOL:
      return { type: "boolean" };
    case ScalarType.BYTES:
      return { type: "string", contentEncoding: "base64" };
    case ScalarType.DOUBLE:
      return { type: "number", format: "double" };
    case ScalarType.FLOAT:
      return { type: "number", format: "float" };
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return { type: "integer", format: "int32" };
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return { type: "integer", format: "int64", minimum: 0, maximum: 4294967295 };
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return mode === "output"
        ? { type: "string", format: "int64", pattern: "^-?[0-9]+$" }
        : { type: ["string", "integer"], format: "int64", pattern: "^ *-?[0-9]+ *$" };
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return mode === "output"
        ? { type: "string", format: "uint64", pattern: "^[0-9]+$" }
        : { type: ["string", "integer"], format: "uint64", pattern: "^ *[0-9]+ *$", minimum: 0 };
  }
}

export function wellKnownSchema(wk: WellKnown, mode: Mode = "output"): JsonObject {
  switch (wk.kind) {
    case "timestamp":
      return { type: "string", format: "date-time" };
    case "duration":
      return { type: "string", pattern: "^-?[0-9]+(\\.[0-9]{1,9})?s$", description: "A duration in seconds, e.g. `1.5s`." };
    case "field-mask":
      return { type: "string", description: "Comma-separated field paths." };
    case "struct":
      return { type: "object", additionalProperties: true };
    case "value":
      return {};
    case "list-value":
      return { type: "array", items: {} };
    case "empty":
      return { type: "object" };
    case "any":
      return { type: "object", properties: { "@type": { type: "string" } }, required: ["@type"], additionalProperties: true };
    case "wrapper":
      return scalarSchema(wk.scalar, mode);
  }
}

/** Lets a schema also match null. `{}` already matches everything. */
export function nullable(schema: JsonObject): JsonObject {
  if (Object.keys(schema).length === 0) return schema;
  if (schema.enum === undefined && schema.const === undefined) {
    if (typeof schema.type === "string") return { ...schema, type: [schema.type, "null"] };
    if (Array.isArray(schema.type)) return { ...schema, type: [...schema.type, "null"] };
  }
  return { anyOf: [schema, { type: "null" }] };
}

export function schemaRef(name: string): JsonObject {
  return { $ref: `#/components/schemas/${name}` };
}

/** Collects the component schemas that the operations reference, built on first use. */
export class ComponentSchemas {
  readonly #schemas = new Map<string, JsonObject>();

  /** Adds a component that is not a proto type (the problem schema); names must not collide. */
  add(name: string, schema: JsonObject): JsonObject {
    if (this.#schemas.has(name)) throw new Error(`component schema "${name}" is defined twice`);
    this.#schemas.set(name, schema);
    return schemaRef(name);
  }

  /** A reference to the schema of a message or enum; messages that are well-known types are inlined. */
  typeSchema(desc: DescMessage | DescEnum, mode: Mode): JsonObject {
    if (desc.kind === "message") {
      const wk = wellKnownMessage(desc);
      if (wk) return wellKnownSchema(wk, mode);
    } else if (isNullValueEnum(desc)) {
      return { type: "null" };
    }
    const name = desc.kind === "enum" || mode === "output" ? desc.typeName : `${desc.typeName}-Input`;
    if (!this.#schemas.has(name)) {
      this.#schemas.set(name, {}); // placeholder: recursive messages refer to themselves
      this.#schemas.set(name, desc.kind === "enum" ? enumSchema(desc) : this.#messageSchema(desc, mode));
    }
    return schemaRef(name);
  }

  /** The schema of one field's value, without its description or nullability. */
  valueSchema(field: DescField, mode: Mode): JsonObject {
    switch (field.fieldKind) {
      case "scalar":
        return scalarSchema(field.scalar, mode);
      case "enum":
        return this.typeSchema(field.enum, mode);
      case "message":
        return this.typeSchema(field.message, mode);
      case "list": {
        const items =
          field.listKind === "scalar"
            ? scalarSchema(field.scalar, mode)
            : this.typeSchema(field.listKind === "enum" ? field.enum : field.message, mode);
        return { type: "array", items };
      }
      case "map": {
        const values =
          field.mapKind === "scalar"
            ? scalarSchema(field.scalar, mode)
            : this.typeSchema(field.mapKind === "enum" ? field.enum : field.message, mode);
        return { type: "object", additionalProperties: values };
      }
    }
  }

  /** The schema of a field as a property: value schema, nullability, description. */
  fieldSchema(field: DescField, mode: Mode): JsonObject {
    const value = this.valueSchema(field, mode);
    const rule = emptyJsonRule(field);
    const nullOut = rule === "null" || (hasExplicitPresence(field) && rule !== "default");
    const schema = mode === "input" || nullOut ? nullable(value) : value;
    const notes = [commentOf(field)];
    if (field.oneof) {
      const members = field.oneof.fields.map((f) => `\`${f.name}\``).join(", ");
      notes.push(`At most one of ${members} is set (oneof \`${field.oneof.name}\`); only that one is written.`);
    }
    const description = notes.filter((n) => n !== undefined).join("\n\n");
    return compact({
      ...schema,
      description: description || (typeof schema.description === "string" ? schema.description : undefined),
      deprecated: field.deprecated ? true : undefined,
    });
  }

  #messageSchema(message: DescMessage, mode: Mode): JsonObject {
    const properties: JsonObject = {};
    for (const field of message.fields) properties[field.name] = this.fieldSchema(field, mode);
    const required = mode === "output" ? message.fields.filter((f) => !f.oneof).map((f) => f.name) : [];
    return compact({
      type: "object",
      description: commentOf(message),
      properties,
      required: required.length > 0 ? required : undefined,
    });
  }

  /** The components, sorted by name so that the document does not depend on traversal order. */
  toJson(): JsonObject {
    const out: JsonObject = {};
    for (const name of [...this.#schemas.keys()].sort()) out[name] = this.#schemas.get(name) as Json;
    return out;
  }
}

export function enumSchema(e: DescEnum): JsonObject {
  const documented = e.values
    .map((v) => ({ name: v.name, text: commentOf(v) }))
    .filter((v) => v.text !== undefined)
    .map((v) => `- \`${v.name}\`: ${v.text?.replace(/\n/g, " ")}`);
  const description = [commentOf(e), documented.length > 0 ? documented.join("\n") : undefined].filter((d) => d !== undefined);
  return compact({
    type: "string",
    description: description.length > 0 ? description.join("\n\n") : undefined,
    enum: e.values.map((v) => v.name),
  });
}
