import { ApiError } from "../errors/api-error.js";
import type { KrakeObject } from "./objects/kind.js";
import type { Registry, WatchRequest } from "./registry/registry.js";
import type { RequestContext } from "./registry/request-context.js";
import type { CacheEvent, CacheWatch } from "./watchcache/kind-cache.js";

/** The open watch streams of a server, so that shutdown can end them. */
export class WatchStreams {
  private readonly open = new Set<() => void>();

  get size(): number {
    return this.open.size;
  }

  add(end: () => void): () => void {
    this.open.add(end);
    return () => this.open.delete(end);
  }

  /** Ends every stream cleanly: clients resume from their last version elsewhere. */
  endAll(): void {
    for (const end of [...this.open]) end();
  }
}

/** What a transport does with one watch: its framing, headers and status. */
export interface WatchSink<T extends KrakeObject> {
  /** The watch is registered: the stream begins (headers, if the transport has any). */
  start(): void;
  /** Writes one event; `taken` runs once the transport has taken it off the process' hands. */
  write(event: CacheEvent<T>, taken: () => void): void;
  /**
   * The stream ends: cleanly (`err` undefined) or with an error. `started`
   * says whether start() ran: a transport may answer an error before the
   * stream began in its own way (a problem document instead of a stream).
   */
  end(err: unknown, started: boolean): void;
}

export interface WatchSessionOptions {
  /** Events written but not yet taken by the transport before a watcher is dropped as too slow. */
  maxPendingEvents: number;
  streams: WatchStreams;
  /** Asked on every event: an error ends the stream with it (the caller's access was revoked). */
  guard?: () => ApiError | undefined;
}

/** The session's handle for the transport. */
export interface WatchSession {
  /** The client went away: release the watcher, write nothing more. */
  abandon(): void;
}

/**
 * One watch, the same for every transport: registers with the watch cache,
 * holds back events that arrive before the stream began, asks the access
 * guard on every event (O(1) unless a Role or RoleBinding changed), drops a
 * client that does not keep up with RESOURCE_EXHAUSTED instead of buffering
 * without bound or slowing the others, and ends on shutdown. A fault while
 * delivering an event (it runs in the cache's fan-out, outside any request)
 * ends this stream alone.
 */
export function watchSession<T extends KrakeObject>(
  registry: Registry<T>,
  ctx: RequestContext,
  request: WatchRequest,
  opts: WatchSessionOptions,
  sink: WatchSink<T>,
): WatchSession {
  let watch: CacheWatch | undefined;
  let started = false;
  let done = false;
  let pending = 0;
  let early: CacheEvent<T>[] | undefined = [];
  const taken = () => {
    pending--;
  };
  const release = () => {
    done = true;
    watch?.stop();
    unregister();
  };
  const finish = (err?: unknown) => {
    if (done) return;
    release();
    sink.end(err, started);
  };
  const deliver = (event: CacheEvent<T>) => {
    if (done) return;
    try {
      const denied = opts.guard?.();
      if (denied) return finish(denied);
      if (pending >= opts.maxPendingEvents) {
        return finish(ApiError.tooManyRequests("the watch client is too slow; watch again from the last version seen"));
      }
      pending++;
      sink.write(event, taken);
    } catch (err) {
      finish(err);
    }
  };
  const unregister = opts.streams.add(() => finish());
  registry
    .watch(ctx, request, {
      onEvent(event) {
        if (early) early.push(event);
        else deliver(event);
      },
      onClose(err) {
        finish(err);
      },
    })
    .then(
      (w) => {
        watch = w;
        if (done) {
          w.stop();
          return;
        }
        started = true;
        sink.start();
        const replay = early ?? [];
        early = undefined;
        for (const event of replay) deliver(event);
      },
      (err: unknown) => finish(err),
    )
    .catch((err: unknown) => finish(err));
  return {
    abandon() {
      if (!done) release();
    },
  };
}
