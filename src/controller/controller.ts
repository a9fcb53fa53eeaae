import { setMaxListeners } from "node:events";
import type { Logger } from "pino";
import { pino } from "pino";
import type { KrakeObject } from "../kinds/object.js";
import type { Clock, TimerHandle } from "../client/clock.js";
import { realClock } from "../client/clock.js";
import { isConflict } from "../client/grpc-codes.js";
import type { Informer } from "./informer/informer.js";
import type { ReconcileOutcome, RuntimeMetrics } from "./metrics.js";
import { isTerminal } from "./reconcile.js";
import type { Reconciler, Result } from "./reconcile.js";
import { RateLimitingQueue } from "./workqueue/rate-limiting-queue.js";
import type { RateLimiter } from "./workqueue/rate-limiters.js";

/** A change an informer reported, or a periodic resync of an object it holds. */
export type Change<T> =
  | { type: "add"; obj: T }
  | { type: "update"; obj: T; old: T }
  | { type: "delete"; obj: T }
  | { type: "resync"; obj: T };

/** Maps a change to the keys to reconcile (often just the object's own key). */
export type KeyMapper<T> = (change: Change<T>) => Iterable<string>;

export interface ControllerOptions {
  name: string;
  reconciler: Reconciler;
  /** Keys reconciled at once (never two for the same key). */
  workers: number;
  clock: Clock;
  /** Delay of retries after errors; default: client-go's controller default. */
  rateLimiter?: RateLimiter<string>;
  /** Every so often, every object of every source is mapped and enqueued again (0 = never). */
  resyncPeriodMs: number;
  log: Logger;
  metrics?: RuntimeMetrics;
}

/** When a controller may act: `work` stops taking keys, `abort` cancels reconciles in flight. */
export interface RunSignals {
  work: AbortSignal;
  abort: AbortSignal;
  /** Checked before each reconcile starts (leader election); false ends the run's workers. */
  canAct?: () => boolean;
}

interface Source {
  informer: Informer<KrakeObject>;
  toKeys: KeyMapper<KrakeObject>;
}

/**
 * The runtime loop of one controller: informers feed keys into a rate-limited
 * work queue, N workers take keys and call the reconciler, and one switch
 * (`finish`) turns each outcome into queue calls. The queue outlives a run, so
 * a replica that loses and regains leadership keeps its pending keys.
 */
export class Controller {
  readonly name: string;
  readonly queue: RateLimitingQueue<string>;
  private readonly opts: ControllerOptions;
  private readonly sources: Source[] = [];
  private readonly log: Logger;

  constructor(opts: Partial<ControllerOptions> & { name: string; reconciler: Reconciler }) {
    this.opts = { workers: 1, clock: realClock, resyncPeriodMs: 0, log: pino({ level: "silent" }), ...opts };
    if (!Number.isInteger(this.opts.workers) || this.opts.workers < 1) throw new Error(`${opts.name}: workers must be a positive integer`);
    this.name = this.opts.name;
    this.log = this.opts.log.child({ controller: this.name });
    this.queue = new RateLimitingQueue<string>(this.opts.rateLimiter, this.opts.clock);
    const metrics = this.opts.metrics;
    if (metrics) {
      metrics.watchQueue(this.name, () => this.queue.length + this.queue.waiting);
      this.queue.onAdd = () => metrics.added(this.name);
    }
  }

  /** Reconciles the keys that `toKeys` maps each change of `informer` to. */
  watch<T extends KrakeObject>(informer: Informer<T>, toKeys: KeyMapper<T>): this {
    const map = toKeys as unknown as KeyMapper<KrakeObject>;
    this.sources.push({ informer: informer as unknown as Informer<KrakeObject>, toKeys: map });
    const enqueue = (change: Change<T>) => {
      for (const key of toKeys(change)) this.queue.add(key);
    };
    informer.addEventHandler({
      onAdd: (obj) => enqueue({ type: "add", obj }),
      onUpdate: (old, obj) => enqueue({ type: "update", obj, old }),
      onDelete: (obj) => enqueue({ type: "delete", obj }),
    });
    return this;
  }

  enqueue(key: string): void {
    this.queue.add(key);
  }

  get hasSynced(): boolean {
    return this.sources.every((s) => s.informer.hasSynced);
  }

  /**
   * Waits for every source's first list, then runs the workers until
   * `signals.work` aborts; resolves once every reconcile in flight is over.
   */
  async run(signals: RunSignals): Promise<void> {
    // Every worker waits on these, and every call a reconcile makes is linked to `abort`.
    setMaxListeners(64 + 32 * this.opts.workers, signals.work, signals.abort);
    try {
      await Promise.all(this.sources.map((s) => s.informer.waitForSync(signals.work)));
    } catch {
      return;
    }
    const resync = this.startResync(signals.work);
    try {
      await Promise.all(Array.from({ length: this.opts.workers }, () => this.worker(signals)));
    } finally {
      resync?.cancel();
    }
  }

  /** Stops the queue for good (process exit). */
  shutDown(): void {
    this.queue.shutDown();
  }

  private async worker(signals: RunSignals): Promise<void> {
    for (;;) {
      const key = await this.queue.get(signals.work);
      if (key === undefined) return;
      if (signals.work.aborted || (signals.canAct && !signals.canAct())) {
        // Not ours to act on now: keep the key for whoever acts next.
        this.queue.done(key);
        this.queue.add(key);
        if (!signals.work.aborted) await aborted(signals.work);
        return;
      }
      await this.process(key, signals.abort);
    }
  }

  private async process(key: string, abort: AbortSignal): Promise<void> {
    const { clock } = this.opts;
    const log = this.log.child({ key });
    const start = clock.now();
    let outcome: ReconcileOutcome;
    let failure: unknown;
    try {
      const result: Result | void = await this.opts.reconciler.reconcile({ signal: abort, log }, key);
      outcome = this.finishSuccess(key, result ?? {});
    } catch (err) {
      failure = err;
      outcome = this.finishError(key, err, abort);
    } finally {
      this.queue.done(key);
    }
    const end = clock.now();
    this.opts.metrics?.reconciled(this.name, outcome, (end - start) / 1000);
    if (outcome === "error") log.warn({ err: failure, retries: this.queue.numRequeues(key) }, "reconcile failed; retrying with backoff");
    else if (outcome === "terminal") log.error({ err: failure }, "reconcile failed for good; not retrying");
    log.debug({ start, end, outcome }, "reconciled");
  }

  private finishSuccess(key: string, result: Result): ReconcileOutcome {
    this.queue.forget(key);
    if (result.requeueAfter !== undefined && result.requeueAfter > 0) {
      this.queue.addAfter(key, result.requeueAfter);
      return "requeue";
    }
    return "success";
  }

  private finishError(key: string, err: unknown, abort: AbortSignal): ReconcileOutcome {
    if (abort.aborted) {
      // Stopped mid-way (lost the lease, shutting down): whoever acts next does it again.
      this.queue.add(key);
      return "aborted";
    }
    if (isTerminal(err)) {
      this.queue.forget(key);
      return "terminal";
    }
    this.queue.addRateLimited(key);
    this.opts.metrics?.retried(this.name);
    return isConflict(err) ? "conflict" : "error";
  }

  private startResync(signal: AbortSignal): TimerHandle | undefined {
    const period = this.opts.resyncPeriodMs;
    if (!(period > 0)) return undefined;
    let timer: TimerHandle | undefined;
    const tick = () => {
      if (signal.aborted) return;
      for (const { informer, toKeys } of this.sources) {
        for (const obj of informer.store.list()) for (const key of toKeys({ type: "resync", obj })) this.queue.add(key);
      }
      timer = this.opts.clock.setTimer(tick, period);
    };
    timer = this.opts.clock.setTimer(tick, period);
    return { cancel: () => timer?.cancel() };
  }
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}
