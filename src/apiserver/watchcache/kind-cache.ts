import { ApiError } from "../../errors/api-error.js";
import { EventType } from "../../../gen/krake/core/v1/watch.js";
import type { KindDescription, KrakeObject } from "../objects/kind.js";
import { CachedObject } from "../objects/cached-object.js";

export interface CacheEvent<T extends KrakeObject = KrakeObject> {
  type: EventType;
  object: CachedObject<T>;
}

/** What a watcher filters on. */
export interface LabelMatcher {
  matches(labels: Readonly<Record<string, string>>): boolean;
  isEmpty(): boolean;
}

/**
 * Receives a watcher's events. Both calls happen synchronously inside the
 * cache's dispatch loop: hand the event to a transport buffer and return.
 */
export interface WatchListener<T extends KrakeObject = KrakeObject> {
  onEvent(event: CacheEvent<T>): void;
  /** The cache ended the watch (history lost: OUT_OF_RANGE, or shutdown). */
  onClose(err: ApiError): void;
}

export interface WatchOptions {
  /** "" = every namespace (and always "" for global kinds). */
  namespace: string;
  selector?: LabelMatcher;
  /** Deliver every event after this revision; undefined = from now. */
  afterRevision?: number;
  sendInitialEvents?: boolean;
  allowBookmarks?: boolean;
}

export interface CacheWatch {
  stop(): void;
}

interface Watcher<T extends KrakeObject> {
  namespace: string;
  selector?: LabelMatcher;
  listener: WatchListener<T>;
  bookmarks: boolean;
}

/**
 * The current objects of one kind plus a bounded window of recent events, fed
 * by the process' single store watch (StoreCache). Serves Get, List and Watch.
 * Watchers are indexed by namespace so an event only visits the watchers that
 * can want it.
 */
export class KindCache<T extends KrakeObject = KrakeObject> {
  readonly kind: KindDescription<T>;
  private readonly objects = new Map<string, CachedObject<T>>();
  /** Events with revision > windowStart, oldest first. */
  private window: { revision: number; event: CacheEvent<T> }[] = [];
  private windowStart = 0;
  private readonly windowSize: number;
  private readonly byNamespace = new Map<string, Set<Watcher<T>>>();
  private readonly allNamespaces = new Set<Watcher<T>>();
  private watcherCount = 0;
  private changeCount = 0;

  constructor(kind: KindDescription<T>, windowSize: number) {
    this.kind = kind;
    this.windowSize = windowSize;
  }

  get size(): number {
    return this.objects.size;
  }

  get watchers(): number {
    return this.watcherCount;
  }

  /** Grows with every change to the objects (put, delete, reset): derived indexes rebuild when it moves. */
  get changes(): number {
    return this.changeCount;
  }

  get oldestRevision(): number {
    return this.windowStart;
  }

  get(key: string): CachedObject<T> | undefined {
    return this.objects.get(key);
  }

  /** Current objects in key order, optionally in one namespace and matching a selector. */
  list(namespace: string, selector?: LabelMatcher): CachedObject<T>[] {
    const out: CachedObject<T>[] = [];
    for (const obj of this.objects.values()) {
      if (namespace && obj.namespace !== namespace) continue;
      if (selector && !selector.matches(obj.labels)) continue;
      out.push(obj);
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Replaces the whole state (start-up and relist); ends every watch. */
  reset(objects: CachedObject<T>[], revision: number): void {
    this.changeCount++;
    this.objects.clear();
    for (const o of objects) this.objects.set(o.key, o);
    this.window = [];
    this.windowStart = revision;
    const ended = ApiError.expired("the watch cache was rebuilt; list again and watch from the list's version");
    for (const w of [...this.allNamespaces, ...[...this.byNamespace.values()].flatMap((s) => [...s])]) {
      w.listener.onClose(ended);
    }
    this.allNamespaces.clear();
    this.byNamespace.clear();
    this.watcherCount = 0;
  }

  /** Applies a put from the store and fans it out. */
  put(obj: CachedObject<T>, created: boolean): void {
    const prev = this.objects.get(obj.key);
    this.objects.set(obj.key, obj);
    this.changeCount++;
    this.record({ type: created || !prev ? EventType.ADDED : EventType.MODIFIED, object: obj }, prev);
  }

  /** Applies a delete from the store at `revision` and fans it out. */
  delete(key: string, revision: number): void {
    const prev = this.objects.get(key);
    if (!prev) return;
    this.objects.delete(key);
    this.changeCount++;
    this.record({ type: EventType.DELETED, object: prev.atRevision(revision) }, prev);
  }

  private record(event: CacheEvent<T>, prev: CachedObject<T> | undefined): void {
    const revision = event.object.revision;
    this.window.push({ revision, event });
    if (this.window.length > this.windowSize) this.trim();
    this.dispatch(event, prev);
  }

  private trim(): void {
    // Drop whole revisions so that "every event after windowStart" stays true.
    const drop = this.window.length - this.windowSize;
    let cut = this.window[drop - 1].revision;
    let i = drop;
    while (i < this.window.length && this.window[i].revision === cut) i++;
    this.window = this.window.slice(i);
    this.windowStart = cut;
  }

  private dispatch(event: CacheEvent<T>, prev: CachedObject<T> | undefined): void {
    const ns = this.byNamespace.get(event.object.namespace);
    if (ns) for (const w of ns) deliver(w, event, prev);
    for (const w of this.allNamespaces) deliver(w, event, prev);
  }

  /** Sends a BOOKMARK at `revision` to every watcher that asked for bookmarks. */
  bookmark(revision: number): void {
    if (this.watcherCount === 0) return;
    const marker = this.bookmarkObject(revision);
    const event: CacheEvent<T> = { type: EventType.BOOKMARK, object: marker };
    for (const w of this.allNamespaces) if (w.bookmarks) w.listener.onEvent(event);
    for (const set of this.byNamespace.values()) for (const w of set) if (w.bookmarks) w.listener.onEvent(event);
  }

  private bookmarkObject(revision: number): CachedObject<T> {
    const object = this.kind.codec.fromPartial({
      api: this.kind.api,
      kind: this.kind.kind,
      metadata: { resourceVersion: String(revision) },
    } as never);
    return new CachedObject("", object, revision, this.kind.codec);
  }

  /**
   * Starts a watch at `currentRevision` (the store revision this cache has
   * reached). The caller has made sure `opts.afterRevision <= currentRevision`.
   * Replay, initial events and registration happen in one synchronous step, so
   * no event can fall between them.
   */
  watch(opts: WatchOptions, listener: WatchListener<T>, currentRevision: number): CacheWatch {
    const watcher: Watcher<T> = {
      namespace: this.kind.namespaced ? opts.namespace : "",
      selector: opts.selector && !opts.selector.isEmpty() ? opts.selector : undefined,
      listener,
      bookmarks: !!opts.allowBookmarks,
    };
    if (opts.sendInitialEvents) {
      for (const obj of this.list(watcher.namespace, watcher.selector)) {
        listener.onEvent({ type: EventType.ADDED, object: obj });
      }
      listener.onEvent({ type: EventType.BOOKMARK, object: this.bookmarkObject(currentRevision) });
    } else if (opts.afterRevision !== undefined) {
      if (opts.afterRevision < this.windowStart) {
        throw ApiError.expired(
          `resource version ${opts.afterRevision} is too old (oldest available: ${this.windowStart}); list again`,
        );
      }
      for (const { revision, event } of this.window) {
        if (revision <= opts.afterRevision) continue;
        if (watcher.namespace && event.object.namespace !== watcher.namespace) continue;
        // Label transitions need the previous version, which the window does not
        // keep per watcher; replayed events are filtered on their own labels.
        if (watcher.selector && !watcher.selector.matches(event.object.labels)) continue;
        listener.onEvent(event);
      }
    }
    this.add(watcher);
    let stopped = false;
    return {
      stop: () => {
        if (stopped) return;
        stopped = true;
        this.remove(watcher);
      },
    };
  }

  private add(w: Watcher<T>): void {
    if (w.namespace) {
      let set = this.byNamespace.get(w.namespace);
      if (!set) this.byNamespace.set(w.namespace, (set = new Set()));
      set.add(w);
    } else {
      this.allNamespaces.add(w);
    }
    this.watcherCount++;
  }

  private remove(w: Watcher<T>): void {
    const removed = w.namespace
      ? (this.byNamespace.get(w.namespace)?.delete(w) ?? false)
      : this.allNamespaces.delete(w);
    if (w.namespace && this.byNamespace.get(w.namespace)?.size === 0) this.byNamespace.delete(w.namespace);
    if (removed) this.watcherCount--;
  }
}

/**
 * A watcher with a label selector sees an object enter and leave its view as
 * ADDED and DELETED (Kubernetes semantics).
 */
function deliver<T extends KrakeObject>(w: Watcher<T>, event: CacheEvent<T>, prev: CachedObject<T> | undefined): void {
  if (!w.selector) {
    w.listener.onEvent(event);
    return;
  }
  const now = w.selector.matches(event.object.labels);
  if (event.type !== EventType.MODIFIED) {
    if (now) w.listener.onEvent(event);
    return;
  }
  const before = prev ? w.selector.matches(prev.labels) : false;
  if (now && before) w.listener.onEvent(event);
  else if (now) w.listener.onEvent({ type: EventType.ADDED, object: event.object });
  else if (before) w.listener.onEvent({ type: EventType.DELETED, object: event.object });
}
