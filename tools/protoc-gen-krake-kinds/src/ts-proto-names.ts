/**
 * The names under which ts-proto (as configured in buf.gen.yaml: snakeToCamel=keys,
 * outputServices=grpc-js and generic-definitions, no type prefixes or suffixes)
 * exports what the kind table refers to, and the modules it writes them to.
 */
import type { DescEnum, DescField, DescFile, DescMessage, DescService } from "@bufbuild/protobuf";

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

function upperFirst(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** `Application` → `application`, `RoleBinding` → `roleBinding`. */
export const lowerCamel = lowerFirst;

/**
 * The import path of ts-proto's module for a proto file, relative to the output
 * root: `krake/kubernetes/v1/application.proto` → `./krake/kubernetes/v1/application.js`.
 */
export function moduleOf(file: DescFile, importSuffix: string): string {
  return `./${file.proto.name.replace(/\.proto$/, "")}${importSuffix}`;
}

/**
 * The exported name of a message (its interface and codec const) or an enum:
 * the name inside the package, nesting joined by "_" (`ApplicationStatus_State`).
 */
export function exportedName(desc: DescMessage | DescEnum): string {
  const pkg = desc.file.proto.package;
  const inPackage = pkg === "" ? desc.typeName : desc.typeName.slice(pkg.length + 1);
  return inPackage.split(".").join("_");
}

/** The enum's name and value-name conversions: `applicationStatus_StateToJSON`, `…FromJSON`. */
export function enumFunctions(e: DescEnum): { toJson: string; fromJson: string } {
  const base = lowerFirst(exportedName(e));
  return { toJson: `${base}ToJSON`, fromJson: `${base}FromJSON` };
}

/** The grpc-js service definition (`ApplicationServiceService`) and the generic one (`ApplicationServiceDefinition`). */
export function serviceExports(service: DescService): { grpcJs: string; generic: string } {
  return { grpcJs: `${service.name}Service`, generic: `${service.name}Definition` };
}

/**
 * The property name of a field with snakeToCamel=keys: names without "_" stay
 * as they are; otherwise the words are joined, each after the first starting
 * with a capital (words of an all-upper-case name are lower-cased first).
 * For Krake's lower_snake_case names this is the field's localName.
 */
export function fieldProperty(field: DescField): string {
  const { name } = field;
  if (!name.includes("_")) return name;
  const keepCase = /[a-z]/.test(name);
  const words = name.split("_").map((w) => (keepCase ? w : w.toLowerCase()));
  return words.map((w, i) => (i === 0 ? w : upperFirst(w))).join("");
}
