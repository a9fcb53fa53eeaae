import type { DescMessage } from "@bufbuild/protobuf";
import { Descriptors } from "../kinds/descriptors.js";
import { allKinds } from "../kinds/index.js";
import { formatTimestamp } from "../kinds/timestamp.js";
import type { Timestamp } from "../kinds/timestamp.js";
import type { KrakeObject, MessageCodec } from "../kinds/object.js";
import { maxCommitWrites } from "../store/commit.js";
import { kindOfKey } from "../store/keys.js";
import type { Store, StoreWrite } from "../store/store.js";

/**
 * Moving every object from one store to another (krake-admin export and
 * import): one line of JSON per object, `{"key": <key below the prefix>,
 * "object": <the object in Krake's JSON, metadata included>}`, in key order,
 * all read at one revision. Resource versions are the store's revisions, so
 * they change with the store; uid, timestamps, finalizers, owners and status
 * move as they are. Timestamps are written as RFC 3339 to the nanosecond
 * (the generated toJSON writes them as `{seconds, nanos}`, since its text
 * would keep milliseconds only); import reads either form.
 */
export interface ExportLine {
  key: string;
  object: unknown;
}

interface KindCodec {
  codec: MessageCodec<KrakeObject>;
  typeName: string;
}

const codecs = new Map<string, KindCodec>(
  allKinds.map((k) => [`${k.api}/${k.plural}`, { codec: k.codec as unknown as MessageCodec<KrakeObject>, typeName: k.typeName }]),
);

function codecOf(prefix: string, key: string): KindCodec {
  const kind = kindOfKey(prefix, key);
  const codec = kind === undefined ? undefined : codecs.get(kind);
  if (!codec) throw new Error(`${key}: not the key of a Krake kind`);
  return codec;
}

let descriptors: Descriptors | undefined;

/** The object's JSON (ts-proto's toJSON) with every Timestamp field as RFC 3339 text; walks the descriptors. */
function exportJson({ codec, typeName }: KindCodec, object: KrakeObject): unknown {
  descriptors ??= new Descriptors();
  const desc = descriptors.registry.getMessage(typeName);
  if (!desc) throw new Error(`${typeName}: not in the descriptor set (run make gen)`);
  return timestampsAsText(desc, codec.toJSON(object));
}

function timestampsAsText(desc: DescMessage, json: unknown): unknown {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return json;
  if (desc.typeName === "google.protobuf.Timestamp") return formatTimestamp(json as Timestamp);
  if (desc.typeName.startsWith("google.protobuf.")) return json; // Struct, Value, wrappers: plain JSON
  const obj = json as Record<string, unknown>;
  for (const f of desc.fields) {
    const v = obj[f.jsonName];
    if (v === undefined || v === null) continue;
    if (f.fieldKind === "message") obj[f.jsonName] = timestampsAsText(f.message, v);
    else if (f.fieldKind === "list" && f.listKind === "message" && Array.isArray(v)) obj[f.jsonName] = v.map((x) => timestampsAsText(f.message, x));
    else if (f.fieldKind === "map" && f.mapKind === "message") {
      const m = v as Record<string, unknown>;
      for (const k of Object.keys(m)) m[k] = timestampsAsText(f.message, m[k]);
    }
  }
  return obj;
}

/** Every object under `prefix`, read at one revision, page by page. */
export async function* exportObjects(store: Store, prefix: string, pageSize = 500): AsyncGenerator<ExportLine> {
  let revision = 0;
  let startAfter: string | undefined;
  for (;;) {
    const page = await store.list(`${prefix}/`, { revision, limit: pageSize, ...(startAfter !== undefined ? { startAfter } : {}) });
    revision = page.revision;
    for (const kv of page.kvs) {
      const kind = codecOf(prefix, kv.key);
      yield { key: kv.key.slice(prefix.length + 1), object: exportJson(kind, kind.codec.decode(kv.value)) };
    }
    if (!page.more || page.kvs.length === 0) return;
    startAfter = page.kvs[page.kvs.length - 1]!.key;
  }
}

/**
 * Writes exported objects under `prefix`, which must hold nothing yet (an
 * import never overwrites). Commits of up to 128 objects: a failure part way
 * leaves the objects of the commits before it, and says how many.
 */
export async function importObjects(store: Store, prefix: string, lines: AsyncIterable<ExportLine>): Promise<number> {
  const present = await store.list(`${prefix}/`, { limit: 1 });
  if (present.kvs.length > 0) throw new Error(`the target store already holds objects under ${prefix} (${present.kvs[0]!.key}): import into an empty store`);
  let batch: StoreWrite[] = [];
  let imported = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    try {
      await store.commit(batch);
    } catch (err) {
      throw new Error(`import stopped after ${imported} objects: ${(err as Error).message}`);
    }
    imported += batch.length;
    batch = [];
  };
  for await (const line of lines) {
    if (typeof line.key !== "string" || line.key === "" || line.key.startsWith("/")) throw new Error(`line ${imported + batch.length + 1}: no key`);
    const key = `${prefix}/${line.key}`;
    const { codec } = codecOf(prefix, key);
    batch.push({ key, value: codec.encode(codec.fromJSON(line.object)).finish(), expectedModRevision: 0 });
    if (batch.length === maxCommitWrites) await flush();
  }
  await flush();
  return imported;
}
