import { randomUUID } from "node:crypto";
import type {
  MethodDefinition,
  sendUnaryData,
  ServerUnaryCall,
  ServerWritableStream,
  ServiceDefinition,
  UntypedServiceImplementation,
} from "@grpc/grpc-js";
import { BinaryWriter } from "@bufbuild/protobuf/wire";
import type { KrakeObject } from "../registry/kind.js";
import type { ListPage, Registry } from "../registry/registry.js";
import type { RequestContext } from "../registry/request-context.js";
import type { ErrorLogger } from "./errors.js";
import { toServiceError } from "./errors.js";
import { serveWatch } from "./watch-stream.js";
import type { WatchStreamOptions, WatchStreams } from "./watch-stream.js";

/** Request messages as the generic handlers read them (ts-proto's camelCase fields). */
type Fields = Record<string, unknown>;

export interface KindServiceOptions {
  log: ErrorLogger;
  watch: WatchStreamOptions;
  streams: WatchStreams;
  /** Builds the caller's context (authentication lands here). */
  context(call: ServerUnaryCall<Fields, unknown> | ServerWritableStream<Fields, unknown>): RequestContext;
}

/**
 * Serves one kind's generated gRPC service from the generic registry. Methods
 * are matched to registry operations by their AIP names; a method without an
 * operation is a startup error, not a runtime surprise. Responses are the
 * registry's cached encodings, passed through without re-encoding.
 */
export function kindService<T extends KrakeObject>(
  registry: Registry<T>,
  opts: KindServiceOptions,
): { definition: ServiceDefinition; implementation: UntypedServiceImplementation } {
  const kind = registry.kind;
  const bodyField = lowerCamel(kind.kind);
  const definition: Record<string, MethodDefinition<Fields, unknown>> = {};
  const implementation: UntypedServiceImplementation = {};
  for (const [key, method] of Object.entries(kind.service as Record<string, MethodDefinition<Fields, unknown>>)) {
    definition[key] = passThroughResponses(method);
    const rpc = method.path.slice(method.path.lastIndexOf("/") + 1);
    const unary = (op: (ctx: RequestContext, req: Fields) => Promise<Uint8Array>) =>
      (call: ServerUnaryCall<Fields, unknown>, callback: sendUnaryData<Uint8Array>) => {
        const ctx = opts.context(call);
        op(ctx, call.request).then(
          (bytes) => callback(null, bytes),
          (err: unknown) => callback(toServiceError(err, ctx.requestId, opts.log)),
        );
      };
    const ns = (req: Fields) => str(req.namespace);
    if (rpc === `Create${kind.kind}`) {
      implementation[key] = unary(async (ctx, req) =>
        (await registry.create(ctx, ns(req), req[bodyField] as T | undefined, str(req.blocking))).bytes);
    } else if (rpc === `Get${kind.kind}`) {
      implementation[key] = unary(async (ctx, req) => (await registry.get(ctx, ns(req), str(req.name))).bytes);
    } else if (rpc.startsWith("List")) {
      implementation[key] = unary(async (ctx, req) => {
        const page = await registry.list(ctx, ns(req), {
          labelSelector: str(req.labelSelector),
          limit: Number(req.limit ?? 0),
          continueToken: str(req.continue),
        });
        return encodeList(kind.api, `${kind.kind}List`, page);
      });
    } else if (rpc === `Update${kind.kind}Status`) {
      implementation[key] = unary(async (ctx, req) =>
        (await registry.updateStatus(ctx, ns(req), str(req.name), req[bodyField] as T | undefined)).bytes);
    } else if (rpc === `Update${kind.kind}`) {
      implementation[key] = unary(async (ctx, req) =>
        (await registry.update(ctx, ns(req), str(req.name), req[bodyField] as T | undefined)).bytes);
    } else if (rpc === `Delete${kind.kind}`) {
      implementation[key] = unary(async (ctx, req) =>
        (await registry.delete(ctx, ns(req), str(req.name), {
          resourceVersion: str(req.resourceVersion),
          force: req.force === true,
          propagationPolicy: str(req.propagationPolicy),
          blocking: str(req.blocking),
        })).bytes);
    } else if (rpc.startsWith("Watch")) {
      implementation[key] = (call: ServerWritableStream<Fields, unknown>) => {
        const req = call.request;
        serveWatch(registry, call, opts.context(call), {
          namespace: ns(req),
          labelSelector: str(req.labelSelector),
          resourceVersion: str(req.resourceVersion),
          allowBookmarks: req.allowBookmarks === true,
          sendInitialEvents: req.sendInitialEvents === true,
        }, opts);
      };
    } else {
      const sub = kind.subresources?.find((s) => rpc === `${s.verb}${kind.kind}`);
      if (!sub) throw new Error(`${method.path}: no registry operation serves this method`);
      implementation[key] = unary(async (ctx, req) =>
        (await registry.subresource(ctx, ns(req), str(req.name), sub, sub.bodyField ? req[sub.bodyField] : undefined,
          str(req.resourceVersion))).bytes);
    }
  }
  return { definition: definition as ServiceDefinition, implementation };
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

/** List<Kind>sResponse {api=1, kind=2, metadata=3 {continue=1, resource_version=2, remaining_item_count=3}, items=4}, from cached item bytes. */
export function encodeList<T extends KrakeObject>(api: string, listKind: string, page: ListPage<T>): Uint8Array {
  const w = new BinaryWriter();
  w.uint32(10).string(api).uint32(18).string(listKind);
  w.uint32(26).fork();
  if (page.continueToken) w.uint32(10).string(page.continueToken);
  w.uint32(18).string(String(page.revision));
  if (page.remaining) w.uint32(24).int64(page.remaining);
  w.join();
  for (const item of page.items) w.uint32(34).bytes(item.bytes);
  return w.finish();
}

export function lowerCamel(kind: string): string {
  return kind.charAt(0).toLowerCase() + kind.slice(1);
}

function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

export function newRequestId(): string {
  return randomUUID();
}
