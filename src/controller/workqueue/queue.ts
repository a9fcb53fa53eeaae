/**
 * A work queue keyed by object (client-go's workqueue semantics):
 * - a key waiting in the queue is there once, however often it is added;
 * - a key being processed is not handed out again until `done(key)`; adding
 *   it meanwhile marks it dirty, and `done` puts it back in the queue;
 * - keys come out in the order they were first added.
 * Consumers call `get()`, work, then always `done(key)`.
 */
export class WorkQueue<K = string> {
  private items: K[] = [];
  private head = 0;
  /** Keys that need processing: queued, or added again while processing. */
  private readonly dirty = new Set<K>();
  private readonly processing = new Set<K>();
  private readonly waiters: ((key: K | undefined) => void)[] = [];
  private shuttingDown = false;
  private drained: (() => void) | undefined;
  /** Called with every key that enters the queue (metrics). */
  onAdd: ((key: K) => void) | undefined;

  add(key: K): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    this.onAdd?.(key);
    if (this.processing.has(key)) return;
    this.push(key);
  }

  /** Keys waiting to be handed out. */
  get length(): number {
    return this.items.length - this.head;
  }

  /** Keys handed out and not yet done. */
  get inFlight(): number {
    return this.processing.size;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /**
   * The next key, waiting for one if the queue is empty. Resolves undefined
   * once the queue shuts down, or when `signal` aborts.
   */
  get(signal?: AbortSignal): Promise<K | undefined> {
    if (this.length > 0) return Promise.resolve(this.take());
    if (this.shuttingDown || signal?.aborted) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const waiter = (key: K | undefined) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(key);
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve(undefined);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Marks `key` as processed; if it was added meanwhile, it is queued again. */
  done(key: K): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) this.push(key);
    if (this.drained && this.processing.size === 0) this.drained();
  }

  /** Stops handing out keys: waiting consumers get undefined, adds are ignored. */
  shutDown(): void {
    this.shuttingDown = true;
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  /** Shuts down, then resolves once every key handed out is done. */
  shutDownWithDrain(): Promise<void> {
    this.shutDown();
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.drained = resolve;
    });
  }

  private push(key: K): void {
    if (this.shuttingDown) return;
    const waiter = this.waiters.shift();
    if (waiter) {
      this.dirty.delete(key);
      this.processing.add(key);
      waiter(key);
      return;
    }
    this.items.push(key);
  }

  private take(): K {
    const key = this.items[this.head];
    this.items[this.head] = undefined as K;
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    this.dirty.delete(key);
    this.processing.add(key);
    return key;
  }
}
