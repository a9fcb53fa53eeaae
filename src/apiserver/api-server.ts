import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { Server, ServerCredentials } from "@grpc/grpc-js";
import type { ServerUnaryCall, ServerWritableStream } from "@grpc/grpc-js";
import { loadFileDescriptorSetFromBuffer, loadSync } from "@grpc/proto-loader";
import type { PackageDefinition } from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { HealthImplementation, protoPath as healthProtoPath } from "grpc-health-check";
import type { Logger } from "pino";
import type { Store } from "../store/store.js";
import {
  checkSecurityConfig,
  createAccessControl,
  GrpcTlsListener,
  grpcCredentials,
  httpCredentials,
  methodAccessOf,
  observeRbacWrites,
  tlsEnabled,
  userOf,
} from "./auth/index.js";
import type { AccessControl } from "./auth/index.js";
import type { ApiConfig } from "./config.js";
import { Descriptors } from "../kinds/descriptors.js";
import { Gateway } from "./gateway/index.js";
import { ApiMetrics } from "./metrics.js";
import { kindService, newRequestId } from "./grpc/kind-service.js";
import type { KindServiceOptions } from "./grpc/kind-service.js";
import { endedOnShutdown } from "./grpc/watch-stream.js";
import { WatchStreams } from "./watch-session.js";
import { allKinds } from "./kinds/index.js";
import type { AnyKind, KrakeObject } from "./objects/kind.js";
import { Registry } from "./registry/registry.js";
import { requestIdFrom } from "./registry/request-context.js";
import type { RequestContext } from "./registry/request-context.js";
import { StoreCache } from "./watchcache/store-cache.js";

const descriptorSetPath = fileURLToPath(new URL("../../gen/krake.binpb", import.meta.url));
const reflectionProtoPath = createRequire(import.meta.url).resolve("@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto");

/** Krake's services plus the standard ones this server also runs, as reflection lists them (as grpc-go does). */
function reflectedServices(): PackageDefinition {
  return {
    ...loadFileDescriptorSetFromBuffer(readFileSync(descriptorSetPath)),
    ...loadSync(healthProtoPath),
    ...loadSync(reflectionProtoPath),
  };
}

/** Longest pause between attempts to reach the store at start-up: how late a returning etcd is noticed. */
const CONNECT_RETRY_MAX_MS = 2_000;

/**
 * One krake-api process: a registry per kind over one store and one watch
 * cache, served over gRPC with health and reflection. Starts serving at once;
 * reports NOT_SERVING until the cache has synced with the store, and keeps
 * retrying the store with backoff meanwhile.
 */
export class ApiServer {
  readonly registries = new Map<string, Registry<KrakeObject>>();
  readonly cache: StoreCache;
  readonly streams = new WatchStreams();
  /** Streams of the standard services (health Watch, reflection). */
  private readonly otherStreams = new WatchStreams();
  /** Prometheus metrics, served by the gateway at /metrics. */
  readonly metrics = new ApiMetrics();
  /** The REST gateway (Krake's REST API). */
  readonly gateway: Gateway;
  /** Authentication and authorization of every call, on both transports. */
  readonly access: AccessControl;
  private grpcTls: GrpcTlsListener | undefined;
  private readonly grpc = new Server({
    "grpc.max_concurrent_streams": 100_000,
    "grpc-node.max_session_memory": 1_000,
  });
  private readonly health = new HealthImplementation({ "": "NOT_SERVING" });
  private readonly config: ApiConfig;
  private readonly store: Store;
  private readonly log: Logger;
  private startTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  grpcPort = 0;
  httpPort = 0;

  constructor(config: ApiConfig, store: Store, log: Logger, kinds: AnyKind[] = allKinds) {
    checkSecurityConfig({
      authentication: config.authentication,
      authorization: config.authorization,
      listeners: [
        { name: "grpc", host: config.grpc.host, tls: config.grpc.tls },
        { name: "http", host: config.http.host, tls: config.http.tls },
      ],
    });
    store = observeRbacWrites(this.metrics.timedStore(store), config.etcd.prefix, (revision) => this.access.noteRbacWrite(revision));
    this.config = config;
    this.store = store;
    this.log = log;
    this.cache = new StoreCache(store, kinds, {
      prefix: config.etcd.prefix,
      windowSize: config.watch.windowSize,
      bookmarkIntervalMs: config.watch.bookmarkIntervalMs,
      freshnessTimeoutMs: config.watch.freshnessTimeoutMs,
      onError: (err, action) =>
        log.warn(
          { err, action },
          action === "resume" ? "watch cache: store watch lost; resuming from the cache's revision"
            : action === "relist" ? "watch cache: store history expired; listing again (open watches end)"
            : "watch cache: an undecodable value in the store was skipped",
        ),
    });
    const context = (call: ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>): RequestContext => ({
      user: "system:anonymous",
      requestId: requestIdFrom(call.metadata.get("x-request-id")[0], newRequestId),
    });
    this.access = createAccessControl(config.authentication, config.authorization, this.cache);
    const clientCertificate = (peer: string) => this.grpcTls?.clientCertificate(peer);
    const admit: KindServiceOptions["admit"] = (call, ctx, method) =>
      this.access
        .admit(grpcCredentials(call, clientCertificate), method, call.request)
        .then((a) => ({ ctx: { ...ctx, user: a.user.name, groups: a.user.groups }, guard: a.guard }));

    const descriptors = new Descriptors();
    for (const kind of kinds) {
      const registry = new Registry(kind, store, this.cache, {
        prefix: config.etcd.prefix,
        blockingTimeoutMs: config.blockingTimeoutMs,
        maxUpdateAttempts: config.maxUpdateAttempts,
        maxObjectBytes: config.maxObjectBytes,
        config,
      });
      this.registries.set(`${kind.api}/${kind.plural}`, registry);
      const { definition, implementation } = kindService(registry, {
        log,
        descriptors,
        watch: { maxPendingEvents: config.watch.maxPendingEvents },
        streams: this.streams,
        context,
        admit,
      });
      this.grpc.addService(definition, implementation);
    }
    this.gateway = new Gateway({
      http: config.http,
      registries: this.registries.values(),
      cache: this.cache,
      log,
      metrics: this.metrics,
      descriptors,
      maxPendingEvents: config.watch.maxPendingEvents,
      maxUpdateAttempts: config.maxUpdateAttempts,
      context: (req, requestId) =>
        this.access.authenticate(httpCredentials(req)).then((u) => ({ user: u.name, groups: u.groups, requestId })),
      authorize: (ctx, call) => this.access.authorize(userOf(ctx), methodAccessOf(call.kind, call.rpc).attributes(call.request)),
      watchGuard: (ctx, call) => this.access.watchGuard(userOf(ctx), methodAccessOf(call.kind, call.rpc).attributes(call.request)),
      whoami: (ctx) => this.access.whoami(userOf(ctx)),
    });
    this.metrics.setSources({
      openWatches: () => ({ grpc: this.streams.size, http: this.gateway.streams.size }),
      caches: () => this.cache.allKindCaches().map((c) => ({ kind: `${c.kind.api}/${c.kind.plural}`, objects: c.size, watchers: c.watchers })),
    });
    const endable = endedOnShutdown(this.grpc, this.otherStreams);
    this.health.addToServer(endable);
    new ReflectionService(reflectedServices()).addToServer(endable);
  }

  registry(api: string, plural: string): Registry<KrakeObject> {
    const r = this.registries.get(`${api}/${plural}`);
    if (!r) throw new Error(`no registry for ${api}/${plural}`);
    return r;
  }

  /** Binds the gRPC port, then connects to the store in the background. */
  async start(): Promise<void> {
    const { host, port, tls } = this.config.grpc;
    if (tlsEnabled(tls)) {
      this.grpcTls = await GrpcTlsListener.listen(this.grpc, host, port, tls);
      this.grpcPort = this.grpcTls.port;
    } else {
      this.grpcPort = await new Promise<number>((resolve, reject) =>
        this.grpc.bindAsync(`${host}:${port}`, ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
      );
    }
    this.log.info({ address: `${host}:${this.grpcPort}`, tls: tlsEnabled(tls), clientCert: tls.clientCert }, "gRPC API listening");
    this.httpPort = await this.gateway.listen();
    this.connect(200);
  }

  /** Resolves once the watch cache has synced (tests, `--wait-ready`). */
  async ready(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.cache.isSynced) {
      if (Date.now() > deadline) throw new Error("krake-api: the store did not become reachable");
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private connect(delayMs: number): void {
    this.cache.start().then(
      () => {
        if (this.stopped) return;
        this.health.setStatus("", "SERVING");
        this.log.info({ revision: this.cache.revision }, "watch cache synced with the store");
      },
      (err: unknown) => {
        if (this.stopped) return;
        // expected while etcd is down: one line per attempt, without a stack
        const reason = err instanceof Error ? err.message : String(err);
        this.log.warn({ reason, retryInMs: delayMs }, "store not reachable; retrying");
        this.startTimer = setTimeout(() => this.connect(Math.min(delayMs * 2, CONNECT_RETRY_MAX_MS)), delayMs);
      },
    );
  }

  /** Ends watch streams cleanly, finishes in-flight calls, closes the store. */
  async stop(graceMs = 5_000): Promise<void> {
    this.stopped = true;
    if (this.startTimer) clearTimeout(this.startTimer);
    this.health.setStatus("", "NOT_SERVING");
    this.grpcTls?.stopAccepting();
    this.streams.endAll();
    this.otherStreams.endAll();
    const http = this.gateway.close(graceMs);
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        this.grpc.forceShutdown();
        resolve();
      }, graceMs);
      this.grpc.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
    await this.grpcTls?.close();
    await http;
    await this.cache.close();
    await this.store.close();
  }
}
