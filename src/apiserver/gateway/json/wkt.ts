import { ScalarType } from "@bufbuild/protobuf";
import type { DescMessage } from "@bufbuild/protobuf";

/**
 * How ts-proto represents the well-known types we meet in Krake's protos, and
 * so how the JSON codec treats them: Struct/Value/ListValue as plain JSON,
 * Timestamp as `{ seconds, nanos }` (RFC 3339 in JSON), wrappers as the bare scalar. Other well-known types are
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

// Timestamps are ts-proto's `{ seconds, nanos }` (useDate=false): RFC 3339 with up
// to nine fraction digits in, the digits needed (0, 3, 6 or 9) out.
export { formatTimestamp, parseTimestamp } from "../../../kinds/timestamp.js";
