import { ApiError, Status } from "../../errors/api-error.js";
import type { Store } from "../../store/store.js";
import { NextRun } from "./next-run.js";

/**
 * The key under the prefix that a cache writes when it waits for a revision
 * that no event under the prefix will bring (StoreCache.reach). It is no
 * object key (one segment), so caches and lists pass over it.
 */
export const MARKER_KEY = ".watch-cache-marker";

const EMPTY = new Uint8Array(0);

/**
 * Writes the marker key, so that the store watch gets an event at a revision
 * newer than any the caller has seen. Concurrent callers share one write, but
 * never one that started before they asked (its revision could be too old).
 */
export class RevisionMarker {
  private readonly key: string;
  private readonly writes = new NextRun(() => this.writeOnce());

  constructor(
    private readonly store: Store,
    prefix: string,
  ) {
    this.key = `${prefix}/${MARKER_KEY}`;
  }

  /** Resolves with the revision of a marker write that started after this call. */
  write(): Promise<number> {
    return this.writes.join();
  }

  private async writeOnce(): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.store.get(this.key);
      try {
        return current ? await this.store.update(this.key, EMPTY, current.modRevision) : await this.store.create(this.key, EMPTY);
      } catch (err) {
        const code = ApiError.from(err).code;
        if (code !== Status.ABORTED && code !== Status.ALREADY_EXISTS && code !== Status.NOT_FOUND) throw err;
        // another process wrote the marker after our read: that write serves as well
        const now = await this.store.get(this.key);
        if (now) return now.modRevision;
        if (attempt >= 3) throw err;
      }
    }
  }
}
