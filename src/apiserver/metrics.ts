import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Store } from "../store/store.js";

/** What the process reports about itself at scrape time. */
export interface MetricSources {
  /** Open watch streams by transport ("grpc", "http"). */
  openWatches(): Record<string, number>;
  /** Objects and watchers held in the watch cache, by "<api>/<plural>". */
  caches(): { kind: string; objects: number; watchers: number }[];
}

type Observe = (seconds: number) => void;

/** Methods that get a label value of their own; the rest count as OTHER (labels never take arbitrary input). */
const knownMethods = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/**
 * krake-api's Prometheus metrics, in a registry of its own (several servers
 * may live in one process, as in the tests): HTTP requests by
 * method/route/code, open watches, watch-cache sizes and store latency.
 */
export class ApiMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<"method" | "route" | "code">;
  private readonly duration: Histogram<"method" | "route" | "code">;
  private readonly storeDuration: Histogram<"op" | "outcome">;
  private readonly children = new Map<string, Observe>();
  private sources: MetricSources | undefined;

  constructor() {
    const registers = [this.registry];
    this.requests = new Counter({
      name: "krake_http_requests_total",
      help: "REST requests answered, by method, route template and HTTP status.",
      labelNames: ["method", "route", "code"],
      registers,
    });
    this.duration = new Histogram({
      name: "krake_http_request_duration_seconds",
      help: "REST request latency until the response was written (watches: until the stream began).",
      labelNames: ["method", "route", "code"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60],
      registers,
    });
    this.storeDuration = new Histogram({
      name: "krake_store_request_duration_seconds",
      help: "etcd request latency by operation and outcome.",
      labelNames: ["op", "outcome"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    const sources = () => this.sources;
    new Gauge({
      name: "krake_watches_open",
      help: "Watch streams open, by transport.",
      labelNames: ["transport"],
      registers,
      collect() {
        this.reset();
        for (const [transport, count] of Object.entries(sources()?.openWatches() ?? {})) this.set({ transport }, count);
      },
    });
    new Gauge({
      name: "krake_cache_objects",
      help: "Objects held in the watch cache, by kind.",
      labelNames: ["kind"],
      registers,
      collect() {
        this.reset();
        for (const c of sources()?.caches() ?? []) this.set({ kind: c.kind }, c.objects);
      },
    });
    new Gauge({
      name: "krake_cache_watchers",
      help: "Watchers registered with the watch cache, by kind.",
      labelNames: ["kind"],
      registers,
      collect() {
        this.reset();
        for (const c of sources()?.caches() ?? []) this.set({ kind: c.kind }, c.watchers);
      },
    });
  }

  setSources(sources: MetricSources): void {
    this.sources = sources;
  }

  /** Records one answered request (label children are cached: this is on every request's path). */
  observeRequest(anyMethod: string, route: string, code: number, seconds: number): void {
    const method = knownMethods.has(anyMethod) ? anyMethod : "OTHER";
    const key = `${method} ${code} ${route}`;
    let observe = this.children.get(key);
    if (!observe) {
      const counter = this.requests.labels(method, route, String(code));
      const histogram = this.duration.labels(method, route, String(code));
      observe = (s) => {
        counter.inc();
        histogram.observe(s);
      };
      this.children.set(key, observe);
    }
    observe(seconds);
  }

  /** The store with every call timed. */
  timedStore(store: Store): Store {
    const h = this.storeDuration;
    const time = <R>(op: string, call: () => Promise<R>): Promise<R> => {
      const start = performance.now();
      return call().then(
        (r) => {
          h.observe({ op, outcome: "ok" }, (performance.now() - start) / 1e3);
          return r;
        },
        (err: unknown) => {
          h.observe({ op, outcome: "error" }, (performance.now() - start) / 1e3);
          throw err;
        },
      );
    };
    return {
      get: (key) => time("get", () => store.get(key)),
      list: (prefix, opts) => time("list", () => store.list(prefix, opts)),
      create: (key, value) => time("create", () => store.create(key, value)),
      update: (key, value, rev) => time("update", () => store.update(key, value, rev)),
      delete: (key, rev) => time("delete", () => store.delete(key, rev)),
      commit: (writes) => time("commit", () => store.commit(writes)),
      currentRevision: () => time("current_revision", () => store.currentRevision()),
      watch: (prefix, from, handlers) => store.watch(prefix, from, handlers),
      compact: (revision) => time("compact", () => store.compact(revision)),
      close: () => store.close(),
    };
  }
}
