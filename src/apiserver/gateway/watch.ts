import type { ServerResponse } from "node:http";
import { Status } from "../../errors/api-error.js";
import type { ApiError } from "../../errors/api-error.js";
import type { KrakeObject } from "../objects/kind.js";
import type { Registry, WatchRequest } from "../registry/registry.js";
import type { RequestContext } from "../registry/request-context.js";
import type { CacheEvent } from "../watchcache/kind-cache.js";
import { watchSession } from "../watch-session.js";
import type { WatchStreams } from "../watch-session.js";

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
 * Krake streams them; the session (../watch-session.ts) does the rest. Errors
 * before the stream starts are answered as problems, except an expired
 * resource version, which (as in Kubernetes) is a 200 stream with a single
 * ERROR line so that clients handle expiry the same way wherever it happens.
 * Later errors end the stream with an ERROR line, for clients that use
 * Kubernetes' watch (a `resource_version` to resume from, initial events or
 * bookmarks). Krake's clients send none of these, and Krake's watcher raises
 * on any event type but ADDED, MODIFIED and DELETED: their stream is closed
 * without an ERROR line, which they take as the end of the watch (they list
 * and watch again).
 */
export function serveHttpWatch<T extends KrakeObject>(
  res: ServerResponse,
  registry: Registry<T>,
  ctx: RequestContext,
  request: WatchRequest,
  opts: HttpWatchOptions,
): void {
  let heartbeat: NodeJS.Timeout | undefined;
  let corked = false;
  const kubernetesStyle = (request.resourceVersion ?? "") !== "" || request.sendInitialEvents === true || request.allowBookmarks === true;
  const uncork = () => {
    corked = false;
    res.uncork();
  };
  // Lines written in one turn of the event loop go out in one chunk.
  const write = (chunk: Buffer | string, taken?: () => void) => {
    if (!corked) {
      corked = true;
      res.cork();
      process.nextTick(uncork);
    }
    if (taken) res.write(chunk, taken);
    else res.write(chunk);
  };
  const begin = () => {
    res.writeHead(200, opts.headers);
    res.flushHeaders();
    opts.started();
    if (opts.heartbeatMs > 0) heartbeat = setInterval(() => write("\n"), opts.heartbeatMs);
  };
  const session = watchSession(registry, ctx, request, opts, {
    start: begin,
    write: (event, taken) => write(opts.line(event as CacheEvent), taken),
    end(err, started) {
      if (heartbeat) clearInterval(heartbeat);
      const expired = (err as ApiError | undefined)?.code === Status.OUT_OF_RANGE;
      if (!started && err !== undefined && !expired) return opts.fail(err);
      try {
        if (!started) begin();
        if (err !== undefined && kubernetesStyle) write(opts.errorLine(err));
        res.end();
      } catch {
        // the ERROR line itself failed: the stream can only be cut
        res.destroy();
      }
    },
  });
  res.on("close", () => {
    if (heartbeat) clearInterval(heartbeat);
    session.abandon();
  });
}
