/**
 * The revisioned log of SqliteStore (schema in sqlite-schema.ts): the reads
 * and writes on it, as prepared statements. Keys are stored as their UTF-8
 * bytes, so that SQLite orders them bytewise, as etcd does.
 */
import { Buffer } from "node:buffer";
import type Database from "better-sqlite3";
import type { KeyValue, StoreEvent } from "./store.js";

/** One version of a key as the log holds it (a tombstone for a delete). */
export interface Version {
  revision: number;
  createRevision: number;
  deleted: boolean;
  value: Buffer;
}

/** A key range [start, end) of UTF-8 key bytes. */
export interface KeyRange {
  start: Buffer;
  end: Buffer;
}

/** A write to append: a put of `value`, or a delete when `value` is undefined. */
export interface Append {
  key: Buffer;
  value: Buffer | undefined;
  /** The key's live version now, if any. */
  live: Version | undefined;
}

/** An event of the log with the revision it belongs to. */
export interface LogEvent {
  revision: number;
  event: StoreEvent;
}

interface VersionRow {
  revision: number;
  create_revision: number;
  deleted: number;
  value: Buffer;
}

interface KeyValueRow {
  key: Buffer;
  revision: number;
  create_revision: number;
  value: Buffer;
}

interface EventRow extends KeyValueRow {
  deleted: number;
  p_revision: number | null;
  p_create_revision: number | null;
  p_value: Buffer | null;
}

const EMPTY = Buffer.alloc(0);

/** Every key starting with `prefix`. UTF-8 never holds a 0xff byte, so [0xff] is past every key. */
export function prefixRange(prefix: string): KeyRange {
  const start = Buffer.from(prefix);
  if (start.length === 0) return { start, end: Buffer.from([0xff]) };
  const end = Buffer.from(start);
  end[end.length - 1]++;
  return { start, end };
}

export class SqliteLog {
  /** The store's revision: the last write's, 1 for an empty store. */
  revision: number;
  /** History before this revision is gone (0: nothing compacted). */
  compacted: number;

  private readonly latestStmt: Database.Statement<[Buffer], VersionRow>;
  private readonly rangeStmt: Database.Statement<[Buffer, Buffer, number, number, number], KeyValueRow>;
  private readonly eventsStmt: Database.Statement<[number, Buffer, Buffer], EventRow>;
  private readonly insertStmt: Database.Statement<[Buffer, number, number, number, number, Buffer]>;
  private readonly metaStmt: Database.Statement<[string], number>;
  private readonly setMetaStmt: Database.Statement<[number, string]>;
  private readonly compactSupersededStmt: Database.Statement<[number, number]>;
  private readonly compactTombstonesStmt: Database.Statement<[number, number]>;

  constructor(readonly db: Database.Database) {
    this.latestStmt = db.prepare("SELECT revision, create_revision, deleted, value FROM kv WHERE key = ? ORDER BY revision DESC LIMIT 1");
    // the key's newest version at or before the read revision, unless a tombstone
    this.rangeStmt = db.prepare(
      `SELECT key, revision, create_revision, value FROM kv AS k INDEXED BY kv_key_revision
       WHERE k.key >= ? AND k.key < ? AND k.revision <= ? AND k.deleted = 0
         AND NOT EXISTS (SELECT 1 FROM kv AS n WHERE n.key = k.key AND n.revision > k.revision AND n.revision <= ?)
       ORDER BY k.key LIMIT ?`,
    );
    this.eventsStmt = db.prepare(
      `SELECT k.key, k.revision, k.create_revision, k.deleted, k.value,
              p.revision AS p_revision, p.create_revision AS p_create_revision, p.value AS p_value
       FROM kv AS k INDEXED BY kv_revision
       LEFT JOIN kv AS p ON p.key = k.key AND p.revision = k.prev_revision
       WHERE k.revision >= ? AND k.key >= ? AND k.key < ?
       ORDER BY k.revision, k.id`,
    );
    this.insertStmt = db.prepare(
      "INSERT INTO kv (key, revision, create_revision, prev_revision, deleted, value) VALUES (?, ?, ?, ?, ?, ?)",
    );
    this.metaStmt = db.prepare<[string], number>("SELECT value FROM meta WHERE name = ?").pluck();
    this.setMetaStmt = db.prepare("UPDATE meta SET value = ? WHERE name = ?");
    // a write in (from, to] supersedes the version it replaced; tombstones in (from, to] go too
    this.compactSupersededStmt = db.prepare(
      `DELETE FROM kv WHERE id IN (
         SELECT p.id FROM kv AS w JOIN kv AS p ON p.key = w.key AND p.revision = w.prev_revision
         WHERE w.revision > ? AND w.revision <= ?)`,
    );
    this.compactTombstonesStmt = db.prepare("DELETE FROM kv WHERE revision > ? AND revision <= ? AND deleted = 1");
    this.revision = this.metaStmt.get("revision")!;
    this.compacted = this.metaStmt.get("compacted")!;
  }

  /** The key's newest version, a tombstone included; undefined if it never existed (or was compacted away). */
  latest(key: Buffer): Version | undefined {
    const row = this.latestStmt.get(key);
    return row && { revision: row.revision, createRevision: row.create_revision, deleted: row.deleted !== 0, value: row.value };
  }

  /** The key's live version, if it exists now. */
  live(key: Buffer): Version | undefined {
    const v = this.latest(key);
    return v && !v.deleted ? v : undefined;
  }

  /** The live keys of [range.start, range.end) at `revision`, in key order, at most `limit` (-1: all). */
  range(range: KeyRange, revision: number, limit: number): KeyValue[] {
    return this.rangeStmt.all(range.start, range.end, revision, revision, limit).map(toKeyValue);
  }

  /**
   * The events of [range.start, range.end) from `fromRevision` on, in revision
   * and write order, cut at the first revision that starts once `maxEvents`
   * events or `maxBytes` bytes of values are read (a revision's events are
   * never split). `until` is the last revision the events cover: the store's
   * revision if nothing was cut, else the one before the first left out.
   */
  events(range: KeyRange, fromRevision: number, maxEvents: number, maxBytes: number): { events: LogEvent[]; until: number } {
    const events: LogEvent[] = [];
    let bytes = 0;
    let last = 0;
    for (const row of this.eventsStmt.iterate(fromRevision, range.start, range.end)) {
      if (row.revision !== last && (events.length >= maxEvents || bytes >= maxBytes)) {
        // ends the statement (the iterator's return())
        return { events, until: row.revision - 1 };
      }
      last = row.revision;
      bytes += row.value.length + (row.p_value?.length ?? 0);
      events.push(toLogEvent(row));
    }
    return { events, until: this.revision };
  }

  /** Appends one write at `revision` (inside the caller's transaction). */
  append(w: Append, revision: number): void {
    const prev = w.live?.revision ?? 0;
    if (w.value === undefined) {
      this.insertStmt.run(w.key, revision, 0, prev, 1, EMPTY);
    } else {
      this.insertStmt.run(w.key, revision, w.live?.createRevision ?? revision, prev, 0, w.value);
    }
  }

  /** Records the store's revision (inside the caller's transaction). */
  setRevision(revision: number): void {
    this.setMetaStmt.run(revision, "revision");
    this.revision = revision;
  }

  /** Removes the history before `revision`: versions superseded at or before it, and tombstones. */
  compact(revision: number): void {
    this.db.transaction(() => {
      this.compactSupersededStmt.run(this.compacted, revision);
      this.compactTombstonesStmt.run(this.compacted, revision);
      this.setMetaStmt.run(revision, "compacted");
    })();
    this.compacted = revision;
  }
}

function toKeyValue(row: KeyValueRow): KeyValue {
  return { key: row.key.toString("utf8"), value: row.value, modRevision: row.revision, createRevision: row.create_revision };
}

function toLogEvent(row: EventRow): LogEvent {
  const key = row.key.toString("utf8");
  const prev: KeyValue | undefined =
    row.p_revision === null
      ? undefined
      : { key, value: row.p_value!, modRevision: row.p_revision, createRevision: row.p_create_revision! };
  const event: StoreEvent =
    row.deleted !== 0
      ? { type: "delete", key, modRevision: row.revision, prev }
      : { type: "put", kv: toKeyValue(row), prev };
  return { revision: row.revision, event };
}
