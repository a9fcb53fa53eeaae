import { EventType } from "../../gen/krake/core/v1/watch.js";
import type { KrakeObject } from "../kinds/object.js";
import { Backoff } from "./backoff.js";
import type { Clock, TimerHandle } from "./clock.js";
import { realClock, sleep } from "./clock.js";
import { isExpired } from "./grpc-codes.js";
import type { KindClient, WatchEvent, WatchOptions } from "./kind-client.js";

export interface ResumableWatchOptions extends Omit<WatchOptions, "resourceVersion" | "allowBookmarks"> {
  /** The version to watch from (a list's), "" for "now". */
  resourceVersion: string;
  /** Ends the watch: the iteration returns. */
  signal: AbortSignal;
  clock?: Clock;
  random?: () => number;
  /** Wait before watching again after a failed stream; doubles up to the max, back to the start after an event. */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** Neither an event nor a bookmark for this long: watch again from the last version. 0 = never. */
  idleTimeoutMs?: number;
  /** Called when a stream opens; `resumed` when it continues from a version an earlier stream reached. */
  onStream?(resumed: boolean): void;
  /** Called when a stream failed and the watch waits `delayMs` before watching again. */
  onRetry?(err: unknown, delayMs: number): void;
  /** Called when a stream went idle and is replaced. */
  onIdle?(): void;
}

/**
 * A watch that outlives its streams. It asks for bookmarks and remembers the
 * last version it saw (events and bookmarks), and when a stream ends, breaks
 * or goes idle it watches again from there, with backoff after failures: the
 * API's resumable watch neither drops nor repeats an event across the seam.
 * It yields every event, bookmarks included (their object carries only the
 * version), and ends when the signal aborts. It throws what only the caller can
 * fix: OUT_OF_RANGE (the version is older than the API's history: list
 * again, client-go's "too old resource version") and an ERROR event.
 */
export async function* resumableWatch<T extends KrakeObject>(client: KindClient<T>, opts: ResumableWatchOptions): AsyncGenerator<WatchEvent<T>> {
  const clock = opts.clock ?? realClock;
  const idleTimeoutMs = opts.idleTimeoutMs ?? 90_000;
  const backoff = new Backoff(opts.backoffInitialMs ?? 200, opts.backoffMaxMs ?? 10_000, opts.random);
  const { signal } = opts;
  let version = opts.resourceVersion;
  let streams = 0;
  let failure: unknown;
  while (!signal.aborted) {
    const stream = client.watch(
      {
        namespace: opts.namespace ?? "",
        labelSelector: opts.labelSelector ?? "",
        resourceVersion: version,
        allowBookmarks: true,
        sendInitialEvents: streams === 0 && (opts.sendInitialEvents ?? false),
      },
      { signal },
    );
    opts.onStream?.(streams++ > 0);
    let idle = false;
    let timer: TimerHandle | undefined;
    const arm = () => {
      timer?.cancel();
      if (idleTimeoutMs > 0)
        timer = clock.setTimer(() => {
          idle = true;
          stream.cancel();
        }, idleTimeoutMs);
    };
    arm();
    let received = false;
    try {
      for await (const ev of stream) {
        arm();
        received = true;
        backoff.reset();
        if (ev.type === EventType.ERROR) throw new Error(`${client.kind.kind}: the watch reported an error`);
        const seen = ev.object?.metadata?.resourceVersion;
        if (seen) version = seen;
        yield ev;
      }
      // The server ended the stream (its watch timeout): go on at once, unless it ended one that never delivered.
      if (received) continue;
      failure = new Error(`${client.kind.kind}: the watch ended before its first event`);
    } catch (err) {
      if (signal.aborted) return;
      if (idle) {
        opts.onIdle?.();
        continue;
      }
      if (isExpired(err) || !isStreamError(err)) throw err;
      failure = err;
    } finally {
      timer?.cancel();
      stream.cancel();
    }
    const delay = backoff.next();
    opts.onRetry?.(failure, delay);
    try {
      await sleep(clock, delay, signal);
    } catch {
      return;
    }
  }
}

/** An error of the stream (it has a gRPC code), not one thrown while handling an event. */
function isStreamError(err: unknown): boolean {
  return typeof (err as { code?: unknown } | null)?.code === "number";
}
