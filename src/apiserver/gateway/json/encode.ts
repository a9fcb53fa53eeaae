import { getOption, hasOption, ScalarType } from "@bufbuild/protobuf";
import type { DescEnum, DescExtension, DescField, DescMessage, JsonValue, Registry } from "@bufbuild/protobuf";
import { EmptyJson } from "../../../../gen/krake/core/v1/json.js";
import type { Timestamp } from "../../../kinds/timestamp.js";
import { formatTimestamp, wellKnown } from "./wkt.js";

/** Turns a ts-proto message object into its JSON value. */
export type Encoder = (message: object) => JsonObject;
export type JsonObject = { [key: string]: JsonValue };

type Write = (value: unknown) => JsonValue;

interface FieldPlan {
  /** Output key: the proto field name (Krake's snake_case). */
  name: string;
  /** ts-proto's property. */
  key: string;
  write: Write;
  /** JSON for an absent value: null for fields with presence, the default otherwise. */
  absent: () => JsonValue;
  /** A member of a oneof: written only when it is the one set (Krake writes only the chosen variant). */
  omitWhenAbsent?: boolean;
}

/**
 * Proto3 JSON with Krake's output rules (krake-model.md §12): proto field
 * names, EVERY field emitted in declaration order (defaults as `0`, `""`,
 * `false`, `[]`, `{}`; `null` for unset messages and optional scalars), enums
 * by name, 64-bit integers as strings, timestamps RFC 3339. Of a oneof, only
 * the member set is written (Krake's polymorphic specs carry only the chosen
 * variant). A field's `(krake.core.v1.empty_json)` option changes what its
 * empty value is written as (json.proto): `null` for a zero value
 * (EMPTY_JSON_NULL), or the default value for an unset message
 * (EMPTY_JSON_DEFAULT: `{}` for Struct/Value, a message of defaults).
 * Works on ts-proto objects directly, driven by the descriptors; plans are
 * compiled once per message type.
 */
export class JsonEncoder {
  private readonly plans = new Map<string, FieldPlan[]>();
  private readonly emptyJsonOption: DescExtension | undefined;

  /** `registry` (the descriptor set's) resolves the empty_json option; without it every field is UNSPECIFIED. */
  constructor(registry?: Registry) {
    const ext = registry?.getExtension("krake.core.v1.empty_json");
    this.emptyJsonOption = ext;
  }

  encoder(desc: DescMessage): Encoder {
    const plan = this.plan(desc);
    return (message) => encodeMessage(plan, message as Record<string, unknown>);
  }

  private plan(desc: DescMessage): FieldPlan[] {
    let plan = this.plans.get(desc.typeName);
    if (plan) return plan;
    plan = [];
    // Registered before it is filled, so recursive types resolve to it.
    this.plans.set(desc.typeName, plan);
    for (const field of desc.fields) plan.push(this.withEmptyJson(field, this.fieldPlan(field)));
    return plan;
  }

  private emptyJson(field: DescField): EmptyJson {
    const ext = this.emptyJsonOption;
    return ext && hasOption(field, ext) ? (getOption(field, ext) as EmptyJson) : EmptyJson.EMPTY_JSON_UNSPECIFIED;
  }

  /** Applies the field's empty_json option to its plan. */
  private withEmptyJson(field: DescField, plan: FieldPlan): FieldPlan {
    const rule = this.emptyJson(field);
    if (rule === EmptyJson.EMPTY_JSON_NULL) {
      if (field.fieldKind !== "scalar") throw new Error(`${field.toString()}: EMPTY_JSON_NULL applies to scalar fields only`);
      const zero = scalarDefault(field.scalar);
      const write = plan.write;
      return { ...plan, write: (v) => (write(v) === zero ? null : write(v)), absent: nul };
    }
    if (rule === EmptyJson.EMPTY_JSON_DEFAULT) {
      if (field.fieldKind !== "message") throw new Error(`${field.toString()}: EMPTY_JSON_DEFAULT applies to message fields only`);
      const wkt = wellKnown(field.message);
      if (wkt && wkt.type !== "struct" && wkt.type !== "value") {
        throw new Error(`${field.toString()}: EMPTY_JSON_DEFAULT does not apply to ${field.message.typeName}`);
      }
      const inner = wkt ? undefined : this.plan(field.message);
      return { ...plan, absent: () => (inner ? encodeMessage(inner, {}) : {}) };
    }
    return plan;
  }

  private fieldPlan(field: DescField): FieldPlan {
    const base = { name: field.name, key: field.localName, omitWhenAbsent: field.oneof !== undefined };
    switch (field.fieldKind) {
      case "scalar":
        return { ...base, write: scalarWriter(field.scalar), absent: field.presence === 2 ? constant(scalarDefault(field.scalar)) : nul };
      case "enum":
        return { ...base, write: enumWriter(field.enum), absent: field.presence === 2 ? constant(enumName(field.enum, 0)) : nul };
      case "message":
        return { ...base, write: this.messageWriter(field.message), absent: nul };
      case "list": {
        const item = field.listKind === "scalar" ? scalarWriter(field.scalar)
          : field.listKind === "enum" ? enumWriter(field.enum) : this.messageWriter(field.message);
        return { ...base, write: (v) => (v as unknown[]).map(item), absent: () => [] };
      }
      case "map": {
        const value = field.mapKind === "scalar" ? scalarWriter(field.scalar)
          : field.mapKind === "enum" ? enumWriter(field.enum) : this.messageWriter(field.message);
        return {
          ...base,
          write: (v) => {
            const out: JsonObject = {};
            for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = value(x);
            return out;
          },
          absent: () => ({}),
        };
      }
    }
  }

  private messageWriter(desc: DescMessage): Write {
    const wkt = wellKnown(desc);
    if (!wkt) {
      const plan = this.plan(desc);
      return (v) => encodeMessage(plan, v as Record<string, unknown>);
    }
    switch (wkt.type) {
      case "struct":
      case "list-value":
        return (v) => v as JsonValue;
      case "value":
        return (v) => (v === undefined ? null : (v as JsonValue));
      case "timestamp":
        return (v) => formatTimestamp(v as Timestamp);
      case "wrapper":
        return scalarWriter(wkt.scalar);
    }
  }
}

function encodeMessage(plan: FieldPlan[], message: Record<string, unknown>): JsonObject {
  const out: JsonObject = {};
  for (const f of plan) {
    const v = message[f.key];
    if (v === undefined || v === null) {
      if (!f.omitWhenAbsent) out[f.name] = f.absent();
    } else {
      out[f.name] = f.write(v);
    }
  }
  return out;
}

const nul = (): JsonValue => null;

function constant(value: JsonValue): () => JsonValue {
  return () => value;
}

function scalarWriter(type: ScalarType): Write {
  switch (type) {
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return (v) => (Number.isFinite(v) ? (v as number) : String(v));
    case ScalarType.INT64:
    case ScalarType.UINT64:
    case ScalarType.SINT64:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return (v) => String(v);
    case ScalarType.BYTES:
      return (v) => Buffer.from(v as Uint8Array).toString("base64");
    default:
      return (v) => v as JsonValue;
  }
}

function scalarDefault(type: ScalarType): JsonValue {
  switch (type) {
    case ScalarType.STRING:
    case ScalarType.BYTES:
      return "";
    case ScalarType.BOOL:
      return false;
    case ScalarType.INT64:
    case ScalarType.UINT64:
    case ScalarType.SINT64:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return "0";
    default:
      return 0;
  }
}

function enumWriter(desc: DescEnum): Write {
  return (v) => enumName(desc, v as number);
}

function enumName(desc: DescEnum, value: number): JsonValue {
  return desc.value[value]?.name ?? value;
}
