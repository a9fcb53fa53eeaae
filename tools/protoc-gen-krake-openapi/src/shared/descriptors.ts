/** Small descriptor helpers shared by the OpenAPI and REST client generators. */
import { getComments } from "@bufbuild/protoplugin";
import { getOption, hasOption } from "@bufbuild/protobuf";
import type { AnyDesc, DescExtension, DescField, DescFile, DescMessage } from "@bufbuild/protobuf";
import { FeatureSet_FieldPresence } from "@bufbuild/protobuf/wkt";

/** The element's proto comment (leading, else trailing), without the comment markers' indentation. */
export function commentOf(desc: Exclude<AnyDesc, DescFile>): string | undefined {
  const c = getComments(desc);
  const raw = c.leading ?? c.trailing;
  if (raw === undefined) return undefined;
  const text = raw
    .split("\n")
    .map((line) => (line.startsWith(" ") ? line.slice(1) : line).trimEnd())
    .join("\n")
    .trim();
  return text === "" ? undefined : text;
}

/** The fields along a dotted path (`metadata.name`) from `message`. */
export function resolveFieldPath(message: DescMessage, path: string): DescField[] {
  const out: DescField[] = [];
  let current: DescMessage | undefined = message;
  for (const name of path.split(".")) {
    if (!current) throw new Error(`${message.typeName}: "${path}" goes through a field that is not a message`);
    const field: DescField | undefined = current.fields.find((f) => f.name === name);
    if (!field) throw new Error(`${message.typeName} has no field "${path}"`);
    out.push(field);
    current = field.fieldKind === "message" ? field.message : undefined;
  }
  return out;
}

/** Fields with explicit presence (messages, `optional`, oneof members) are null when unset. */
export function hasExplicitPresence(field: DescField): boolean {
  return field.presence === FeatureSet_FieldPresence.EXPLICIT;
}

/**
 * The field's `(krake.core.v1.empty_json)` option (proto/krake/core/v1/json.proto): how the gateway writes
 * it when it holds no value. "null": its zero value is written as null; "default": an unset message is
 * written as its default; undefined: proto3 JSON's rule.
 */
export function emptyJsonRule(field: DescField): "null" | "default" | undefined {
  const ext = findExtension(field.parent.file, "krake.core.v1.empty_json");
  if (!ext || !hasOption(field, ext)) return undefined;
  const value = getOption(field, ext) as number;
  return value === 1 ? "null" : value === 2 ? "default" : undefined;
}

function findExtension(file: DescFile, typeName: string, seen = new Set<DescFile>()): DescExtension | undefined {
  if (seen.has(file)) return undefined;
  seen.add(file);
  const own = file.extensions.find((e) => e.typeName === typeName);
  if (own) return own;
  for (const dep of file.dependencies) {
    const found = findExtension(dep, typeName, seen);
    if (found) return found;
  }
  return undefined;
}
