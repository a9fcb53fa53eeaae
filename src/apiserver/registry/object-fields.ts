import { Metadata } from "../../../gen/krake/core/v1/types.js";
import { encodeMessage, encodeWith } from "../objects/encode.js";
import type { KrakeObject, MessageCodec } from "../objects/kind.js";

/** Fields of an object that are neither envelope, metadata nor status: its spec (or Role's rules). */
const nonSpecFields = new Set(["api", "kind", "metadata", "status"]);

type Fields = Record<string, unknown>;

/** Copies the spec-like fields of `from` onto `to`. */
export function copySpec<T extends KrakeObject>(from: T, to: T): void {
  const src = from as unknown as Fields;
  const dst = to as unknown as Fields;
  for (const key of Object.keys(src)) if (!nonSpecFields.has(key)) dst[key] = src[key];
}

/** The encoding of an object's spec-like fields only, for change detection. */
export function specBytes<T extends KrakeObject>(obj: T, codec: MessageCodec<T>): Uint8Array {
  const copy: Fields = {};
  const src = obj as unknown as Fields;
  for (const key of Object.keys(src)) if (!nonSpecFields.has(key)) copy[key] = src[key];
  copy.api = "";
  copy.kind = "";
  return encodeMessage(codec, copy as unknown as T);
}

/** The encoding of the metadata fields a client may change (labels, finalizers, owners). */
export function userMetadataBytes(meta: Metadata | undefined): Uint8Array {
  return encodeMessage(
    Metadata,
    Metadata.fromPartial({
      labels: meta?.labels ?? {},
      inheritLabels: meta?.inheritLabels ?? false,
      finalizers: meta?.finalizers ?? [],
      owners: meta?.owners ?? [],
    }),
  );
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A deep copy, made through the codec (the only copy that is surely complete). */
export function cloneObject<T extends KrakeObject>(obj: T, codec: MessageCodec<T>): T {
  return codec.decode(encodeMessage(codec, obj));
}

/** Reads the status field, present on kinds with a status subresource. */
export function statusOf<T extends KrakeObject>(obj: T): unknown {
  return (obj as unknown as Fields).status;
}

export function setStatus<T extends KrakeObject>(obj: T, status: unknown): void {
  (obj as unknown as Fields).status = status;
}

/**
 * Encodes an object twice — as stored (no resource_version) and as answered
 * (with it) — while encoding its bulk only once: protobuf fields may come in
 * any order, so both are "everything but metadata" followed by field 3
 * (metadata, the same number in every kind).
 */
export function encodeStoredAndStamped<T extends KrakeObject>(
  obj: T,
  codec: MessageCodec<T>,
  stamp: () => string,
): { stored: Uint8Array; stamped: () => Uint8Array } {
  const meta = obj.metadata!;
  obj.metadata = undefined;
  const rest = encodeMessage(codec, obj);
  obj.metadata = meta;
  const withMetadata = () => {
    const metadata = encodeMessage(Metadata, meta);
    return encodeWith((w) => w.raw(rest).uint32(26).bytes(metadata));
  };
  meta.resourceVersion = "";
  const stored = withMetadata();
  return {
    stored,
    stamped: () => {
      meta.resourceVersion = stamp();
      return withMetadata();
    },
  };
}
