import type { Server, ServerWritableStream, ServiceDefinition, UntypedServiceImplementation } from "@grpc/grpc-js";
import type { ApiError } from "../../errors/api-error.js";
import type { KrakeObject } from "../objects/kind.js";
import type { Registry, WatchRequest } from "../registry/registry.js";
import type { RequestContext } from "../registry/request-context.js";
import { watchSession } from "../watch-session.js";
import type { WatchStreams } from "../watch-session.js";
import type { ErrorLogger } from "./errors.js";
import { toServiceError } from "./errors.js";


export interface WatchStreamOptions {
  /** Events written but not yet taken by the transport before a watcher is dropped as too slow. */
  maxPendingEvents: number;
}

/**
 * One gRPC Watch stream: events come from the watch cache already encoded
 * (one encoding shared by every watcher) and are written as they are; the
 * session (../watch-session.ts) does the rest.
 */
export function serveWatch<T extends KrakeObject>(
  registry: Registry<T>,
  call: ServerWritableStream<Record<string, unknown>, unknown>,
  ctx: RequestContext,
  req: WatchRequest,
  opts: { watch: WatchStreamOptions; streams: WatchStreams; log: ErrorLogger; guard?: () => ApiError | undefined },
): void {
  const session = watchSession(registry, ctx, req, { ...opts.watch, streams: opts.streams, guard: opts.guard }, {
    start() {},
    write: (event, taken) => call.write(event.object.frame(event.type), taken),
    end(err) {
      if (err === undefined) call.end();
      else call.emit("error", toServiceError(err, ctx.requestId, opts.log));
    },
  });
  // The client is gone: release the watcher, write nothing.
  call.on("cancelled", () => session.abandon());
  call.on("error", () => session.abandon());
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
