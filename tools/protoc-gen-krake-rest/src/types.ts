/**
 * TypeScript types for messages and enums in the wire shape that the gateway
 * writes: proto field names, every field present, null for unset fields with
 * explicit presence, enums by name, 64-bit integers as strings, well-known
 * types in their proto3 JSON form.
 */
import { ScalarType } from "@bufbuild/protobuf";
import type { DescEnum, DescField, DescFile, DescMessage } from "@bufbuild/protobuf";
import { safeIdentifier } from "@bufbuild/protoplugin";
import type { GeneratedFile, Printable } from "@bufbuild/protoplugin";
import { hasExplicitPresence } from "../../protoc-gen-krake-openapi/src/shared/descriptors.js";
import { isInt64, isNullValueEnum, wellKnownMessage } from "../../protoc-gen-krake-openapi/src/shared/well-known.js";
import type { WellKnown } from "../../protoc-gen-krake-openapi/src/shared/well-known.js";

export const runtimeImportPath = "./runtime.js";

/** The generated file of a proto file: `krake/core/v1/types.proto` → `krake/core/v1/types.ts`. */
export function generatedFileName(file: DescFile): string {
  return `${file.name}.ts`;
}

/** `krake.kubernetes.v1.ApplicationStatus.State` → `ApplicationStatus_State`. */
export function typeName(desc: DescMessage | DescEnum): string {
  const local = desc.file.proto.package ? desc.typeName.slice(desc.file.proto.package.length + 1) : desc.typeName;
  return safeIdentifier(local.replace(/\./g, "_"));
}

/** A type-only reference that protoplugin turns into an import (with an alias on collisions) or a local name. */
export function typeSymbol(f: GeneratedFile, desc: DescMessage | DescEnum): Printable {
  return f.import(typeName(desc), `./${desc.file.name}.js`, true);
}

function scalarType(scalar: ScalarType): string {
  switch (scalar) {
    case ScalarType.STRING:
    case ScalarType.BYTES:
      return "string";
    case ScalarType.BOOL:
      return "boolean";
    default:
      // 64-bit integers are decimal strings in proto3 JSON, as the gateway writes them.
      return isInt64(scalar) ? "string" : "number";
  }
}

function wellKnownType(f: GeneratedFile, wk: WellKnown): Printable {
  switch (wk.kind) {
    case "timestamp":
    case "duration":
    case "field-mask":
      return "string";
    case "struct":
    case "empty":
    case "any":
      return f.import("JsonObject", runtimeImportPath, true);
    case "value":
      return f.import("JsonValue", runtimeImportPath, true);
    case "list-value":
      return [f.import("JsonValue", runtimeImportPath, true), "[]"];
    case "wrapper":
      return scalarType(wk.scalar);
  }
}

/** The type of a message or enum value; `nullable` tells whether it already includes null. */
function namedType(f: GeneratedFile, desc: DescMessage | DescEnum): { type: Printable; nullable: boolean } {
  if (desc.kind === "enum") return isNullValueEnum(desc) ? { type: "null", nullable: true } : { type: typeSymbol(f, desc), nullable: false };
  const wk = wellKnownMessage(desc);
  if (!wk) return { type: typeSymbol(f, desc), nullable: false };
  return { type: wellKnownType(f, wk), nullable: wk.kind === "value" };
}

function elementType(f: GeneratedFile, field: DescField & { fieldKind: "list" | "map" }): Printable {
  const kind = field.fieldKind === "list" ? field.listKind : field.mapKind;
  if (kind === "scalar" && field.scalar !== undefined) return scalarType(field.scalar);
  const desc = field.enum ?? field.message;
  if (!desc) throw new Error(`${field.parent.typeName}.${field.name}: no element type`);
  const { type, nullable } = namedType(f, desc);
  return nullable ? ["(", type, ")"] : type;
}

/** The property's type: `string`, `Metadata | null`, `ResourceRef[]`, `{ [key: string]: string }`. */
export function fieldType(f: GeneratedFile, field: DescField): Printable {
  switch (field.fieldKind) {
    case "scalar":
      return hasExplicitPresence(field) ? [scalarType(field.scalar), " | null"] : scalarType(field.scalar);
    case "enum":
    case "message": {
      const { type, nullable } = namedType(f, field.fieldKind === "enum" ? field.enum : field.message);
      return hasExplicitPresence(field) && !nullable ? [type, " | null"] : type;
    }
    case "list":
      return [elementType(f, field), "[]"];
    case "map":
      return ["{ [key: string]: ", elementType(f, field), " }"];
  }
}

/** Messages and enums that the generated types of `file` refer to, in other files too. */
export function referencedFiles(file: DescFile): DescFile[] {
  const out = new Set<DescFile>();
  const visitMessage = (m: DescMessage): void => {
    for (const field of m.fields) {
      const desc = field.enum ?? field.message;
      if (desc && !(desc.kind === "message" && wellKnownMessage(desc)) && !(desc.kind === "enum" && isNullValueEnum(desc))) {
        out.add(desc.file);
      }
    }
    m.nestedMessages.forEach(visitMessage);
  };
  file.messages.forEach(visitMessage);
  for (const service of file.services) {
    for (const method of service.methods) for (const m of [method.input, method.output]) if (!wellKnownMessage(m)) out.add(m.file);
  }
  out.delete(file);
  return [...out];
}
