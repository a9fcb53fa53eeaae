import { ApiError, Status } from "../../errors/api-error.js";
import { kindOfKey } from "../../store/keys.js";
import type { Store, StoreEventBatch, StoreWatch } from "../../store/store.js";
import type { AnyKind } from "../objects/kind.js";
import { CachedObject } from "../objects/cached-object.js";
import { KindCache } from "./kind-cache.js";
import { NextRun } from "./next-run.js";
import { RevisionGate } from "./revision-gate.js";
import { RevisionMarker } from "./revision-marker.js";

export interface StoreCacheOptions {
  /** Key prefix that every kind lives under, e.g. "/krake". */
  prefix: string;
  /** Events kept per kind for watches that resume from a version. */
  windowSize: number;
  /** How often watchers that allow bookmarks get one. */
  bookmarkIntervalMs: number;
  /** How long a read waits for the cache to catch up with the store. */
  freshnessTimeoutMs: number;
  /** Most keys in one page of the start-up list. */
  listPageSize: number;
  /** Bytes of values one page of the start-up list aims at (see load()). */
  listPageBytes: number;
  /** A store watch failure and what the cache does about it. */
  onError?: (err: unknown, action: "relist" | "resume" | "skip") => void;
}

/** How long a read waits for events before it writes the marker. */
const MARKER_GRACE_MS = 100;

const defaults: StoreCacheOptions = {
  prefix: "/krake",
  windowSize: 10_000,
  bookmarkIntervalMs: 10_000,
  freshnessTimeoutMs: 3_000,
  listPageSize: 1_000,
  listPageBytes: 64 * 1024 * 1024,
};

/**
 * The largest value etcd takes with its default --max-request-bytes (1.5 MiB):
 * what the start-up list assumes of values it has not seen yet.
 */
const ASSUMED_MAX_VALUE_BYTES = 1_572_864;

/**
 * The API process' view of the store: ONE store watch over the whole key
 * prefix feeds one KindCache per kind. Every Krake write lands under the
 * prefix, so a cache that has reached revision R answers reads exactly as the
 * store would at R. (Writes outside the prefix move the store's revision
 * without an event; reach() deals with them.)
 */
export class StoreCache {
  private readonly store: Store;
  private readonly opts: StoreCacheOptions;
  private readonly kinds = new Map<string, KindCache>();
  private readonly gate = new RevisionGate();
  private watch: StoreWatch | undefined;
  private bookmarkTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private synced = false;
  private readonly syncWaiters = new Set<(err?: ApiError) => void>();
  /** Why the last start() failed, until one succeeds. */
  private unreachable: ApiError | undefined;
  private readonly ownWrites = new Map<string, CachedObject>();
  private readonly revisionReads = new NextRun(() => this.store.currentRevision(), 4);
  private readonly marker: RevisionMarker;

  constructor(store: Store, kinds: AnyKind[], opts: Partial<StoreCacheOptions> = {}) {
    this.store = store;
    this.opts = { ...defaults, ...opts };
    this.marker = new RevisionMarker(store, this.opts.prefix);
    for (const kind of kinds) {
      this.kinds.set(`${kind.api}/${kind.plural}`, new KindCache(kind, this.opts.windowSize));
    }
  }

  get revision(): number {
    return this.gate.revision;
  }

  get isSynced(): boolean {
    return this.synced;
  }

  /** Number of store watches this process holds (1 once started). */
  get storeWatches(): number {
    return this.watch ? 1 : 0;
  }

  kindCache(api: string, plural: string): KindCache {
    const cache = this.kinds.get(`${api}/${plural}`);
    if (!cache) throw new Error(`no cache for ${api}/${plural}`);
    return cache;
  }

  allKindCaches(): KindCache[] {
    return [...this.kinds.values()];
  }

  /** Lists every kind, then watches from the list's revision. */
  async start(): Promise<void> {
    try {
      await this.resync();
      this.unreachable = undefined;
    } catch (err) {
      this.unreachable = ApiError.from(err);
      throw err;
    }
    this.bookmarkTimer = setInterval(() => {
      for (const k of this.kinds.values()) k.bookmark(this.gate.revision);
    }, this.opts.bookmarkIntervalMs);
    this.bookmarkTimer.unref();
  }

  /**
   * Lists every kind, then watches from the list's revision. The list is read
   * `windowSize` revisions in the past when etcd still has that history, so
   * the watch replays recent events into the window: a client that watched
   * another replica (or this process before a restart) resumes here from its
   * last version instead of listing again.
   */
  private async resync(): Promise<void> {
    this.ownWrites.clear();
    const current = await this.store.currentRevision();
    const past = Math.max(1, current - this.opts.windowSize);
    try {
      await this.load(past, current);
    } catch (err) {
      if (!(err instanceof ApiError && err.code === Status.OUT_OF_RANGE)) throw err;
      await this.load(current, current);
    }
  }

  /**
   * Lists at `revision`, watches from there, and reports synced once the watch has replayed up to `upTo`.
   *
   * A page holds as many keys as fit in listPageBytes if every value were as
   * large as the largest seen so far (the first page assumes etcd's largest),
   * and at most listPageSize: near-limit objects come a few dozen per page,
   * small ones a thousand (etcd 3.4 spends time proportional to the keys left
   * on every page, so small pages make a large store slow to load). Values
   * larger than any seen before can overshoot the aim, never the etcd
   * client's receive limit: 1000 values of etcd's largest size are 1.5 GiB.
   */
  private async load(revision: number, upTo: number): Promise<void> {
    const loaded = new Map<KindCache, CachedObject[]>();
    for (const k of this.kinds.values()) loaded.set(k, []);
    let startAfter: string | undefined;
    let largest: number | undefined;
    for (;;) {
      const page = await this.store.list(`${this.opts.prefix}/`, {
        revision,
        startAfter,
        limit: this.pageLimit(largest ?? ASSUMED_MAX_VALUE_BYTES),
      });
      for (const kv of page.kvs) {
        largest = Math.max(largest ?? 1, kv.value.length);
        const cache = this.route(kv.key);
        if (!cache) continue;
        loaded.get(cache)!.push(CachedObject.fromStored(kv.key, kv.value, kv.modRevision, cache.kind.codec));
      }
      if (!page.more || page.kvs.length === 0) break;
      startAfter = page.kvs[page.kvs.length - 1].key;
    }
    for (const [cache, objects] of loaded) cache.reset(objects, revision);
    this.gate.reset(revision);
    await this.watch?.close();
    const watch = await this.store.watch(`${this.opts.prefix}/`, revision + 1, {
      onEvents: (batch) => this.apply(batch),
      onError: (err) => this.onWatchError(err),
    });
    if (this.closed) {
      await watch.close();
      return;
    }
    this.watch = watch;
    // Synced means "as current as the store was when we started": callers that
    // read the caches without a freshness wait (RBAC) rely on it.
    await this.reach(upTo, true);
    this.setSynced();
  }

  private pageLimit(largestValue: number): number {
    return Math.max(1, Math.min(this.opts.listPageSize, Math.floor(this.opts.listPageBytes / largestValue)));
  }

  /**
   * The store watch failed for good. If history was compacted past the cache
   * (OUT_OF_RANGE), list again: that ends every watch, whose clients relist.
   * Any other failure loses nothing: the cache holds every event up to its
   * revision, so a new store watch from the next revision continues it and the
   * watches on the API never notice.
   */
  private onWatchError(err: Error): void {
    if (this.closed) return;
    this.watch = undefined;
    let expired = isExpired(err);
    if (expired) this.synced = false;
    this.opts.onError?.(err, expired ? "relist" : "resume");
    const again = (delay: number): void => {
      setTimeout(() => {
        if (this.closed) return;
        (expired ? this.resync() : this.resume()).catch((e: unknown) => {
          if (this.closed) return;
          if (!expired && isExpired(e)) {
            expired = true;
            this.synced = false;
          }
          this.opts.onError?.(e, expired ? "relist" : "resume");
          again(Math.min(Math.max(delay, 100) * 2, 5_000));
        });
      }, delay).unref();
    };
    again(expired ? 0 : 200);
  }

  private async resume(): Promise<void> {
    const watch = await this.store.watch(`${this.opts.prefix}/`, this.gate.revision + 1, {
      onEvents: (batch) => this.apply(batch),
      onError: (e) => this.onWatchError(e),
    });
    if (this.closed) await watch.close();
    else this.watch = watch;
  }

  private route(key: string): KindCache | undefined {
    const kind = kindOfKey(this.opts.prefix, key);
    return kind === undefined ? undefined : this.kinds.get(kind);
  }

  /**
   * A version this process has just written, decoded and encoded already: its
   * watch event reuses it instead of decoding and encoding the same bytes again.
   */
  rememberWrite(obj: CachedObject): void {
    if (obj.revision <= this.gate.revision) return;
    if (this.ownWrites.size >= this.opts.windowSize) this.ownWrites.clear();
    this.ownWrites.set(obj.key, obj);
  }

  private takeOwnWrite(key: string, revision: number): CachedObject | undefined {
    const own = this.ownWrites.get(key);
    if (!own || own.revision > revision) return undefined;
    this.ownWrites.delete(key);
    return own.revision === revision ? own : undefined;
  }

  private apply(batch: StoreEventBatch): void {
    for (const ev of batch.events) {
      const key = ev.type === "put" ? ev.kv.key : ev.key;
      const cache = this.route(key);
      if (!cache) continue;
      if (ev.type === "put") {
        let obj = this.takeOwnWrite(key, ev.kv.modRevision);
        if (!obj) {
          try {
            obj = CachedObject.fromStored(key, ev.kv.value, ev.kv.modRevision, cache.kind.codec);
          } catch (err) {
            this.opts.onError?.(err, "skip");
            continue;
          }
        }
        cache.put(obj, ev.kv.createRevision === ev.kv.modRevision);
      } else {
        cache.delete(key, ev.modRevision);
      }
    }
    this.gate.advance(batch.revision);
  }

  /**
   * The store's current revision, read linearizably. Concurrent callers share
   * one store call; a caller never joins a call that was sent before it
   * arrived (its answer could predate the caller's request), it joins the next.
   */
  consistentRevision(): Promise<number> {
    return this.revisionReads.join();
  }

  /** Waits until the cache has every write the store had when this was called. */
  async fresh(): Promise<number> {
    if (!this.synced) await this.waitSynced();
    const revision = await this.consistentRevision();
    await this.reach(revision, true);
    return revision;
  }

  /** Waits until the cache has reached `revision` (e.g. a client's resource_version). */
  async waitFor(revision: number): Promise<void> {
    if (revision <= this.gate.revision) return;
    await this.reach(revision, false);
  }

  /**
   * Events under the prefix arrive a moment after their write. A cache still
   * behind after that is waiting for a revision made by writes outside the
   * prefix, which its watch never sees and etcd reports only in progress
   * notifications (every 10 minutes by default). Then a write of the marker
   * key under the prefix moves it on: once the marker's event arrives, every
   * event before it has.
   */
  private async reach(revision: number, known: boolean): Promise<void> {
    if (await this.gate.reached(revision, MARKER_GRACE_MS)) return;
    if (this.closed) throw ApiError.unavailable("the API server is shutting down");
    // a revision the store has not reached yet (a client's guess) is not worth a write
    if (known || revision <= (await this.consistentRevision())) await this.marker.write();
    await this.gate.wait(revision, this.opts.freshnessTimeoutMs);
  }

  private waitSynced(): Promise<void> {
    if (this.synced) return Promise.resolve();
    if (this.closed) return Promise.reject(ApiError.unavailable("the API server is shutting down"));
    // the last attempt to reach the store failed: say so now rather than hold the request
    if (this.unreachable) return Promise.reject(ApiError.unavailable(`the store is not reachable: ${this.unreachable.message}`));
    return new Promise((resolve, reject) => {
      const waiter = (err?: ApiError) => {
        clearTimeout(timer);
        this.syncWaiters.delete(waiter);
        if (err) reject(err);
        else resolve();
      };
      const timer = setTimeout(() => waiter(ApiError.unavailable("the store is not reachable")), this.opts.freshnessTimeoutMs);
      this.syncWaiters.add(waiter);
    });
  }

  private setSynced(): void {
    this.synced = true;
    for (const w of [...this.syncWaiters]) w();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of [...this.syncWaiters]) w(ApiError.unavailable("the API server is shutting down"));
    if (this.bookmarkTimer) clearInterval(this.bookmarkTimer);
    this.gate.close();
    await this.watch?.close();
    this.watch = undefined;
  }
}

function isExpired(err: unknown): boolean {
  return ApiError.from(err).code === Status.OUT_OF_RANGE;
}
