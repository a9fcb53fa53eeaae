import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { IncomingMessage, Server as HttpServer, ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { ApiError, Status } from "../../errors/api-error.js";
import { serverTlsOptions, tlsEnabled } from "../auth/tls.js";
import type { TlsListenerConfig } from "../auth/tls.js";
import { WatchStreams } from "../watch-session.js";
import type { Fields } from "../operations.js";
import type { AnyKind, KrakeObject } from "../objects/kind.js";
import type { Registry, WatchRequest } from "../registry/registry.js";
import { requestIdFrom } from "../registry/request-context.js";
import type { RequestContext } from "../registry/request-context.js";
import type { StoreCache } from "../watchcache/store-cache.js";
import { buildRoutes } from "./bindings.js";
import type { Binding, RouteTarget } from "./bindings.js";
import { Builtins } from "./builtins.js";
import { Cors } from "./cors.js";
import { Descriptors } from "../../kinds/descriptors.js";
import { JsonDecoder } from "./json/decode.js";
import { JsonEncoder } from "./json/encode.js";
import { applyMergePatch, isObject, protoNamedPatch } from "./merge-patch.js";
import type { ApiMetrics } from "../metrics.js";
import { HttpError, toProblem } from "./problem.js";
import type { Problem, ProblemLogger } from "./problem.js";
import { defaultMaxBodyBytes, isJsonMediaType, mediaType, readJsonBody } from "./request-body.js";
import type { Router } from "./router.js";
import { serveHttpWatch } from "./watch.js";

/** The `http` section of krake-api's configuration. */
export interface HttpConfig {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** CORS: "*" or a comma-separated list of origins. */
  corsOrigin: string;
  maxBodyBytes: number;
  /** HTTPS with these settings (auth/tls.ts); plaintext without a cert. */
  tls?: TlsListenerConfig;
  /** /metrics without authentication. */
  publicMetrics?: boolean;
}

/** One RPC about to run, as the authorization hooks see it. */
export interface CallInfo {
  kind: AnyKind;
  rpc: string;
  request: Fields;
}

export interface GatewayLogger extends ProblemLogger {
  info(fields: Record<string, unknown>, msg: string): void;
}

export interface GatewayOptions {
  http: Partial<HttpConfig>;
  registries: Iterable<Registry<KrakeObject>>;
  cache: StoreCache;
  log: GatewayLogger;
  metrics: ApiMetrics;
  /** Watch lines written but not flushed before a watcher is dropped as too slow. */
  maxPendingEvents: number;
  /** Merge-patch attempts when a concurrent write gets in between read and write. */
  maxUpdateAttempts: number;
  /** The caller's context: authentication hooks in here (throw an ApiError to refuse). Default: anonymous. */
  context?: (req: IncomingMessage, requestId: string) => RequestContext | Promise<RequestContext>;
  /** Runs before each RPC with its decoded request: authorization hooks in here (throw an ApiError to refuse). */
  authorize?: (ctx: RequestContext, call: CallInfo) => void | Promise<void>;
  /** For an authorized watch: asked on every event; an error ends the stream with it (access revoked). */
  watchGuard?: (ctx: RequestContext, call: CallInfo) => () => ApiError | undefined;
  /** The body of GET /me for an authenticated caller. */
  whoami?: (ctx: RequestContext) => unknown;
  descriptors?: Descriptors;
  /** Served at /openapi.json when it exists. */
  openapiPath?: string;
  /** Base of the `type` URI of Krake's titled problems. */
  problemBaseUrl?: string;
}

/** Krake's default heartbeat of watch streams, seconds. */
const defaultHeartbeatSeconds = 10;
const jsonType = "application/json";
const problemType = "application/problem+json";

/** The longest heartbeat interval accepted, seconds: longer says nothing about a stream's liveness. */
export const maxHeartbeatSeconds = 3_600;

/** Krake's `heartbeat` query parameter: seconds between empty lines, 0 for none. */
function heartbeatSeconds(query: URLSearchParams | undefined): number {
  const text = query?.get("heartbeat");
  if (text === null || text === undefined || text === "") return defaultHeartbeatSeconds;
  const seconds = Number(text);
  if (seconds >= 0 && seconds <= maxHeartbeatSeconds) return seconds;
  throw new ApiError(Status.INVALID_ARGUMENT, "BadRequest",
    `heartbeat must be a number of seconds from 0 to ${maxHeartbeatSeconds} (got "${text.slice(0, 64)}")`, [
      { field: "heartbeat", message: `expected a number from 0 to ${maxHeartbeatSeconds}` },
    ]);
}

/**
 * RFC 9112 §6.1: a body framed by any Transfer-Encoding but chunked cannot be
 * read reliably; such a request is refused before it runs.
 */
function unframed(req: IncomingMessage): boolean {
  const framing = req.headers["transfer-encoding"];
  return framing !== undefined && framing.trim().toLowerCase() !== "chunked";
}

/** One request on its way through the gateway. */
interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  path: string;
  query: string | undefined;
  requestId: string;
  start: number;
  route: string;
  /** Query parameters the method does not read: each answered with a Warning header. */
  ignoredParams?: string[];
}

/**
 * Krake's REST API: a node:http server whose routes come from the protos'
 * google.api.http rules and run the same operations as the gRPC services, in
 * process. See bindings.ts for the route table, request-mapper.ts for the
 * request mapping, json/ for the codec and problem.ts for errors.
 */
export class Gateway {
  private readonly server: HttpServer | HttpsServer;
  private readonly router: Router<RouteTarget>;
  private readonly builtins: Builtins;
  private readonly cors: Cors;
  private readonly config: HttpConfig;
  private readonly opts: GatewayOptions;
  private readonly problemBaseUrl: string;
  /** Open HTTP watch streams. */
  readonly streams = new WatchStreams();
  port = 0;

  constructor(opts: GatewayOptions) {
    this.opts = opts;
    this.config = { host: "127.0.0.1", port: 8080, corsOrigin: "*", maxBodyBytes: defaultMaxBodyBytes, ...opts.http };
    this.problemBaseUrl = opts.problemBaseUrl ?? "https://rak-n-rok.readthedocs.io/projects/krake/en/latest/user/problem.html";
    const descriptors = opts.descriptors ?? new Descriptors();
    this.router = buildRoutes(opts.registries, descriptors, new JsonEncoder(descriptors.registry), new JsonDecoder());
    this.cors = new Cors(this.config.corsOrigin);
    this.builtins = new Builtins({ cache: opts.cache, metrics: opts.metrics, openapiPath: opts.openapiPath, whoami: opts.whoami });
    this.server = tlsEnabled(this.config.tls)
      ? createTlsServer({ ...serverTlsOptions(this.config.tls), keepAlive: true, noDelay: true }, this.onRequest)
      : createServer({ keepAlive: true, noDelay: true }, this.onRequest);
  }

  /** Every route: method, path template and the RPC it runs (tests, docs). */
  routes(): { method: string; path: string; rpc: string; watch: boolean }[] {
    const out: { method: string; path: string; rpc: string; watch: boolean }[] = [];
    for (const entry of this.router.entries) {
      for (const [method, t] of entry.methods) {
        const path = entry.template.source;
        if (t.unary) out.push({ method, path, rpc: t.unary.rpc, watch: false });
        if (t.stream) out.push({ method, path, rpc: t.stream.rpc, watch: true });
        if (t.patch) out.push({ method, path, rpc: `${t.patch.get.rpc}+${t.patch.update.rpc}`, watch: false });
      }
    }
    return out;
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.config.port, this.config.host, () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
    this.opts.log.info({ address: `${this.config.host}:${this.port}` }, "REST API listening");
    return this.port;
  }

  /** Ends watch streams, lets in-flight requests finish for up to `graceMs`, then closes every connection. */
  async close(graceMs = 5_000): Promise<void> {
    this.streams.endAll();
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => this.server.closeAllConnections(), graceMs);
      this.server.close(() => {
        clearTimeout(force);
        resolve();
      });
      this.server.closeIdleConnections();
    });
  }

  /**
   * Every request runs under one error boundary: whatever throws or rejects
   * anywhere below (routing, parsing, auth, encoding, metrics, logging) ends
   * as a problem answer for this request, and never reaches the process.
   */
  private readonly onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    let ex: Exchange;
    try {
      ex = this.exchange(req, res);
    } catch (err) {
      this.lastResort(res, err, "unknown");
      return;
    }
    Promise.resolve()
      .then(() => this.route(ex))
      .catch((err: unknown) => this.failSafely(ex, err));
  };

  private exchange(req: IncomingMessage, res: ServerResponse): Exchange {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    return {
      req,
      res,
      method: req.method ?? "GET",
      path: q < 0 ? url : url.slice(0, q),
      query: q < 0 ? undefined : url.slice(q + 1),
      requestId: requestIdFrom(req.headers["x-request-id"], randomUUID),
      start: performance.now(),
      route: "unmatched",
    };
  }

  private async route(ex: Exchange): Promise<void> {
    if (unframed(ex.req)) {
      const framing = ex.req.headers["transfer-encoding"] ?? "";
      throw new HttpError(400, Status.INVALID_ARGUMENT, "BadRequest", `Transfer-Encoding "${framing.slice(0, 64)}" is not supported; send chunked or Content-Length`);
    }
    const builtin = this.builtins.match(ex.path);
    if (builtin) {
      ex.route = ex.path;
      if (ex.method !== "GET" && ex.method !== "HEAD") return this.notAllowed(ex, ["GET", "HEAD"]);
      // Probes, `/` and the OpenAPI document stay open; /me (and /metrics unless public) need an identity.
      const identified = ex.path === "/me" || (ex.path === "/metrics" && !this.config.publicMetrics);
      try {
        const ctx = identified ? await this.context(ex) : { user: "system:anonymous", requestId: ex.requestId };
        const r = await builtin(ctx);
        return this.send(ex, r.status, r.type, r.body);
      } catch (err) {
        return this.fail(ex, err);
      }
    }
    let match;
    try {
      match = this.router.match(this.cors.isPreflight(ex.req) ? "" : ex.method, ex.path);
    } catch (err) {
      if (err instanceof URIError) throw new HttpError(400, Status.INVALID_ARGUMENT, "BadRequest", "malformed percent-encoding in the path");
      throw err;
    }
    if (!match) throw new HttpError(404, Status.NOT_FOUND, "NotFound", `no route for ${ex.path}`);
    if (!match.found) return this.notAllowed(ex, match.allow);
    ex.route = match.entry.template.source;
    const target = match.handler;
    if (target.patch) return this.patch(ex, target.patch, match.params);
    const query = ex.query ? new URLSearchParams(ex.query) : undefined;
    const binding = target.stream && (!target.unary || query?.has("watch")) ? target.stream : target.unary!;
    ex.ignoredParams = binding.ignoredParams(query);
    if (binding.operation.type === "watch") return this.watch(ex, binding, match.params, query);
    return this.unary(ex, binding, match.params, query);
  }

  private async unary(ex: Exchange, b: Binding, params: Record<string, string>, query: URLSearchParams | undefined): Promise<void> {
    try {
      // Authenticated and authorized on the path's attributes before the body is read or validated.
      const ctx = await this.authorized(ex, b, b.mapRequest(params, query, undefined));
      const body = b.body.rule ? await readJsonBody(ex.req, this.config.maxBodyBytes, isJsonMediaType) : undefined;
      const request = b.mapRequest(params, query, body);
      const op = b.operation;
      if (op.type === "object") this.send(ex, 200, jsonType, b.objectJson.bytes(await op.run(ctx, request)));
      else if (op.type === "list") this.send(ex, 200, jsonType, b.listJson!(await op.run(ctx, request)));
      else if (op.type === "message") this.send(ex, 200, jsonType, b.messageJson!(await op.run(ctx, request)));
    } catch (err) {
      this.fail(ex, err);
    }
  }

  private async watch(ex: Exchange, b: Binding, params: Record<string, string>, query: URLSearchParams | undefined): Promise<void> {
    if (b.operation.type !== "watch") return;
    let ctx: RequestContext;
    let guard: (() => ApiError | undefined) | undefined;
    let seconds: number;
    let request: WatchRequest;
    try {
      const fields = b.mapRequest(params, query, undefined);
      request = b.operation.request(fields);
      seconds = heartbeatSeconds(query);
      ctx = await this.authorized(ex, b, fields);
      guard = this.opts.watchGuard?.(ctx, { kind: b.registry.kind, rpc: b.rpc, request: fields });
    } catch (err) {
      return this.fail(ex, err);
    }
    serveHttpWatch(ex.res, b.registry, ctx, request, {
      guard,
      heartbeatMs: seconds * 1_000,
      maxPendingEvents: this.opts.maxPendingEvents,
      streams: this.streams,
      line: b.watchLine!,
      errorLine: (err) => b.errorLine!(this.problem(ex, err)),
      headers: this.headers(ex, "application/x-ndjson", ["cache-control", "no-cache"]),
      fail: (err) => this.fail(ex, err),
      started: () => this.observe(ex, 200),
    });
  }

  /**
   * RFC 7386 merge patch on an object route: read the current object, merge,
   * and update with the version read as precondition; a concurrent write in
   * between makes it start over. A resource_version in the patch is the
   * client's own precondition, and then a conflict is the client's to handle.
   * A patch that changes nothing answers with the object.
   */
  private async patch(ex: Exchange, t: { get: Binding; update: Binding }, params: Record<string, string>): Promise<void> {
    try {
      const { get, update } = t;
      const getRequest = get.mapRequest(params, undefined, undefined);
      const ctx = await this.authorized(ex, get, getRequest);
      if (this.opts.authorize) {
        await this.opts.authorize(ctx, { kind: update.registry.kind, rpc: update.rpc, request: update.mapRequest(params, undefined, undefined) });
      }
      const type = mediaType(ex.req);
      if (type !== "application/merge-patch+json") {
        throw new HttpError(415, Status.INVALID_ARGUMENT, "BadRequest",
          `PATCH takes application/merge-patch+json (RFC 7386), not ${type || "a body without a content type"}`);
      }
      if (ex.query) throw new HttpError(400, Status.INVALID_ARGUMENT, "BadRequest", "PATCH takes no query parameters");
      const doc = await readJsonBody(ex.req, this.config.maxBodyBytes, () => true);
      if (!isObject(doc)) throw new HttpError(400, Status.INVALID_ARGUMENT, "BadRequest", "a merge patch must be a JSON object");
      const patch = protoNamedPatch(t.update.body.desc!, doc) as Record<string, unknown>;
      const precondition = isObject(patch.metadata) && "resource_version" in patch.metadata;
      if (get.operation.type !== "object" || update.operation.type !== "object") return;
      for (let attempt = 1; ; attempt++) {
        const current = await get.operation.run(ctx, getRequest);
        const merged = applyMergePatch(JSON.parse(get.objectJson.text(current)), patch);
        const updateRequest = update.mapRequest(params, undefined, merged);
        try {
          const updated = await update.operation.run(ctx, updateRequest);
          return this.send(ex, 200, jsonType, update.objectJson.bytes(updated));
        } catch (err) {
          if (err instanceof ApiError && err.reason === "NoUpdate") return this.send(ex, 200, jsonType, get.objectJson.bytes(current));
          const raced = err instanceof ApiError && err.reason === "Conflict" && !precondition;
          if (!raced || attempt >= this.opts.maxUpdateAttempts) throw err;
        }
      }
    } catch (err) {
      this.fail(ex, err);
    }
  }

  private context(ex: Exchange): RequestContext | Promise<RequestContext> {
    return this.opts.context?.(ex.req, ex.requestId) ?? { user: "system:anonymous", requestId: ex.requestId };
  }

  private async authorized(ex: Exchange, b: Binding, request: Fields): Promise<RequestContext> {
    const ctx = await this.context(ex);
    if (this.opts.authorize) await this.opts.authorize(ctx, { kind: b.registry.kind, rpc: b.rpc, request });
    return ctx;
  }

  private headers(ex: Exchange, type: string, extra: string[] = []): string[] {
    const h = ["content-type", type, "x-request-id", ex.requestId, ...extra];
    // Kubernetes' warning convention (RFC 7234 code 299): ignored, not refused, as Krake ignores them.
    for (const p of (ex.ignoredParams ?? []).slice(0, 10)) h.push("warning", `299 - ${JSON.stringify(`unknown query parameter: ${printable(p)}`)}`);
    if (ex.req.headers.origin !== undefined) for (const [k, v] of this.cors.headers(ex.req)) h.push(k, v);
    return h;
  }

  private send(ex: Exchange, status: number, type: string, body: Buffer | string, extra: string[] = []): void {
    const bytes = typeof body === "string" ? Buffer.from(body) : body;
    const h = this.headers(ex, type, extra);
    h.push("content-length", String(bytes.length));
    ex.res.writeHead(status, h);
    ex.res.end(ex.method === "HEAD" ? undefined : bytes);
    this.observe(ex, status);
  }

  /** Metrics never fail a request: a fault is logged and the answer goes out as it is. */
  private observe(ex: Exchange, status: number): void {
    try {
      this.opts.metrics.observeRequest(ex.method, ex.route, status, (performance.now() - ex.start) / 1e3);
    } catch (err) {
      this.logFault(err, ex.requestId, "request metrics failed");
    }
  }

  private notAllowed(ex: Exchange, allow: string[]): void {
    const methods = [...new Set([...allow, "OPTIONS"])];
    if (this.cors.isPreflight(ex.req)) {
      const h = ["x-request-id", ex.requestId, "content-length", "0"];
      for (const [k, v] of this.cors.preflight(ex.req, methods)) h.push(k, v);
      ex.res.writeHead(204, h);
      ex.res.end();
      return this.observe(ex, 204);
    }
    if (ex.method === "OPTIONS") {
      this.send(ex, 204, "text/plain", "", ["allow", methods.join(", ")]);
      return;
    }
    const err = new HttpError(405, Status.UNIMPLEMENTED, "BadRequest", `${ex.method} is not allowed on ${ex.path}; use ${allow.join(", ")}`);
    this.fail(ex, err, ["allow", methods.join(", ")]);
  }

  private problem(ex: Exchange, err: unknown): Problem {
    return toProblem(err, ex.path, ex.requestId, this.problemBaseUrl, this.safeLog);
  }

  /** The logger, unable to throw: logging an error must not become one. */
  private readonly safeLog: ProblemLogger = {
    error: (fields, msg) => {
      try {
        this.opts.log.error(fields, msg);
      } catch {
        // nothing left to tell
      }
    },
  };

  private logFault(err: unknown, requestId: string, msg: string): void {
    this.safeLog.error({ err, requestId }, msg);
  }

  /** `fail`, and if even answering fails, the last resort. */
  private failSafely(ex: Exchange, err: unknown): void {
    try {
      this.fail(ex, err);
    } catch (second) {
      this.logFault(err, ex.requestId, "internal error");
      this.lastResort(ex.res, second, ex.requestId);
    }
  }

  /** A fixed 500 with the request id when nothing else could answer; a stream already begun is cut. */
  private lastResort(res: ServerResponse, err: unknown, requestId: string): void {
    this.logFault(err, requestId, "internal error while answering");
    try {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const body = JSON.stringify({ type: "about:blank", title: "Internal Server Error", status: 500,
        detail: `internal error (request id ${requestId})`, code: "INTERNAL", request_id: requestId });
      res.writeHead(500, ["content-type", problemType, "content-length", String(Buffer.byteLength(body))]);
      res.end(body);
    } catch {
      res.destroy();
    }
  }

  private fail(ex: Exchange, err: unknown, extra: string[] = []): void {
    if (ex.res.headersSent) {
      ex.res.destroy();
      return;
    }
    const problem = this.problem(ex, err);
    // The rest of an oversized or unframed upload is not read: do not keep the connection.
    if ((err instanceof HttpError && err.httpStatus === 413) || unframed(ex.req)) extra = [...extra, "connection", "close"];
    this.send(ex, problem.status, problemType, JSON.stringify(problem), extra);
  }
}

/** A query parameter's name as a header may carry it: printable ASCII, at most 64 characters. */
function printable(name: string): string {
  return name.replace(/[^\x20-\x7e]/g, "?").slice(0, 64);
}
