/** Small descriptor helpers shared by the OpenAPI and REST client generators. */
import { getComments } from "@bufbuild/protoplugin";
import type { AnyDesc, DescField, DescFile, DescMessage } from "@bufbuild/protobuf";
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
