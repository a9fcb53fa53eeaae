import { EventType } from "../../../gen/krake/core/v1/watch.js";
import { encodeMessage, encodeWith } from "./encode.js";
import type { KrakeObject, MessageCodec } from "./kind.js";

/**
 * One version of one object, decoded once and encoded once, then shared by
 * every reader: Get answers with `bytes`, watch events are framed around them.
 * Never mutate `object`: it is shared.
 */
export class CachedObject<T extends KrakeObject = KrakeObject> {
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Store revision of this version (= metadata.resource_version). */
  readonly revision: number;
  readonly object: T;
  /** The object's protobuf encoding, resource_version included. */
  readonly bytes: Uint8Array;
  private frames: (Uint8Array | undefined)[] = [];
  private jsonText: string | undefined;
  private readonly codec: MessageCodec<T>;

  constructor(key: string, object: T, revision: number, codec: MessageCodec<T>, bytes?: Uint8Array) {
    this.key = key;
    this.object = object;
    this.revision = revision;
    this.codec = codec;
    const meta = object.metadata;
    this.namespace = meta?.namespace ?? "";
    this.name = meta?.name ?? "";
    this.labels = meta?.labels ?? {};
    this.bytes = bytes ?? encodeMessage(codec, object);
  }

  /** Decodes a stored value and stamps it with the revision it was read at. */
  static fromStored<T extends KrakeObject>(
    key: string,
    value: Uint8Array,
    revision: number,
    codec: MessageCodec<T>,
  ): CachedObject<T> {
    const object = codec.decode(value);
    if (object.metadata) object.metadata.resourceVersion = String(revision);
    return new CachedObject(key, object, revision, codec);
  }

  /** The same object as of another revision (a DELETED event's last state). */
  atRevision(revision: number): CachedObject<T> {
    const copy = this.codec.decode(this.bytes);
    if (copy.metadata) copy.metadata.resourceVersion = String(revision);
    return new CachedObject(this.key, copy, revision, this.codec);
  }

  /**
   * The encoded watch response `{type, object}` (field 1 and 2 of every
   * Watch<Kind>sResponse), built once per event type and shared by all watchers.
   */
  frame(type: EventType): Uint8Array {
    let f = this.frames[type];
    if (!f) {
      const bytes = this.bytes;
      f = encodeWith((w) => w.uint32(8).int32(type).uint32(18).bytes(bytes));
      this.frames[type] = f;
    }
    return f;
  }

  /** Proto3 JSON of the object, computed once (REST transport). */
  json(toJson: (o: T) => unknown): string {
    if (this.jsonText === undefined) this.jsonText = JSON.stringify(toJson(this.object));
    return this.jsonText;
  }
}

export { EventType };
