/**
 * The storage seen by the API server: a revisioned key-value store (etcd's
 * model). Keys are full keys (the prefix included, see keys.ts); values are
 * opaque bytes. Every write returns the store revision at which it happened.
 *
 * Errors are ApiErrors (src/errors): ALREADY_EXISTS from create, ABORTED
 * (reason "Conflict") when a compare fails, NOT_FOUND when a compared key is
 * missing, OUT_OF_RANGE (reason "Expired") for a compacted revision,
 * UNAVAILABLE when the store cannot be reached.
 */
export interface KeyValue {
  key: string;
  value: Uint8Array;
  /** Revision of the last write to this key. */
  modRevision: number;
  /** Revision at which the key was created. */
  createRevision: number;
}

export interface ListOptions {
  /** Read at this revision (a consistent snapshot); 0 or absent = latest. */
  revision?: number;
  /** Only keys strictly greater than this (for pagination). */
  startAfter?: string;
  /** At most this many keys; 0 or absent = all. */
  limit?: number;
}

export interface ListResult {
  kvs: KeyValue[];
  /** The revision the list was read at. */
  revision: number;
  /** More keys remain after the last one returned. */
  more: boolean;
}

export type StoreEvent =
  | { type: "put"; kv: KeyValue; prev?: KeyValue }
  | { type: "delete"; key: string; modRevision: number; prev?: KeyValue };

/** A batch of events from one watch response; all revisions <= `revision`. */
export interface StoreEventBatch {
  events: StoreEvent[];
  /** The store's revision when the batch was sent (≥ every event's revision). */
  revision: number;
}

export interface WatchHandlers {
  onEvents(batch: StoreEventBatch): void;
  /**
   * The watch failed for good. An OUT_OF_RANGE ApiError means the start
   * revision was compacted: list again and re-watch from the list's revision.
   * Transient disconnects are retried inside the store (from the last seen
   * revision + 1) and are not reported here.
   */
  onError(err: Error): void;
}

/** One write of an atomic commit. */
export interface StoreWrite {
  key: string;
  value: Uint8Array;
  /** 0: the key must not exist; otherwise its current mod revision. */
  expectedModRevision: number;
}

/** What `commit` answers when a compare fails: the first key whose state was not the expected one. */
export interface CommitConflict {
  key: string;
  /** Its mod revision now; 0 when it does not exist. */
  modRevision: number;
}

export interface StoreWatch {
  close(): Promise<void>;
}

export interface Store {
  get(key: string): Promise<KeyValue | undefined>;
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;
  /** Create if absent; ALREADY_EXISTS otherwise. Returns the write revision. */
  create(key: string, value: Uint8Array): Promise<number>;
  /**
   * Compare-and-swap: write only if the key's mod revision is `expectedModRevision`.
   * ABORTED/"Conflict" if it differs, NOT_FOUND if the key is gone.
   */
  update(key: string, value: Uint8Array, expectedModRevision: number): Promise<number>;
  /** Delete only if the key's mod revision is `expectedModRevision` (same errors as update). */
  delete(key: string, expectedModRevision: number): Promise<number>;
  /**
   * Every write or none, at one revision (etcd's transaction): each key must
   * be absent (expectedModRevision 0) or at its expected mod revision.
   * ABORTED/"Conflict" otherwise, naming the first key that differs.
   * At most `maxCommitWrites` writes (etcd's --max-txn-ops).
   */
  commit(writes: StoreWrite[]): Promise<number>;
  /** The store's current revision (a linearizable read). */
  currentRevision(): Promise<number>;
  /** Watch every key under `prefix`, from `fromRevision` (inclusive). */
  watch(prefix: string, fromRevision: number, handlers: WatchHandlers): Promise<StoreWatch>;
  /** Compact history up to `revision` (tests and benchmarks). */
  compact(revision: number): Promise<void>;
  close(): Promise<void>;
}
