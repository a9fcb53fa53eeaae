import { ScalarType } from "@bufbuild/protobuf";
import type { DescMessage } from "@bufbuild/protobuf";

/**
 * How ts-proto represents the well-known types we meet in Krake's protos, and
 * so how the JSON codec treats them: Struct/Value/ListValue as plain JSON,
 * Timestamp as a Date, wrappers as the bare scalar. Other well-known types are
 * refused at startup rather than mis-encoded at run time.
 */
export type WellKnown =
  | { type: "struct" }
  | { type: "value" }
  | { type: "list-value" }
  | { type: "timestamp" }
  | { type: "wrapper"; scalar: ScalarType };

const wrappers: Record<string, ScalarType> = {
  "google.protobuf.DoubleValue": ScalarType.DOUBLE,
  "google.protobuf.FloatValue": ScalarType.FLOAT,
  "google.protobuf.Int64Value": ScalarType.INT64,
  "google.protobuf.UInt64Value": ScalarType.UINT64,
  "google.protobuf.Int32Value": ScalarType.INT32,
  "google.protobuf.UInt32Value": ScalarType.UINT32,
  "google.protobuf.BoolValue": ScalarType.BOOL,
  "google.protobuf.StringValue": ScalarType.STRING,
  "google.protobuf.BytesValue": ScalarType.BYTES,
};

/** The well-known type a message is, undefined for an ordinary message. */
export function wellKnown(desc: DescMessage): WellKnown | undefined {
  switch (desc.typeName) {
    case "google.protobuf.Struct":
      return { type: "struct" };
    case "google.protobuf.Value":
      return { type: "value" };
    case "google.protobuf.ListValue":
      return { type: "list-value" };
    case "google.protobuf.Timestamp":
      return { type: "timestamp" };
  }
  const scalar = wrappers[desc.typeName];
  if (scalar !== undefined) return { type: "wrapper", scalar };
  if (desc.typeName.startsWith("google.protobuf.") && desc.typeName !== "google.protobuf.Empty") {
    throw new Error(`the REST gateway does not support ${desc.typeName} fields yet`);
  }
  return undefined;
}

const rfc3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/** Parses an RFC 3339 timestamp (proto3 JSON's Timestamp); undefined if it is not one. */
export function parseTimestamp(text: string): Date | undefined {
  if (!rfc3339.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

/** RFC 3339 in UTC, without a fraction when it is zero (proto3 JSON's canonical form). */
export function formatTimestamp(date: Date): string {
  const iso = date.toISOString();
  return iso.endsWith(".000Z") ? `${iso.slice(0, -5)}Z` : iso;
}
