import { randomUUID } from "node:crypto";
import type {
  MethodDefinition,
  sendUnaryData,
  ServerUnaryCall,
  ServerWritableStream,
  ServiceDefinition,
  UntypedServiceImplementation,
} from "@grpc/grpc-js";
import { ApiError, Status } from "../../errors/api-error.js";
import type { Descriptors } from "../../kinds/descriptors.js";
import { methodAccess } from "../auth/attributes.js";
import type { MethodAccess } from "../auth/attributes.js";
import type { KrakeObject } from "../objects/kind.js";
import type { Registry } from "../registry/registry.js";
import type { RequestContext } from "../registry/request-context.js";
import { encodeList, kindOperations } from "../operations.js";
import type { Fields } from "../operations.js";
import type { ErrorLogger } from "./errors.js";
import { toServiceError } from "./errors.js";
import { serveWatch } from "./watch-stream.js";
import type { WatchStreams } from "../watch-session.js";
import type { WatchStreamOptions } from "./watch-stream.js";

export { encodeList } from "../operations.js";

export interface KindServiceOptions {
  log: ErrorLogger;
  descriptors: Descriptors;
  watch: WatchStreamOptions;
  streams: WatchStreams;
  /** Builds the caller's context before authentication (request id). */
  context(call: ServerUnaryCall<Fields, unknown> | ServerWritableStream<Fields, unknown>): RequestContext;
  /**
   * Authenticates and authorizes a call before its operation runs (auth/):
   * the caller's context and, for a watch, a guard asked on every event.
   */
  admit?(call: ServerUnaryCall<Fields, unknown> | ServerWritableStream<Fields, unknown>, ctx: RequestContext, method: MethodAccess): Promise<Admitted>;
}

export interface Admitted {
  ctx: RequestContext;
  /** An error closes the watch with it. */
  guard?: () => ApiError | undefined;
}

/**
 * Serves one kind's generated gRPC service: the gRPC adapter of the shared
 * method → operation table (../operations.ts). Responses are the registry's
 * cached encodings, passed through without re-encoding.
 */
export function kindService<T extends KrakeObject>(
  registry: Registry<T>,
  opts: KindServiceOptions,
): { definition: ServiceDefinition; implementation: UntypedServiceImplementation } {
  const kind = registry.kind;
  const definition: Record<string, MethodDefinition<Fields, unknown>> = {};
  const implementation: UntypedServiceImplementation = {};
  const operations = kindOperations(registry, opts.descriptors);
  for (const [key, method] of Object.entries(kind.service as Record<string, MethodDefinition<Fields, unknown>>)) {
    definition[key] = undecodableAsValue(passThroughResponses(method));
    const { operation, rpc } = operations.get(method.path)!;
    const access = methodAccess(kind, rpc);
    const admit = (call: ServerUnaryCall<Fields, unknown> | ServerWritableStream<Fields, unknown>, ctx: RequestContext) =>
      opts.admit ? opts.admit(call, ctx, access) : Promise.resolve<Admitted>({ ctx });
    const unary = (op: (ctx: RequestContext, req: Fields) => Promise<Uint8Array>) =>
      (call: ServerUnaryCall<Fields, unknown>, callback: sendUnaryData<Uint8Array>) => {
        const ctx = opts.context(call);
        decodedFirst(call).then(() => admit(call, ctx)).then(({ ctx: admitted }) => op(admitted, call.request)).then(
          (bytes) => callback(null, bytes),
          (err: unknown) => callback(toServiceError(err, ctx.requestId, opts.log)),
        );
      };
    switch (operation.type) {
      case "object":
        implementation[key] = unary(async (ctx, req) => (await operation.run(ctx, req)).bytes);
        break;
      case "message":
        implementation[key] = unary(async (ctx, req) => method.responseSerialize(await operation.run(ctx, req)));
        break;
      case "list":
        implementation[key] = unary(async (ctx, req) =>
          encodeList(kind.api, `${kind.kind}List`, await operation.run(ctx, req)));
        break;
      case "watch":
        implementation[key] = (call: ServerWritableStream<Fields, unknown>) => {
          const ctx = opts.context(call);
          decodedFirst(call).then(() => admit(call, ctx)).then(
            ({ ctx: admitted, guard }) => serveWatch(registry, call, admitted, operation.request(call.request), { ...opts, guard }),
            (err: unknown) => call.emit("error", toServiceError(err, ctx.requestId, opts.log)),
          );
        };
        break;
    }
  }
  return { definition: definition as ServiceDefinition, implementation };
}

/**
 * A request that does not decode. grpc-js answers a throwing deserializer
 * with INTERNAL before any handler runs; the client sent the bad bytes, so the
 * handler gets this instead and answers INVALID_ARGUMENT, before admission
 * (which reads the request's fields).
 */
class UndecodableRequest {
  constructor(readonly error: ApiError) {}
}

function undecodableAsValue(method: MethodDefinition<Fields, unknown>): MethodDefinition<Fields, unknown> {
  const decode = method.requestDeserialize;
  return {
    ...method,
    requestDeserialize: (bytes: Buffer) => {
      try {
        return decode(bytes);
      } catch (err) {
        return new UndecodableRequest(decodeError(err)) as unknown as Fields;
      }
    },
  };
}

function decodeError(err: unknown): ApiError {
  const stack = err instanceof RangeError;
  const depth = err instanceof Error && /recursion/i.test(err.message);
  const why = stack || depth ? "it nests deeper than protobuf's recursion limit of 100 messages"
    : err instanceof Error ? err.message.replace(/[^\x20-\x7e]/g, "?").slice(0, 200) : "malformed protobuf";
  return new ApiError(Status.INVALID_ARGUMENT, "BadRequest", `the request message cannot be decoded: ${why}`);
}

/** Resolves when the call's request decoded; rejects with why it did not. */
function decodedFirst(call: { request: Fields }): Promise<void> {
  const request: unknown = call.request;
  return request instanceof UndecodableRequest ? Promise.reject(request.error) : Promise.resolve();
}

/** Responses that are already bytes go out as they are. */
function passThroughResponses(method: MethodDefinition<Fields, unknown>): MethodDefinition<Fields, unknown> {
  const encode = method.responseSerialize;
  return {
    ...method,
    responseSerialize: (value: unknown) =>
      value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : encode(value),
  };
}

export function newRequestId(): string {
  return randomUUID();
}
