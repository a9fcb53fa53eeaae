import type { Logger } from "pino";
import { pino } from "pino";
import { EventType } from "../../../gen/krake/core/v1/watch.js";
import type { KrakeObject } from "../../kinds/object.js";
import { Backoff } from "../../client/backoff.js";
import type { Clock } from "../../client/clock.js";
import { realClock, sleep } from "../../client/clock.js";
import { resumableWatch } from "../../client/resumable-watch.js";
import { isExpired } from "../../client/grpc-codes.js";
import type { KindClient, WatchEvent } from "../../client/kind-client.js";
import { objectKey } from "../keys.js";
import { Indexer } from "./indexer.js";
import type { IndexFunc } from "./indexer.js";

/**
 * Receives an informer's changes. Calls are synchronous, in the order the
 * changes happened, after the cache has been updated: look the object up,
 * hand its key to a work queue, and return (lengthy work in a handler stalls
 * every other handler).
 */
export interface EventHandler<T> {
  /** A new object; `inInitialList` for objects of the first list. */
  onAdd?(obj: T, inInitialList: boolean): void;
  onUpdate?(oldObj: T, newObj: T): void;
  /**
   * The object is gone. `finalStateUnknown`: the informer found out by a
   * relist, so `obj` is the last version it had seen, not the one deleted.
   */
  onDelete?(obj: T, finalStateUnknown: boolean): void;
}

export interface InformerOptions<T extends KrakeObject> {
  client: KindClient<T>;
  /** "" = every namespace. */
  namespace: string;
  labelSelector: string;
  indexers: Record<string, IndexFunc<T>>;
  clock: Clock;
  log: Logger;
  /**
   * Objects per List page (a consistent snapshot across pages); 0 = one
   * unpaginated List, which must fit in one gRPC message.
   */
  pageSize: number;
  /** Wait before the first retry of a failed list or watch; doubles up to the max. */
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** Neither an event nor a bookmark for this long: watch again from the last version. */
  idleTimeoutMs: number;
  random: () => number;
}

export interface InformerStats {
  /** Lists, the first one included. */
  lists: number;
  /** Lists after the first (the API no longer had our version). */
  relists: number;
  /** Watch calls made. */
  watches: number;
  /** Watch calls that continued from a version the informer already had. */
  resumes: number;
  /** Watch events received (bookmarks included). */
  events: number;
}

/**
 * Keeps a local, indexed copy of one kind's objects and tells handlers what
 * changed (client-go's shared informer):
 * 1. lists (one consistent snapshot) and reports each object as added;
 * 2. watches from the list's version with bookmarks, so its version stays
 *    current even when nothing it watches changes;
 * 3. when the watch breaks, watches again from the last version it saw — no
 *    relist, and the API's resumable watch neither drops nor repeats an event;
 * 4. when the API answers OUT_OF_RANGE (that version is older than its
 *    history), lists again and reports the difference from its cache as
 *    added, updated and deleted objects, deletions while away included.
 * The cache is eventually consistent with the API; handlers see every change
 * in order, though a relist merges the changes it covers.
 */
export class Informer<T extends KrakeObject> {
  readonly store: Indexer<T>;
  readonly stats: InformerStats = { lists: 0, relists: 0, watches: 0, resumes: 0, events: 0 };
  private readonly opts: InformerOptions<T>;
  private readonly handlers: EventHandler<T>[] = [];
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private version = "";
  private synced = false;
  private readonly syncWaiters: (() => void)[] = [];

  constructor(opts: Partial<InformerOptions<T>> & { client: KindClient<T> }) {
    this.opts = {
      namespace: "",
      labelSelector: "",
      indexers: {},
      clock: realClock,
      log: pino({ level: "silent" }),
      pageSize: 500,
      backoffInitialMs: 200,
      backoffMaxMs: 10_000,
      idleTimeoutMs: 90_000,
      random: Math.random,
      ...opts,
    };
    this.store = new Indexer<T>(this.opts.indexers);
  }

  get kind(): string {
    return this.opts.client.kind.kind;
  }

  /** The last resource version seen (list, event or bookmark). */
  get resourceVersion(): string {
    return this.version;
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  /** Adds a handler; objects already in the cache are reported to it as added. */
  addEventHandler(handler: EventHandler<T>): void {
    this.handlers.push(handler);
    if (this.synced) for (const obj of this.store.list()) this.call(() => handler.onAdd?.(obj, true));
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Resolves once the first list is in the cache (and its handlers called). */
  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => reject(signal!.reason);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.syncWaiters.push(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    this.abort.abort(new Error("informer stopped"));
    await this.loop;
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private async run(): Promise<void> {
    const { clock, log } = this.opts;
    const backoff = new Backoff(this.opts.backoffInitialMs, this.opts.backoffMaxMs, this.opts.random);
    while (!this.stopped) {
      try {
        await this.list();
        backoff.reset();
        await this.watch();
        continue;
      } catch (err) {
        if (this.stopped) break;
        if (isExpired(err)) {
          log.info({ kind: this.kind, resourceVersion: this.version }, "informer: version expired; listing again");
          continue;
        }
        const delay = backoff.next();
        log.warn({ kind: this.kind, err: describe(err), retryInMs: Math.round(delay) }, "informer: list/watch failed; retrying");
        try {
          await sleep(clock, delay, this.abort.signal);
        } catch {
          break;
        }
      }
    }
  }

  private async list(): Promise<void> {
    const { client, namespace, labelSelector, pageSize } = this.opts;
    const { items, resourceVersion: version } = await client.listAll({ namespace, labelSelector }, pageSize, { signal: this.abort.signal });
    if (this.stopped) return;
    const initial = !this.synced;
    const seen = new Set<string>();
    for (const obj of items) {
      const key = objectKey(obj);
      seen.add(key);
      const old = this.store.upsert(obj);
      if (!old) this.emit((h) => h.onAdd?.(obj, initial));
      else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) this.emit((h) => h.onUpdate?.(old, obj));
    }
    for (const key of [...this.store.keys()]) {
      if (seen.has(key)) continue;
      const old = this.store.remove(key)!;
      this.emit((h) => h.onDelete?.(old, true));
    }
    this.version = version;
    this.stats.lists++;
    if (!initial) this.stats.relists++;
    if (initial) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w();
    }
  }

  /** Watches from the list's version until the informer stops; throws when the version expired or a stream failed past resuming. */
  private async watch(): Promise<void> {
    const { client, namespace, labelSelector, clock, idleTimeoutMs, log } = this.opts;
    const events = resumableWatch(client, {
      namespace,
      labelSelector,
      resourceVersion: this.version,
      signal: this.abort.signal,
      clock,
      random: this.opts.random,
      backoffInitialMs: this.opts.backoffInitialMs,
      backoffMaxMs: this.opts.backoffMaxMs,
      idleTimeoutMs,
      onStream: (resumed) => {
        this.stats.watches++;
        if (resumed) this.stats.resumes++;
      },
      onRetry: (err, delay) => log.warn({ kind: this.kind, err: describe(err), retryInMs: Math.round(delay) }, "informer: watch failed; watching again"),
      onIdle: () => log.info({ kind: this.kind }, "informer: watch idle; watching again"),
    });
    for await (const ev of events) {
      this.stats.events++;
      this.apply(ev);
    }
  }

  private apply(ev: WatchEvent<T>): void {
    const obj = ev.object;
    if (!obj) return;
    if (ev.type === EventType.ADDED || ev.type === EventType.MODIFIED) {
      const old = this.store.upsert(obj);
      if (old) this.emit((h) => h.onUpdate?.(old, obj));
      else this.emit((h) => h.onAdd?.(obj, false));
    } else if (ev.type === EventType.DELETED) {
      this.store.remove(objectKey(obj));
      this.emit((h) => h.onDelete?.(obj, false));
    }
    const version = obj.metadata?.resourceVersion;
    if (version) this.version = version;
  }

  private emit(fn: (h: EventHandler<T>) => void): void {
    for (const h of this.handlers) this.call(() => fn(h));
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.opts.log.error({ kind: this.kind, err }, "informer: event handler threw");
    }
  }
}

function describe(err: unknown): string {
  const e = err as { code?: number; details?: string; message?: string };
  return e?.details ?? e?.message ?? String(err);
}
