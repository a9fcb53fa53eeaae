/**
 * Krake's JSON wire shape for krakectl's input and output: proto field names
 * (snake_case), enums by name, every implicit field written. Driven by the
 * descriptor set that `make gen` writes (gen/krake.binpb) through
 * @bufbuild/protobuf's proto3 JSON codec, with ts-proto's binary codec as the
 * bridge. This is the one place krakectl converts JSON; it can be swapped for
 * the REST gateway's encoder when that exists.
 */
import { readFileSync } from "node:fs";
import { createFileRegistry, fromBinary, fromJson, toBinary, toJson } from "@bufbuild/protobuf";
import type { DescMessage, JsonValue, Registry } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { CliError } from "./errors.js";
import type { KindInfo, KrakeObject } from "./kinds.js";

export type JsonObject = { [key: string]: JsonValue };

const descriptorSetUrl = new URL("../../gen/krake.binpb", import.meta.url);

let registry: Registry | undefined;

function descriptor(name: string): DescMessage {
  registry ??= createFileRegistry(fromBinary(FileDescriptorSetSchema, readFileSync(descriptorSetUrl)));
  const desc = registry.getMessage(name);
  if (!desc) throw new Error(`gen/krake.binpb has no message ${name}: run make gen`);
  return desc;
}

/** The object as Krake writes it. */
export function toWire<T extends KrakeObject>(kind: KindInfo<T>, object: T): JsonObject {
  return messageToWire(kind.protoName, kind.codec.encode(object).finish());
}

/** Any message of the protos (by its fully qualified name and its protobuf encoding) in the same shape. */
export function messageToWire(typeName: string, encoded: Uint8Array): JsonObject {
  const desc = descriptor(typeName);
  return toJson(desc, fromBinary(desc, encoded), { useProtoFieldName: true, alwaysEmitImplicit: true }) as JsonObject;
}

/**
 * Reads a document in Krake's shape (snake_case or lowerCamelCase names,
 * `null` for unset). Unknown fields and wrong types are errors that name the
 * field; `what` says where the document came from.
 */
export function fromWire<T extends KrakeObject>(kind: KindInfo<T>, json: unknown, what: string): T {
  const desc = descriptor(kind.protoName);
  try {
    const message = fromJson(desc, json as JsonValue);
    return kind.codec.decode(toBinary(desc, message));
  } catch (err) {
    const detail = (err as Error).message.replace(/^cannot decode (message|field) krake\.[a-z]+\.v1\./, "cannot decode ");
    throw CliError.invalid(`${what}: invalid ${kind.kind}: ${detail}`);
  }
}

const freeForm = new Set(["google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue"]);

/**
 * `current` with the fields that `patch` names, both in wire shape: nested
 * messages merge field by field; lists, maps, free-form values (manifests,
 * kubeconfig) and scalars are replaced, as Krake's PUT merges. Patch keys may
 * use proto or JSON names; the result uses proto names.
 */
export function mergeWire<T extends KrakeObject>(kind: KindInfo<T>, current: JsonObject, patch: JsonObject): JsonObject {
  return mergeMessage(descriptor(kind.protoName), current, patch);
}

function mergeMessage(desc: DescMessage, current: JsonObject, patch: JsonObject): JsonObject {
  const out: JsonObject = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    const field = desc.fields.find((f) => f.name === key || f.jsonName === key);
    if (!field) {
      out[key] = value; // fromWire reports it
      continue;
    }
    const existing = out[field.name];
    const nested = field.fieldKind === "message" && !freeForm.has(field.message.typeName);
    out[field.name] =
      nested && isObject(value) && isObject(existing) ? mergeMessage(field.message, existing, value) : value;
  }
  return out;
}

function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
