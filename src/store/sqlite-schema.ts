/**
 * The SQLite file behind SqliteStore: opening it for one process only, its
 * pragmas and its schema.
 *
 * One writer. The connection runs in EXCLUSIVE locking mode and takes the
 * file's write lock at open, then never lets it go: SQLite's locks are POSIX
 * advisory locks, which the OS drops when the process ends however it ends
 * (kill -9 included), so a restart never finds a stale lock. A second opener,
 * in another process or in this one (SQLite tracks locks per file within a
 * process too), gets SQLITE_BUSY and a message naming the owner's pid, read
 * from a `<file>-pid` note the owner writes once it holds the lock (the note
 * only names the owner; the lock is what excludes).
 *
 * Durability: WAL with `synchronous = FULL`, so a write is fsynced to the WAL
 * before it is acknowledged and survives kill -9 and power loss.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { ApiError } from "../errors/api-error.js";

/** What this code writes; a file of a newer version is refused. */
const SCHEMA_VERSION = 1;

/**
 * `kv` is etcd's revisioned log: one row per version of a key. A delete adds
 * a tombstone (deleted = 1, empty value). `revision` is the write's revision
 * (the version's mod revision; every row of a commit has the same one, in
 * write order by id); `prev_revision` is the revision of the live version the
 * write replaced (0 when the key was absent), which gives watch events their
 * previous value and compaction the versions a write superseded. `meta` holds
 * the store's revision and the revision history is compacted to.
 */
const SCHEMA = `
CREATE TABLE kv (
  id INTEGER PRIMARY KEY,
  key BLOB NOT NULL,
  revision INTEGER NOT NULL,
  create_revision INTEGER NOT NULL,
  prev_revision INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  value BLOB NOT NULL
);
CREATE UNIQUE INDEX kv_key_revision ON kv (key, revision);
CREATE INDEX kv_revision ON kv (revision);
CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
-- as etcd: an empty store is at revision 1, its first write makes revision 2
INSERT INTO meta (name, value) VALUES ('revision', 1), ('compacted', 0);
`;

export const MEMORY_PATH = ":memory:";

/**
 * Opens (creating it and its parent directories if missing) the store file at
 * `path` for this process alone. Throws an UNAVAILABLE ApiError when another
 * process or store has it open, or when it cannot be used.
 */
export function openStoreFile(path: string, busyTimeoutMs: number): Database.Database {
  const memory = path === MEMORY_PATH;
  let db: Database.Database | undefined;
  try {
    if (!memory) mkdirSync(dirname(path), { recursive: true });
    db = new Database(path);
    // how long opening waits for an owner that is exiting right now; later calls never wait (we hold the lock)
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    // before the first access in WAL mode: then SQLite keeps the WAL index in memory and the lock held
    db.pragma("locking_mode = EXCLUSIVE");
    const mode = db.pragma("journal_mode = WAL", { simple: true });
    if (!memory && mode !== "wal") throw new Error(`SQLite refused WAL mode (journal_mode is ${String(mode)})`);
    db.pragma("synchronous = FULL");
    // takes the write lock now (and keeps it: exclusive mode), then creates or checks the schema
    db.transaction(() => initSchema(db!)).immediate();
  } catch (err) {
    db?.close();
    if (err instanceof Database.SqliteError && err.code.startsWith("SQLITE_BUSY")) throw inUse(path);
    if (err instanceof ApiError) throw err;
    throw ApiError.unavailable(`cannot open the SQLite store ${path}: ${(err as Error).message}`, err);
  }
  if (!memory) writeOwner(path);
  return db;
}

/** Removes the owner note of a store this process closes (it held the lock, so the note is its own). */
export function releaseStoreFile(path: string): void {
  if (path !== MEMORY_PATH) rmSync(ownerPath(path), { force: true });
}

function initSchema(db: Database.Database): void {
  const version = db.pragma("user_version", { simple: true }) as number;
  if (version === 0) {
    db.exec(SCHEMA);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  } else if (version !== SCHEMA_VERSION) {
    throw ApiError.unavailable(`the SQLite store has schema version ${version}; this krake-api reads version ${SCHEMA_VERSION}`);
  }
}

function ownerPath(path: string): string {
  return `${path}-pid`;
}

function writeOwner(path: string): void {
  try {
    writeFileSync(ownerPath(path), `${process.pid}\n`);
  } catch {
    // only a courtesy for the message of a refused opener
  }
}

function inUse(path: string): ApiError {
  let owner = "";
  try {
    const pid = Number.parseInt(readFileSync(ownerPath(path), "utf8"), 10);
    if (Number.isSafeInteger(pid) && pid > 0) owner = ` (pid ${pid})`;
  } catch {
    // no note (yet): the message goes without the pid
  }
  return ApiError.unavailable(
    `the SQLite store ${path} is in use by another krake-api${owner}: a SQLite store serves one API server; ` +
      `several API replicas need etcd`,
  );
}
