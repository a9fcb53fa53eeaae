/**
 * One watch of SqliteStore. The log is the only source of events: a watch
 * keeps the first revision it has not delivered yet and, whenever the store
 * tells it that the revision moved (after a write's transaction committed,
 * and on a timer), reads the log from there. Catch-up from the past and live
 * events are then one path, ordered and gap-free by construction, and a
 * watch resumes from any revision the log still holds.
 *
 * Every delivery runs from setImmediate, never inside a write call, and reads
 * are synchronous (better-sqlite3), so a batch is a consistent snapshot of the
 * log: its revision is the store's revision at that read, or, for a catch-up
 * cut short (BATCH_EVENTS, BATCH_BYTES), the revision before the first one left out.
 */
import { ApiError } from "../errors/api-error.js";
import { translateSqliteError } from "./sqlite-errors.js";
import type { KeyRange, SqliteLog } from "./sqlite-log.js";
import type { StoreEventBatch, StoreWatch, WatchHandlers } from "./store.js";

/**
 * A batch ends at the first revision that starts past this many events or
 * bytes of values (previous values included), so that catching up on a long
 * history never holds all of it in memory; a revision is never split.
 */
const BATCH_EVENTS = 1_000;
const BATCH_BYTES = 4 * 1024 * 1024;

export class SqliteWatch implements StoreWatch {
  /** The first revision not yet delivered. */
  private next: number;
  private scheduled = false;
  private closed = false;

  constructor(
    private readonly log: SqliteLog,
    private readonly range: KeyRange,
    fromRevision: number,
    private readonly handlers: WatchHandlers,
    private readonly onClosed: (w: SqliteWatch) => void,
  ) {
    this.next = fromRevision;
  }

  /** Delivers what the log holds past the last delivery, soon (coalesced). */
  schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.deliver();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onClosed(this);
  }

  private deliver(): void {
    if (this.closed || this.next > this.log.revision) return;
    let batch: StoreEventBatch;
    let more = false;
    try {
      if (this.next < this.log.compacted) {
        this.fail(
          ApiError.expired(`watch from revision ${this.next} is too old: history is compacted up to revision ${this.log.compacted}`),
        );
        return;
      }
      const found = this.log.events(this.range, this.next, BATCH_EVENTS, BATCH_BYTES);
      // no events at all is a progress notification
      batch = { events: found.events.map((e) => e.event), revision: found.until };
      more = found.until < this.log.revision;
    } catch (err) {
      this.fail(translateSqliteError(err));
      return;
    }
    this.next = batch.revision + 1;
    try {
      this.handlers.onEvents(batch);
    } catch (err) {
      this.fail(ApiError.from(err));
      return;
    }
    if (more) this.schedule();
  }

  /** Ends the watch for good and reports `err` once. */
  private fail(err: ApiError): void {
    if (this.closed) return;
    void this.close();
    this.handlers.onError(err);
  }
}
