import type { Server, ServerWritableStream, ServiceDefinition, UntypedServiceImplementation } from "@grpc/grpc-js";
import { ApiError } from "../../errors/api-error.js";
import type { KrakeObject } from "../registry/kind.js";
import type { Registry, WatchRequest } from "../registry/registry.js";
import type { RequestContext } from "../registry/request-context.js";
import type { CacheWatch } from "../watchcache/kind-cache.js";
import type { ErrorLogger } from "./errors.js";
import { toServiceError } from "./errors.js";

export interface WatchStreamOptions {
  /** Events written but not yet taken by the transport before a watcher is dropped as too slow. */
  maxPendingEvents: number;
}

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

  /** Ends every stream cleanly (status OK): clients resume from their last version elsewhere. */
  endAll(): void {
    for (const end of [...this.open]) end();
  }
}

/**
 * One gRPC Watch stream: events come from the watch cache already encoded
 * (one encoding shared by every watcher) and are written as they are. A
 * watcher whose client does not keep up is closed with RESOURCE_EXHAUSTED
 * instead of buffering without bound or slowing the others.
 */
export function serveWatch<T extends KrakeObject>(
  registry: Registry<T>,
  call: ServerWritableStream<Record<string, unknown>, unknown>,
  ctx: RequestContext,
  req: WatchRequest,
  opts: { watch: WatchStreamOptions; streams: WatchStreams; log: ErrorLogger; guard?: () => ApiError | undefined },
): void {
  let watch: CacheWatch | undefined;
  let done = false;
  let pending = 0;
  const written = () => {
    pending--;
  };
  const finish = (err?: unknown) => {
    if (done) return;
    done = true;
    watch?.stop();
    unregister();
    if (err === undefined) call.end();
    else call.emit("error", toServiceError(err, ctx.requestId, opts.log));
  };
  const unregister = opts.streams.add(() => finish());
  const abandon = () => {
    // The client is gone: release the watcher, write nothing.
    done = true;
    watch?.stop();
    unregister();
  };
  call.on("cancelled", abandon);
  call.on("error", abandon);
  registry
    .watch(ctx, req, {
      onEvent(event) {
        if (done) return;
        // Still allowed? (O(1) unless a Role or RoleBinding changed.)
        const denied = opts.guard?.();
        if (denied) {
          finish(denied);
          return;
        }
        if (pending >= opts.watch.maxPendingEvents) {
          finish(ApiError.tooManyRequests("the watch client is too slow; watch again from the last version seen"));
          return;
        }
        pending++;
        call.write(event.object.frame(event.type), written);
      },
      onClose(err) {
        finish(err);
      },
    })
    .then(
      (w) => {
        watch = w;
        if (done) w.stop();
      },
      (err: unknown) => finish(err),
    );
}

/**
 * A stand-in for `server` when adding services whose streaming calls should
 * end cleanly (status OK) on `streams.endAll()`, as watches do: a client-side
 * health check keeps a Health/Watch open, which would otherwise hold every
 * shutdown for its whole grace period.
 */
export function endedOnShutdown(server: Pick<Server, "addService">, streams: WatchStreams): Pick<Server, "addService"> {
  return {
    addService(service: ServiceDefinition, implementation: UntypedServiceImplementation) {
      const wrapped: UntypedServiceImplementation = {};
      for (const [name, method] of Object.entries(service)) {
        const handler = implementation[name] ?? (method.originalName ? implementation[method.originalName] : undefined);
        if (!handler) continue;
        if (!method.responseStream) {
          wrapped[name] = handler;
          continue;
        }
        wrapped[name] = (call: ServerWritableStream<unknown, unknown>) => {
          let ended = false;
          const unregister = streams.add(() => {
            if (ended) return;
            ended = true;
            call.end();
          });
          call.on("cancelled", unregister);
          call.on("close", unregister);
          (handler as (c: ServerWritableStream<unknown, unknown>) => void)(call);
        };
      }
      server.addService(service, wrapped);
    },
  };
}
