import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Server, ServerCredentials } from "@grpc/grpc-js";
import type { ServerUnaryCall, ServerWritableStream } from "@grpc/grpc-js";
import { loadFileDescriptorSetFromBuffer } from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { HealthImplementation } from "grpc-health-check";
import type { Logger } from "pino";
import type { Store } from "../store/store.js";
import type { ApiConfig } from "./config.js";
import { kindService, newRequestId } from "./grpc/kind-service.js";
import { WatchStreams } from "./grpc/watch-stream.js";
import { allKinds } from "./kinds/index.js";
import type { AnyKind, KrakeObject } from "./registry/kind.js";
import { Registry } from "./registry/registry.js";
import type { RequestContext } from "./registry/request-context.js";
import { StoreCache } from "./watchcache/store-cache.js";

const descriptorSetPath = fileURLToPath(new URL("../../gen/krake.binpb", import.meta.url));

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

  constructor(config: ApiConfig, store: Store, log: Logger, kinds: AnyKind[] = allKinds) {
    this.config = config;
    this.store = store;
    this.log = log;
    this.cache = new StoreCache(store, kinds, {
      prefix: config.etcd.prefix,
      windowSize: config.watch.windowSize,
      bookmarkIntervalMs: config.watch.bookmarkIntervalMs,
      freshnessTimeoutMs: config.watch.freshnessTimeoutMs,
      onError: (err) => log.warn({ err }, "watch cache: store watch failed; resyncing"),
    });
    const context = (call: ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>): RequestContext => ({
      user: "system:anonymous",
      requestId: String(call.metadata.get("x-request-id")[0] ?? newRequestId()),
    });
    for (const kind of kinds) {
      const registry = new Registry(kind, store, this.cache, {
        prefix: config.etcd.prefix,
        blockingTimeoutMs: config.blockingTimeoutMs,
        maxUpdateAttempts: config.maxUpdateAttempts,
      });
      this.registries.set(`${kind.api}/${kind.plural}`, registry);
      const { definition, implementation } = kindService(registry, {
        log,
        watch: { maxPendingEvents: config.watch.maxPendingEvents },
        streams: this.streams,
        context,
      });
      this.grpc.addService(definition, implementation);
    }
    this.health.addToServer(this.grpc);
    const descriptors = loadFileDescriptorSetFromBuffer(readFileSync(descriptorSetPath));
    new ReflectionService(descriptors).addToServer(this.grpc);
  }

  registry(api: string, plural: string): Registry<KrakeObject> {
    const r = this.registries.get(`${api}/${plural}`);
    if (!r) throw new Error(`no registry for ${api}/${plural}`);
    return r;
  }

  /** Binds the gRPC port, then connects to the store in the background. */
  async start(): Promise<void> {
    const { host, port } = this.config.grpc;
    this.grpcPort = await new Promise<number>((resolve, reject) =>
      this.grpc.bindAsync(`${host}:${port}`, ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    this.log.info({ address: `${host}:${this.grpcPort}` }, "gRPC API listening");
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
        this.health.setStatus("", "SERVING");
        this.log.info({ revision: this.cache.revision }, "watch cache synced with the store");
      },
      (err: unknown) => {
        if (this.stopped) return;
        this.log.warn({ err, retryInMs: delayMs }, "store not reachable; retrying");
        this.startTimer = setTimeout(() => this.connect(Math.min(delayMs * 2, 10_000)), delayMs);
      },
    );
  }

  /** Ends watch streams cleanly, finishes in-flight calls, closes the store. */
  async stop(graceMs = 5_000): Promise<void> {
    this.stopped = true;
    if (this.startTimer) clearTimeout(this.startTimer);
    this.health.setStatus("", "NOT_SERVING");
    this.streams.endAll();
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
    await this.cache.close();
    await this.store.close();
  }
}
