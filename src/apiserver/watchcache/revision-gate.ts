import { ApiError } from "../../errors/api-error.js";

interface Waiter {
  revision: number;
  resolve(): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** A revision that only moves forward, and promises that resolve when it reaches a target. */
export class RevisionGate {
  private current = 0;
  private waiters: Waiter[] = [];

  get revision(): number {
    return this.current;
  }

  /** Sets the revision after a relist (may move backwards only then). */
  reset(revision: number): void {
    this.current = revision;
    this.release();
  }

  advance(revision: number): void {
    if (revision <= this.current) return;
    this.current = revision;
    this.release();
  }

  wait(revision: number, timeoutMs: number): Promise<void> {
    if (revision <= this.current) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        revision,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(ApiError.unavailable(`timed out waiting for the watch cache to reach revision ${revision}`));
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  /** Like wait(), but resolves false instead of failing when `timeoutMs` passes. */
  reached(revision: number, timeoutMs: number): Promise<boolean> {
    return this.wait(revision, timeoutMs).then(
      () => true,
      () => revision <= this.current,
    );
  }

  close(): void {
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.reject(ApiError.unavailable("the API server is shutting down"));
    }
    this.waiters = [];
  }

  private release(): void {
    if (this.waiters.length === 0) return;
    const keep: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.revision <= this.current) {
        clearTimeout(w.timer);
        w.resolve();
      } else keep.push(w);
    }
    this.waiters = keep;
  }
}
