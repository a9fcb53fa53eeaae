import { ScalarType } from "@bufbuild/protobuf";
import type { DescEnum, DescField, DescMessage, JsonValue } from "@bufbuild/protobuf";
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
}

/**
 * Proto3 JSON with Krake's output rules (krake-model.md §12): proto field
 * names, EVERY field emitted in declaration order (defaults as `0`, `""`,
 * `false`, `[]`, `{}`; `null` for unset messages, optional scalars and oneof
 * members), enums by name, 64-bit integers as strings, timestamps RFC 3339.
 * Works on ts-proto objects directly, driven by the descriptors; plans are
 * compiled once per message type.
 */
export class JsonEncoder {
  private readonly plans = new Map<string, FieldPlan[]>();

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
    for (const field of desc.fields) plan.push(this.fieldPlan(field));
    return plan;
  }

  private fieldPlan(field: DescField): FieldPlan {
    const base = { name: field.name, key: field.localName };
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
        return (v) => formatTimestamp(v as Date);
      case "wrapper":
        return scalarWriter(wkt.scalar);
    }
  }
}

function encodeMessage(plan: FieldPlan[], message: Record<string, unknown>): JsonObject {
  const out: JsonObject = {};
  for (const f of plan) {
    const v = message[f.key];
    out[f.name] = v === undefined || v === null ? f.absent() : f.write(v);
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
