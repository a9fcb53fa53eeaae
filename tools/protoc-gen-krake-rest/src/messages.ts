/** Prints the wire-shape interfaces of messages and the string unions of enums. */
import type { DescEnum, DescFile, DescMessage } from "@bufbuild/protobuf";
import type { GeneratedFile } from "@bufbuild/protoplugin";
import { commentOf } from "../../protoc-gen-krake-openapi/src/shared/descriptors.js";
import { isNullValueEnum, wellKnownMessage } from "../../protoc-gen-krake-openapi/src/shared/well-known.js";
import { fieldType, typeName } from "./types.js";

function printEnum(f: GeneratedFile, e: DescEnum): void {
  if (isNullValueEnum(e)) return;
  const values = e.values
    .map((v) => ({ name: v.name, text: commentOf(v) }))
    .filter((v) => v.text !== undefined)
    .map((v) => `- \`${v.name}\`: ${v.text?.replace(/\n/g, " ")}`);
  const doc = [commentOf(e), values.length > 0 ? values.join("\n") : undefined, `@generated from enum ${e.typeName}`];
  f.print(f.jsDoc(doc.filter((d) => d !== undefined).join("\n\n")));
  f.print(f.export("type", typeName(e)), " =");
  e.values.forEach((v, i) => f.print("  | ", f.string(v.name), i === e.values.length - 1 ? ";" : ""));
  f.print();
}

function printMessage(f: GeneratedFile, m: DescMessage): void {
  f.print(f.jsDoc(m));
  f.print(f.export("interface", typeName(m)), " {");
  for (const field of m.fields) {
    f.print(f.jsDoc(field, "  "));
    f.print("  ", field.name, ": ", fieldType(f, field), ";");
  }
  f.print("}");
  f.print();
}

/** Every message and enum of the file, nested ones after their parent; well-known types are mapped, not printed. */
export function printTypes(f: GeneratedFile, file: DescFile): void {
  const visit = (m: DescMessage): void => {
    if (m.proto.options?.mapEntry || wellKnownMessage(m)) return;
    printMessage(f, m);
    m.nestedEnums.forEach((e) => printEnum(f, e));
    m.nestedMessages.forEach(visit);
  };
  file.enums.forEach((e) => printEnum(f, e));
  file.messages.forEach(visit);
}
