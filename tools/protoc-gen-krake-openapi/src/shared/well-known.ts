/**
 * Well-known types that proto3 JSON writes as something other than an object
 * of their fields. Both generators map these to JSON shapes, not to messages.
 */
import { ScalarType } from "@bufbuild/protobuf";
import type { DescEnum, DescMessage } from "@bufbuild/protobuf";

export type WellKnown =
  | { readonly kind: "timestamp" | "duration" | "field-mask" | "struct" | "value" | "list-value" | "empty" | "any" }
  | { readonly kind: "wrapper"; readonly scalar: ScalarType };

const plain: Record<string, Exclude<WellKnown["kind"], "wrapper">> = {
  "google.protobuf.Timestamp": "timestamp",
  "google.protobuf.Duration": "duration",
  "google.protobuf.FieldMask": "field-mask",
  "google.protobuf.Struct": "struct",
  "google.protobuf.Value": "value",
  "google.protobuf.ListValue": "list-value",
  "google.protobuf.Empty": "empty",
  "google.protobuf.Any": "any",
};

const wrappers = new Set(
  ["Double", "Float", "Int64", "UInt64", "Int32", "UInt32", "Bool", "String", "Bytes"].map((n) => `google.protobuf.${n}Value`),
);

export function wellKnownMessage(message: DescMessage): WellKnown | undefined {
  const kind = plain[message.typeName];
  if (kind) return { kind };
  if (wrappers.has(message.typeName)) {
    const value = message.fields.find((f) => f.name === "value");
    if (value?.fieldKind === "scalar") return { kind: "wrapper", scalar: value.scalar };
  }
  return undefined;
}

/** google.protobuf.NullValue is written as JSON null. */
export function isNullValueEnum(e: DescEnum): boolean {
  return e.typeName === "google.protobuf.NullValue";
}

export function isInt64(scalar: ScalarType): boolean {
  return (
    scalar === ScalarType.INT64 ||
    scalar === ScalarType.UINT64 ||
    scalar === ScalarType.SINT64 ||
    scalar === ScalarType.FIXED64 ||
    scalar === ScalarType.SFIXED64
  );
}
