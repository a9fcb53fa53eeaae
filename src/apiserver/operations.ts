import type { DescMessage } from "@bufbuild/protobuf";
import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";
import { BinaryWriter } from "@bufbuild/protobuf/wire";
import { ApiError } from "../errors/api-error.js";
import type { Descriptors } from "../kinds/descriptors.js";
import { serviceMethods } from "../kinds/methods.js";
import { RequestChecker } from "./request-limits.js";
import type { CachedObject } from "./objects/cached-object.js";
import type { KrakeObject } from "./objects/kind.js";
import type { ListPage, Registry, WatchRequest } from "./registry/registry.js";
import type { RequestContext } from "./registry/request-context.js";

/** A decoded request message as the operations read it (ts-proto's camelCase fields). */
export type Fields = Record<string, unknown>;

/**
 * What one RPC does, independent of the transport: gRPC and REST decode the
 * request their own way, run the same operation and encode its result.
 */
export type Operation<T extends KrakeObject = KrakeObject> =
  /** Answers with one object (create, get, update, status, delete, subresources). */
  | { type: "object"; run(ctx: RequestContext, req: Fields): Promise<CachedObject<T>> }
  /** Answers with a message of the method's response type, a ts-proto object (actions). */
  | { type: "message"; run(ctx: RequestContext, req: Fields): Promise<object> }
  /** Answers with a page of objects. */
  | { type: "list"; run(ctx: RequestContext, req: Fields): Promise<ListPage<T>> }
  /** A server stream of events; the transport runs `registry.watch` with this request. */
  | { type: "watch"; request(req: Fields): WatchRequest };

/** One method of a kind's generated service with the operation that serves it. */
export interface MethodOperation<T extends KrakeObject = KrakeObject> {
  /** The grpc-js method definition (path, codecs, streaming flags). */
  method: MethodDefinition<Fields, unknown>;
  /** The RPC name: "CreateApplication". */
  rpc: string;
  operation: Operation<T>;
}

/**
 * The method → operation table of one kind, by gRPC method path
 * ("/krake.kubernetes.v1.ApplicationService/CreateApplication"). Methods are
 * matched to registry operations by their AIP names; a method without an
 * operation is a startup error, not a runtime surprise. Every request is
 * checked against the limits both transports share (request-limits.ts) before
 * its operation runs.
 */
export function kindOperations<T extends KrakeObject>(registry: Registry<T>, descriptors: Descriptors): Map<string, MethodOperation<T>> {
  const kind = registry.kind;
  const ns = (req: Fields) => str(req.namespace);
  const out = new Map<string, MethodOperation<T>>();
  const service = kind.service as ServiceDefinition as Record<string, MethodDefinition<Fields, unknown>>;
  for (const [key, resolved] of serviceMethods(kind, service)) {
    const method = service[key];
    const body = (req: Fields) => (resolved.bodyField ? req[resolved.bodyField] : undefined) as T | undefined;
    const object = (run: (ctx: RequestContext, req: Fields) => Promise<CachedObject<T>>): Operation<T> => ({ type: "object", run });
    let operation: Operation<T>;
    switch (resolved.verb) {
      case "create":
        operation = object((ctx, req) => registry.create(ctx, ns(req), body(req), str(req.blocking)));
        break;
      case "get":
        operation = object((ctx, req) => registry.get(ctx, ns(req), str(req.name)));
        break;
      case "list":
        operation = {
          type: "list",
          run: (ctx, req) =>
            registry.list(ctx, ns(req), {
              labelSelector: str(req.labelSelector),
              limit: Number(req.limit ?? 0),
              continueToken: str(req.continue),
            }),
        };
        break;
      case "updateStatus":
        operation = object((ctx, req) => registry.updateStatus(ctx, ns(req), str(req.name), body(req)));
        break;
      case "update":
        operation = object((ctx, req) => registry.update(ctx, ns(req), str(req.name), body(req), str(req.blocking)));
        break;
      case "delete":
        operation = object((ctx, req) =>
          registry.delete(ctx, ns(req), str(req.name), {
            resourceVersion: str(req.resourceVersion),
            force: req.force === true,
            propagationPolicy: str(req.propagationPolicy),
            blocking: str(req.blocking),
          }));
        break;
      case "watch":
        operation = {
          type: "watch",
          request: (req) => ({
            namespace: ns(req),
            labelSelector: str(req.labelSelector),
            resourceVersion: str(req.resourceVersion),
            allowBookmarks: req.allowBookmarks === true,
            sendInitialEvents: req.sendInitialEvents === true,
          }),
        };
        break;
      case "subresource": {
        const sub = kind.subresources?.find((s) => s.name === resolved.subresource);
        if (!sub) throw new Error(`${method.path}: no registry operation serves this method`);
        operation = object((ctx, req) => registry.subresource(ctx, ns(req), str(req.name), sub, body(req), str(req.resourceVersion)));
        break;
      }
      case "action": {
        const action = kind.actions?.find((a) => a.name === resolved.action);
        if (!action) throw new Error(`${method.path}: no registry operation serves this method`);
        operation = { type: "message", run: (ctx, req) => registry.action(ctx, ns(req), action, body(req)) };
        break;
      }
    }
    out.set(method.path, { method, rpc: resolved.rpc, operation: checked(operation, descriptors.method(method.path).input, kind.kind) });
  }
  return out;
}

const checker = new RequestChecker();

/**
 * The operation with the request checked first. Errors inside the request's
 * body message are reported from the object's root (`spec.manifest[0]`), as
 * validation reports them, on both transports.
 */
function checked<T extends KrakeObject>(operation: Operation<T>, input: DescMessage, kind: string): Operation<T> {
  const bodies = input.fields.filter((f) => f.fieldKind === "message");
  const check = (req: Fields) => {
    const errors = checker.check(input, req);
    if (!errors.length) return;
    const body = bodies.find((f) => errors[0].field.startsWith(`${f.name}.`));
    const relative = body ? errors.map((e) => ({ ...e, field: e.field.replace(`${body.name}.`, "") })) : errors;
    const object = body ? (req[body.localName] as { metadata?: { name?: unknown } } | undefined) : undefined;
    const name = typeof req.name === "string" && req.name ? req.name : object?.metadata?.name;
    throw ApiError.invalid(kind, typeof name === "string" ? name : "", relative);
  };
  switch (operation.type) {
    case "object":
      return { type: "object", run: async (ctx, req) => (check(req), operation.run(ctx, req)) };
    case "message":
      return { type: "message", run: async (ctx, req) => (check(req), operation.run(ctx, req)) };
    case "list":
      return { type: "list", run: async (ctx, req) => (check(req), operation.run(ctx, req)) };
    case "watch":
      return { type: "watch", request: (req) => (check(req), operation.request(req)) };
  }
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

function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}
