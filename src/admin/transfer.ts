import { allKinds } from "../kinds/index.js";
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
 * move as they are.
 */
export interface ExportLine {
  key: string;
  object: unknown;
}

const codecs = new Map<string, MessageCodec<KrakeObject>>(allKinds.map((k) => [`${k.api}/${k.plural}`, k.codec as unknown as MessageCodec<KrakeObject>]));

function codecOf(prefix: string, key: string): MessageCodec<KrakeObject> {
  const kind = kindOfKey(prefix, key);
  const codec = kind === undefined ? undefined : codecs.get(kind);
  if (!codec) throw new Error(`${key}: not the key of a Krake kind`);
  return codec;
}

/** Every object under `prefix`, read at one revision, page by page. */
export async function* exportObjects(store: Store, prefix: string, pageSize = 500): AsyncGenerator<ExportLine> {
  let revision = 0;
  let startAfter: string | undefined;
  for (;;) {
    const page = await store.list(`${prefix}/`, { revision, limit: pageSize, ...(startAfter !== undefined ? { startAfter } : {}) });
    revision = page.revision;
    for (const kv of page.kvs) {
      const codec = codecOf(prefix, kv.key);
      yield { key: kv.key.slice(prefix.length + 1), object: codec.toJSON(codec.decode(kv.value)) };
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
    const codec = codecOf(prefix, key);
    batch.push({ key, value: codec.encode(codec.fromJSON(line.object)).finish(), expectedModRevision: 0 });
    if (batch.length === maxCommitWrites) await flush();
  }
  await flush();
  return imported;
}
