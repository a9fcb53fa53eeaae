/**
 * Path and query parameters of an operation, by the google.api.http rules:
 * path variables name request fields; with a body other than "*", every other
 * field that a URL can carry is a query parameter, nested fields as `a.b`,
 * repeated ones as `?x=1&x=2`.
 */
import type { DescField, DescMessage } from "@bufbuild/protobuf";
import { commentOf, resolveFieldPath } from "./shared/descriptors.js";
import type { HttpBinding } from "./shared/http-rules.js";
import { pathFields } from "./shared/path-template.js";
import { isNullValueEnum, wellKnownMessage } from "./shared/well-known.js";
import { compact } from "./json.js";
import type { JsonObject } from "./json.js";
import { scalarSchema, wellKnownSchema } from "./schemas.js";
import type { ComponentSchemas } from "./schemas.js";

export function pathParameters(request: DescMessage, binding: HttpBinding, schemas: ComponentSchemas): JsonObject[] {
  return binding.template.segments.flatMap((segment) => {
    if (segment.kind !== "variable") return [];
    const fields = resolveFieldPath(request, segment.field);
    const field = fields[fields.length - 1] as DescField;
    const multi = segment.pattern !== "*";
    const notes = [commentOf(field), multi ? `Matches \`${segment.pattern}\`; may contain "/".` : undefined];
    return [
      compact({
        name: segment.field,
        in: "path",
        required: true,
        description: notes.filter((n) => n !== undefined).join("\n\n") || undefined,
        schema: schemas.valueSchema(field, "input"),
      }),
    ];
  });
}

/** The schema of a field as a URL value, or undefined when a URL cannot carry it (maps, Struct, repeated messages). */
function queryValueSchema(field: DescField, schemas: ComponentSchemas): JsonObject | "recurse" | undefined {
  switch (field.fieldKind) {
    case "scalar":
      return scalarSchema(field.scalar, "input");
    case "enum":
      return isNullValueEnum(field.enum) ? undefined : schemas.typeSchema(field.enum, "input");
    case "map":
      return undefined;
    case "message": {
      const wk = wellKnownMessage(field.message);
      if (!wk) return "recurse";
      return ["timestamp", "duration", "field-mask", "wrapper"].includes(wk.kind) ? wellKnownSchema(wk, "input") : undefined;
    }
    case "list": {
      if (field.listKind === "scalar") return { type: "array", items: scalarSchema(field.scalar, "input") };
      if (field.listKind === "enum") return { type: "array", items: schemas.typeSchema(field.enum, "input") };
      const wk = wellKnownMessage(field.message);
      return wk && ["timestamp", "duration", "field-mask", "wrapper"].includes(wk.kind)
        ? { type: "array", items: wellKnownSchema(wk, "input") }
        : undefined;
    }
  }
}

export function queryParameters(request: DescMessage, binding: HttpBinding, schemas: ComponentSchemas): JsonObject[] {
  if (binding.body === "*") return [];
  const bound = new Set(pathFields(binding.template));
  if (binding.body) bound.add(binding.body);
  const out: JsonObject[] = [];
  const walk = (message: DescMessage, prefix: string, seen: readonly string[]): void => {
    for (const field of message.fields) {
      const name = prefix + field.name;
      if (bound.has(name)) continue;
      const schema = queryValueSchema(field, schemas);
      if (schema === "recurse" && field.fieldKind === "message") {
        if (!seen.includes(field.message.typeName)) walk(field.message, `${name}.`, [...seen, field.message.typeName]);
      } else if (schema !== undefined && schema !== "recurse") {
        out.push(
          compact({
            name,
            in: "query",
            description: commentOf(field),
            deprecated: field.deprecated ? true : undefined,
            schema,
            ...(field.fieldKind === "list" ? { style: "form", explode: true } : {}),
          }),
        );
      }
    }
  };
  walk(request, "", [request.typeName]);
  return out;
}
