import type { ServerResponse } from "node:http";
import { ApiError, Status } from "../../errors/api-error.js";
import type { WatchStreams } from "../grpc/watch-stream.js";
import type { KrakeObject } from "../registry/kind.js";
import type { Registry, WatchRequest } from "../registry/registry.js";
import type { RequestContext } from "../registry/request-context.js";
import type { CacheEvent, CacheWatch } from "../watchcache/kind-cache.js";

export interface HttpWatchOptions {
  /** Empty line every so often so that proxies and clients see a live stream; 0 = none. */
  heartbeatMs: number;
  /** Lines written but not yet flushed to the socket before the watcher is dropped as too slow. */
  maxPendingEvents: number;
  streams: WatchStreams;
  /** The encoded line of an event, shared by every watcher. */
  line(event: CacheEvent): Buffer;
  /** The final `{"type":"ERROR","object":<problem>}` line. */
  errorLine(err: unknown): string;
  /** Response headers of the stream (content type, request id, CORS). */
  headers: string[];
  /** The watch could not start: answer with a problem document instead. */
  fail(err: unknown): void;
  /** The stream has started (its headers are out). */
  started(): void;
  /** Asked on every event: an error ends the stream with it (the caller's access was revoked). */
  guard?: () => ApiError | undefined;
}

/**
 * One watch over HTTP: chunked `application/x-ndjson`, one event per line, as
 * Krake streams them. Events come from the watch cache already encoded.
 * Errors before the stream starts are answered as problems, except an expired
 * resource version, which (as in Kubernetes) is a 200 stream with a single
 * ERROR line so that clients handle expiry the same way wherever it happens.
 * Later errors end the stream with an ERROR line. A client that does not keep
 * up is ended with RESOURCE_EXHAUSTED; a client that goes away releases the
 * cache watcher at once.
 */
export function serveHttpWatch<T extends KrakeObject>(
  res: ServerResponse,
  registry: Registry<T>,
  ctx: RequestContext,
  request: WatchRequest,
  opts: HttpWatchOptions,
): void {
  let watch: CacheWatch | undefined;
  let started = false;
  let done = false;
  let pending = 0;
  let corked = false;
  let early: CacheEvent<T>[] | undefined = [];
  let heartbeat: NodeJS.Timeout | undefined;
  const flushed = () => {
    pending--;
  };
  const uncork = () => {
    corked = false;
    res.uncork();
  };
  const write = (chunk: Buffer | string, counted: boolean) => {
    if (!corked) {
      corked = true;
      res.cork();
      process.nextTick(uncork);
    }
    if (counted) {
      pending++;
      res.write(chunk, flushed);
    } else {
      res.write(chunk);
    }
  };
  const release = () => {
    done = true;
    if (heartbeat) clearInterval(heartbeat);
    watch?.stop();
    unregister();
  };
  const finish = (err?: unknown) => {
    if (done) return;
    release();
    if (!started) {
      if (err === undefined) res.end();
      else opts.fail(err);
      return;
    }
    try {
      if (err !== undefined) write(opts.errorLine(err), false);
      res.end();
    } catch {
      // the ERROR line itself failed: the stream can only be cut
      res.destroy();
    }
  };
  // Runs in the watch cache's fan-out, outside any request: a fault here ends this stream, nothing else.
  const deliver = (event: CacheEvent<T>) => {
    if (done) return;
    try {
      const denied = opts.guard?.();
      if (denied) {
        finish(denied);
        return;
      }
      if (pending >= opts.maxPendingEvents) {
        finish(ApiError.tooManyRequests("the watch client is too slow; watch again from the last version seen"));
        return;
      }
      write(opts.line(event as CacheEvent), true);
    } catch (err) {
      finish(err);
    }
  };
  const start = () => {
    started = true;
    res.writeHead(200, opts.headers);
    res.flushHeaders();
    opts.started();
    if (opts.heartbeatMs > 0) heartbeat = setInterval(() => write("\n", false), opts.heartbeatMs);
  };
  const unregister = opts.streams.add(() => finish());
  res.on("close", () => {
    // The client is gone (or the stream ended): release the watcher, write nothing.
    if (!done) release();
  });
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
        start();
        const replay = early ?? [];
        early = undefined;
        for (const event of replay) deliver(event);
      },
      (err: unknown) => {
        if (done) return;
        if (err instanceof ApiError && err.code === Status.OUT_OF_RANGE) start();
        finish(err);
      },
    )
    .catch((err: unknown) => finish(err));
}
