/**
 * Shares runs of an async operation (a revision read, a marker write) among
 * concurrent callers, with one rule: a caller never joins a run that started
 * before it arrived (its result could predate the caller's request). Callers
 * join the pending run, which starts on the next turn of the event loop, so
 * every caller that arrived in this turn shares it. Up to `maxInFlight` runs
 * overlap; a pending run waits for a slot.
 *
 * Starting the next run at once instead of after the current one ends keeps a
 * caller's wait at about one run, not up to two, which is what bounds a
 * latency-bound server's throughput (consistent Gets under load).
 */
export class NextRun<T> {
  private pending: Pending<T> | undefined;
  private inFlight = 0;

  constructor(
    private readonly run: () => Promise<T>,
    private readonly maxInFlight = 1,
  ) {
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw new RangeError(`maxInFlight must be a positive integer, got ${maxInFlight}`);
  }

  /** Runs in flight now (for tests and metrics). */
  get running(): number {
    return this.inFlight;
  }

  join(): Promise<T> {
    if (this.pending) return this.pending.promise;
    const pending = newPending<T>();
    this.pending = pending;
    setImmediate(() => this.launch());
    return pending.promise;
  }

  private launch(): void {
    const next = this.pending;
    if (!next || this.inFlight >= this.maxInFlight) return;
    this.pending = undefined;
    this.inFlight++;
    let result: Promise<T>;
    try {
      result = this.run();
    } catch (err) {
      result = Promise.reject(err);
    }
    result.then(next.resolve, next.reject).finally(() => {
      this.inFlight--;
      this.launch();
    });
  }
}

interface Pending<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (err: unknown) => void;
}

function newPending<T>(): Pending<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
