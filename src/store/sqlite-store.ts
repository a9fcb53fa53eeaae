/**
 * The Store on one SQLite file (k3s' kine idea, our own code): etcd's
 * revisioned key-value model for a single krake-api, no etcd to run.
 *
 * - The file is a log of key versions with a global revision
 *   (sqlite-log.ts); every write is one SQLite transaction making exactly one
 *   new revision, a commit's writes all at the same one, as in an etcd txn.
 * - One process owns the file (sqlite-schema.ts): a second opener is
 *   refused; several API replicas need etcd.
 * - Writes are group-committed: the writes that arrive within one turn of the
 *   event loop share a SQLite transaction (one fsync), each still at a
 *   revision of its own and failing or succeeding on its own compares. A
 *   write is acknowledged only after its transaction is durable.
 * - Watches read the log (sqlite-watch.ts), after each commit and on a timer.
 *
 * better-sqlite3 is synchronous: reads and commits run on the event loop
 * (a commit costs about one fsync). Every failure is an ApiError.
 */
import { Buffer } from "node:buffer";
import type Database from "better-sqlite3";
import { ApiError, Status } from "../errors/api-error.js";
import { checkCommitSize, checkExpectedModRevision, commitConflict } from "./commit.js";
import { toBuffer } from "./etcd-values.js";
import { prefixRange, SqliteLog } from "./sqlite-log.js";
import type { Append } from "./sqlite-log.js";
import { closedError, futureRevision, translateSqliteError } from "./sqlite-errors.js";
import { openStoreFile, releaseStoreFile } from "./sqlite-schema.js";
import { SqliteWatch } from "./sqlite-watch.js";
import type { KeyValue, ListOptions, ListResult, Store, StoreWatch, StoreWrite, WatchHandlers } from "./store.js";

export interface SqliteStoreOptions {
  /** How long opening waits for the lock of an owner that is exiting (SQLite's busy_timeout). */
  busyTimeoutMs: number;
  /** Watches whose prefix saw no write learn the store's revision at least this often (and after every write). */
  progressIntervalMs: number;
  /** Automatic compaction keeps this many revisions of history (etcd's --auto-compaction-mode=revision); 0 = off. */
  compactRetention: number;
  /** How often automatic compaction runs. */
  compactIntervalMs: number;
}

export const DEFAULT_SQLITE_STORE_OPTIONS: Readonly<SqliteStoreOptions> = {
  busyTimeoutMs: 1_000,
  progressIntervalMs: 1_000,
  compactRetention: 10_000,
  compactIntervalMs: 5 * 60_000,
};

/** A write waiting for the next group commit. `apply` checks its compares, then appends at `revision`. */
interface PendingWrite {
  apply(revision: number): void;
  resolve(revision: number): void;
  reject(err: ApiError): void;
}

export class SqliteStore implements Store {
  readonly options: Readonly<SqliteStoreOptions>;
  private readonly log: SqliteLog;
  private readonly watches = new Set<SqliteWatch>();
  private pending: PendingWrite[] = [];
  private flushScheduled = false;
  private closed = false;
  private readonly timers: NodeJS.Timeout[] = [];

  private constructor(
    readonly path: string,
    db: Database.Database,
    options: Readonly<SqliteStoreOptions>,
  ) {
    this.options = options;
    this.log = new SqliteLog(db);
    const progress = setInterval(() => this.notifyWatches(), options.progressIntervalMs);
    this.timers.push(progress);
    if (options.compactRetention > 0) {
      this.timers.push(setInterval(() => this.autoCompact(), options.compactIntervalMs));
    }
    for (const t of this.timers) t.unref();
  }

  /**
   * Opens the store file at `path` (":memory:" for a throw-away store), creating it
   * and its directories if missing. UNAVAILABLE if another krake-api has it open.
   */
  static open(path: string, options: Partial<SqliteStoreOptions> = {}): SqliteStore {
    const opts = { ...DEFAULT_SQLITE_STORE_OPTIONS, ...options };
    for (const [name, value] of Object.entries(opts)) {
      if (!Number.isSafeInteger(value) || value < 0) throw new Error(`SqliteStore option ${name} must be a non-negative integer, got ${value}`);
    }
    if (opts.progressIntervalMs === 0 || opts.compactIntervalMs === 0) throw new Error("SqliteStore intervals must be positive");
    return new SqliteStore(path, openStoreFile(path, opts.busyTimeoutMs), opts);
  }

  async get(key: string): Promise<KeyValue | undefined> {
    this.checkOpen();
    const v = this.read(() => this.log.live(Buffer.from(key)));
    return v && { key, value: v.value, modRevision: v.revision, createRevision: v.createRevision };
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.checkOpen();
    const range = prefixRange(prefix);
    if (opts.startAfter !== undefined) {
      // the smallest key greater than startAfter
      const after = Buffer.concat([Buffer.from(opts.startAfter), Buffer.from([0])]);
      if (Buffer.compare(after, range.start) > 0) range.start = after;
    }
    const revision = opts.revision ? opts.revision : this.log.revision;
    this.checkReadable(revision);
    const limit = opts.limit ?? 0;
    const kvs = this.read(() => this.log.range(range, revision, limit > 0 ? limit + 1 : -1));
    const more = limit > 0 && kvs.length > limit;
    if (more) kvs.length = limit;
    return { kvs, revision, more };
  }

  create(key: string, value: Uint8Array): Promise<number> {
    const k = Buffer.from(key);
    const v = toBuffer(value);
    return this.enqueue((revision) => {
      const live = this.log.live(k);
      if (live) throw new ApiError(Status.ALREADY_EXISTS, "AlreadyExists", `key exists: ${key}`);
      this.log.append({ key: k, value: v, live }, revision);
    });
  }

  update(key: string, value: Uint8Array, expectedModRevision: number): Promise<number> {
    return this.compareAndSwap(key, toBuffer(value), expectedModRevision);
  }

  delete(key: string, expectedModRevision: number): Promise<number> {
    return this.compareAndSwap(key, undefined, expectedModRevision);
  }

  commit(writes: StoreWrite[]): Promise<number> {
    try {
      checkCommitSize(writes);
      for (const w of writes) if (w.expectedModRevision !== 0) checkExpectedModRevision(w.expectedModRevision);
    } catch (err) {
      return Promise.reject(err);
    }
    const appends: Append[] = writes.map((w) => ({ key: Buffer.from(w.key), value: toBuffer(w.value), live: undefined }));
    return this.enqueue((revision) => {
      for (const a of appends) a.live = this.log.live(a.key);
      const found = writes.map((w, i) => ({ key: w.key, modRevision: appends[i]!.live?.revision ?? 0 }));
      if (writes.some((w, i) => w.expectedModRevision !== found[i]!.modRevision)) throw commitConflict(writes, found);
      for (const a of appends) this.log.append(a, revision);
    });
  }

  async currentRevision(): Promise<number> {
    this.checkOpen();
    return this.log.revision;
  }

  async watch(prefix: string, fromRevision: number, handlers: WatchHandlers): Promise<StoreWatch> {
    this.checkOpen();
    // 0 is "from now"; a compacted start is reported through onError, as etcd does
    const from = fromRevision > 0 ? fromRevision : this.log.revision + 1;
    const watch = new SqliteWatch(this.log, prefixRange(prefix), from, handlers, (w) => this.watches.delete(w));
    this.watches.add(watch);
    watch.schedule();
    return watch;
  }

  async compact(revision: number): Promise<void> {
    this.checkOpen();
    // already compacted at or past `revision`: nothing left to do (etcd answers "compacted", EtcdStore ignores it)
    if (revision <= this.log.compacted) return;
    if (revision > this.log.revision) throw futureRevision(revision);
    // pending writes only add revisions past `revision`: compaction need not wait for them
    this.read(() => this.log.compact(revision));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // writes already accepted are committed (and answered) before the file closes
    this.flush();
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    await Promise.all([...this.watches].map((w) => w.close()));
    this.watches.clear();
    releaseStoreFile(this.path);
    this.log.db.close();
  }

  private compareAndSwap(key: string, value: Buffer | undefined, expectedModRevision: number): Promise<number> {
    try {
      checkExpectedModRevision(expectedModRevision);
    } catch (err) {
      return Promise.reject(err);
    }
    const k = Buffer.from(key);
    return this.enqueue((revision) => {
      const live = this.log.live(k);
      if (!live) throw new ApiError(Status.NOT_FOUND, "NotFound", `key not found: ${key}`);
      if (live.revision !== expectedModRevision) {
        throw ApiError.conflict(`key ${key} is at mod revision ${live.revision}, expected ${expectedModRevision}`);
      }
      this.log.append({ key: k, value, live }, revision);
    });
  }

  /** Queues a write for the next group commit; resolves with its revision once it is durable. */
  private enqueue(apply: (revision: number) => void): Promise<number> {
    if (this.closed) return Promise.reject(closedError());
    return new Promise<number>((resolve, reject) => {
      this.pending.push({ apply, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /**
   * Commits every pending write in one transaction, each at the next revision
   * if its compares hold. A failed compare (an ApiError) touches nothing and
   * fails that write alone; any other error rolls back and fails them all.
   */
  private flush(): void {
    this.flushScheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0 || this.closed) return;
    const outcomes: (number | ApiError)[] = [];
    const start = this.log.revision;
    try {
      this.log.db.transaction(() => {
        let revision = start;
        for (const w of batch) {
          try {
            w.apply(revision + 1);
            outcomes.push(++revision);
          } catch (err) {
            if (!(err instanceof ApiError)) throw err;
            outcomes.push(err);
          }
        }
        if (revision > start) this.log.setRevision(revision);
      })();
    } catch (err) {
      // rolled back: the revision is what it was
      this.log.revision = start;
      const failure = translateSqliteError(err);
      for (const w of batch) w.reject(failure);
      return;
    }
    batch.forEach((w, i) => {
      const outcome = outcomes[i]!;
      if (typeof outcome === "number") w.resolve(outcome);
      else w.reject(outcome);
    });
    if (outcomes.some((o) => typeof o === "number")) this.notifyWatches();
  }

  private notifyWatches(): void {
    for (const w of this.watches) w.schedule();
  }

  private autoCompact(): void {
    const target = this.log.revision - this.options.compactRetention;
    if (this.closed || target <= this.log.compacted) return;
    try {
      this.log.compact(target);
    } catch {
      // the next run tries again; reads and writes report their own errors
    }
  }

  /** Past revisions must still be in the log, future ones do not exist yet (etcd's errors, as EtcdStore reports them). */
  private checkReadable(revision: number): void {
    if (revision < this.log.compacted) {
      throw new ApiError(Status.OUT_OF_RANGE, "Expired", "the requested revision has been compacted");
    }
    if (revision > this.log.revision) throw futureRevision(revision);
  }

  private read<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw translateSqliteError(err);
    }
  }

  private checkOpen(): void {
    if (this.closed) throw closedError();
  }
}

