import { Buffer } from "node:buffer";
import { CompareResult, CompareTarget } from "etcd3";
import type { Etcd3, IRangeRequest, ITxnResponse } from "etcd3";
import { ApiError, Status } from "../errors/api-error.js";
import { createEtcdClient, DEFAULT_ETCD_STORE_OPTIONS } from "./etcd-client.js";
import type { EtcdStoreOptions } from "./etcd-client.js";
import { prefixEnd, toBuffer, toKeyValue } from "./etcd-values.js";
import { EtcdWatch } from "./etcd-watch.js";
import { translateEtcdError } from "./errors.js";
import { checkCommitSize, checkExpectedModRevision, commitConflict } from "./commit.js";
import type { KeyValue, ListOptions, ListResult, Store, StoreWatch, StoreWrite, WatchHandlers } from "./store.js";

/** The Store on etcd v3. Every failure is an ApiError (see translateEtcdError). */
export class EtcdStore implements Store {
  readonly options: Readonly<EtcdStoreOptions>;
  private readonly client: Etcd3;
  private readonly watches = new Set<EtcdWatch>();

  constructor(options: Partial<EtcdStoreOptions> = {}) {
    this.options = { ...DEFAULT_ETCD_STORE_OPTIONS, ...options };
    this.client = createEtcdClient(this.options);
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const res = await this.call(() => this.client.kv.range({ key: Buffer.from(key) }));
    return res.kvs.length > 0 ? toKeyValue(res.kvs[0]) : undefined;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    const from = Buffer.from(prefix);
    let start = from.length > 0 ? from : Buffer.from([0]);
    if (opts.startAfter !== undefined) {
      // the smallest key greater than startAfter
      const after = Buffer.concat([Buffer.from(opts.startAfter), Buffer.from([0])]);
      if (Buffer.compare(after, start) > 0) start = after;
    }
    const req: IRangeRequest = {
      key: start,
      range_end: prefixEnd(from),
      limit: opts.limit ?? 0,
      revision: opts.revision ?? 0,
    };
    const res = await this.call(() => this.client.kv.range(req));
    return {
      kvs: res.kvs.map(toKeyValue),
      // a read at an explicit revision still carries the current revision in its header
      revision: opts.revision ? opts.revision : Number(res.header.revision),
      more: res.more,
    };
  }

  async create(key: string, value: Uint8Array): Promise<number> {
    const k = Buffer.from(key);
    const res = await this.call(() =>
      this.client.kv.txn({
        compare: [{ key: k, target: CompareTarget.Create, result: CompareResult.Equal, create_revision: 0 }],
        success: [{ request_put: { key: k, value: toBuffer(value) } }],
      }),
    );
    if (!res.succeeded) throw new ApiError(Status.ALREADY_EXISTS, "AlreadyExists", `key exists: ${key}`);
    return Number(res.header.revision);
  }

  async update(key: string, value: Uint8Array, expectedModRevision: number): Promise<number> {
    checkExpectedModRevision(expectedModRevision);
    const k = Buffer.from(key);
    const res = await this.call(() =>
      this.client.kv.txn({
        compare: [{ key: k, target: CompareTarget.Mod, result: CompareResult.Equal, mod_revision: expectedModRevision }],
        success: [{ request_put: { key: k, value: toBuffer(value) } }],
        failure: [{ request_range: { key: k } }],
      }),
    );
    return writeRevision(res, key, expectedModRevision);
  }

  async delete(key: string, expectedModRevision: number): Promise<number> {
    checkExpectedModRevision(expectedModRevision);
    const k = Buffer.from(key);
    const res = await this.call(() =>
      this.client.kv.txn({
        compare: [{ key: k, target: CompareTarget.Mod, result: CompareResult.Equal, mod_revision: expectedModRevision }],
        success: [{ request_delete_range: { key: k } }],
        failure: [{ request_range: { key: k } }],
      }),
    );
    return writeRevision(res, key, expectedModRevision);
  }

  async commit(writes: StoreWrite[]): Promise<number> {
    checkCommitSize(writes);
    for (const w of writes) if (w.expectedModRevision !== 0) checkExpectedModRevision(w.expectedModRevision);
    const res = await this.call(() =>
      this.client.kv.txn({
        compare: writes.map((w) =>
          w.expectedModRevision === 0
            ? { key: Buffer.from(w.key), target: CompareTarget.Create, result: CompareResult.Equal, create_revision: 0 }
            : { key: Buffer.from(w.key), target: CompareTarget.Mod, result: CompareResult.Equal, mod_revision: w.expectedModRevision },
        ),
        success: writes.map((w) => ({ request_put: { key: Buffer.from(w.key), value: toBuffer(w.value) } })),
        failure: writes.map((w) => ({ request_range: { key: Buffer.from(w.key) } })),
      }),
    );
    if (res.succeeded) return Number(res.header.revision);
    const found = writes.map((w, i) => ({ key: w.key, modRevision: Number(res.responses[i]?.response_range?.kvs[0]?.mod_revision ?? 0) }));
    throw commitConflict(writes, found);
  }

  async currentRevision(): Promise<number> {
    // Any range is linearizable (not serializable) by default; the key need not exist.
    const res = await this.call(() => this.client.kv.range({ key: Buffer.from([0]), count_only: true }));
    return Number(res.header.revision);
  }

  async watch(prefix: string, fromRevision: number, handlers: WatchHandlers): Promise<StoreWatch> {
    // etcd reads 0 as "from now", and the resume point must be a real revision
    const from = fromRevision > 0 ? fromRevision : (await this.currentRevision()) + 1;
    const watch = new EtcdWatch(this.client, prefix, from, handlers, {
      dialTimeoutMs: this.options.dialTimeoutMs,
      retryMinMs: this.options.watchRetryMinMs,
      retryMaxMs: this.options.watchRetryMaxMs,
      onClosed: () => this.watches.delete(watch),
    });
    this.watches.add(watch);
    await watch.start();
    return watch;
  }

  async compact(revision: number): Promise<void> {
    try {
      await this.call(() => this.client.kv.compact({ revision, physical: true }));
    } catch (err) {
      // already compacted at or past `revision`: nothing left to do
      if (err instanceof ApiError && err.code === Status.OUT_OF_RANGE && err.reason === "Expired") return;
      throw err;
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.watches].map((w) => w.close()));
    this.watches.clear();
    this.client.close();
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw translateEtcdError(err);
    }
  }
}


/** The revision of a compare-and-swap txn, or why it did not apply. */
function writeRevision(res: ITxnResponse, key: string, expected: number): number {
  if (res.succeeded) return Number(res.header.revision);
  const kvs = res.responses[0]?.response_range?.kvs ?? [];
  if (kvs.length === 0) throw new ApiError(Status.NOT_FOUND, "NotFound", `key not found: ${key}`);
  throw ApiError.conflict(`key ${key} is at mod revision ${kvs[0].mod_revision}, expected ${expected}`);
}
