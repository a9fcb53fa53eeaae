import { Etcd3 } from "etcd3";
import type { IOptions } from "etcd3";

export interface EtcdStoreOptions {
  /** etcd client URLs, e.g. `http://127.0.0.1:2379`. */
  endpoints: string[];
  /** How long `watch()` waits for etcd to accept a new watch. */
  dialTimeoutMs: number;
  /** Deadline of every unary call (reads and writes). */
  callTimeoutMs: number;
  /** HTTP/2 keepalive ping period, so a hung etcd breaks the watch stream (0 = off). */
  keepaliveTimeMs: number;
  keepaliveTimeoutMs: number;
  /** Backoff between watch reconnections after a transient error. */
  watchRetryMinMs: number;
  watchRetryMaxMs: number;
}

export const DEFAULT_ETCD_STORE_OPTIONS: Readonly<EtcdStoreOptions> = {
  endpoints: ["http://127.0.0.1:2379"],
  dialTimeoutMs: 5_000,
  callTimeoutMs: 5_000,
  // etcd's --grpc-keepalive-min-time defaults to 5 s; pinging more often gets the connection closed
  keepaliveTimeMs: 10_000,
  keepaliveTimeoutMs: 5_000,
  watchRetryMinMs: 100,
  watchRetryMaxMs: 2_000,
};

type FaultHandling = NonNullable<IOptions["faultHandling"]>;
type Policy = NonNullable<FaultHandling["global"]>;
type PolicyContext = Parameters<Parameters<Policy["execute"]>[0]>[0];

const noDispose = { dispose(): void {} };
/** Shared by every call that brings no signal (one AbortController per call showed in profiles). */
const neverAborted = new AbortController().signal;

/**
 * A policy that just runs the call. etcd3's defaults retry failed calls three
 * times (unsafe for create/compare-and-swap after an ambiguous failure) and
 * open a circuit breaker for 5 s after three failures (which would keep
 * failing calls after etcd is back). The store reports UNAVAILABLE instead
 * and lets its callers decide.
 */
class PassThroughPolicy implements Policy {
  declare readonly _altReturn: never;
  readonly onSuccess = (): typeof noDispose => noDispose;
  readonly onFailure = (): typeof noDispose => noDispose;

  async execute<T>(fn: (context: PolicyContext) => PromiseLike<T> | T, signal?: AbortSignal): Promise<T> {
    return fn({ signal: signal ?? neverAborted });
  }
}

/**
 * The largest etcd response this client accepts: 2^31 - 1 bytes, what etcd's
 * Go client (clientv3's MaxCallRecvMsgSize) and etcd's server (its send limit)
 * use. gRPC's default of 4 MiB is smaller than answers etcd gives to ordinary
 * requests (a page of a few objects near max_object_bytes), and a response
 * refused here cannot be asked for in smaller parts: krake-api could then never
 * load the store again. What krake-api needs to start stays far below this:
 * the watch cache's start-up pages (store-cache.ts) and the watch's messages
 * (fragmented by etcd, etcd-watch.ts).
 */
export const ETCD_MAX_RECEIVE_BYTES = 2 ** 31 - 1;

export function createEtcdClient(opts: EtcdStoreOptions): Etcd3 {
  const policy = new PassThroughPolicy();
  const grpcOptions: NonNullable<IOptions["grpcOptions"]> = {
    "grpc.max_receive_message_length": ETCD_MAX_RECEIVE_BYTES,
  };
  if (opts.keepaliveTimeMs > 0) {
    grpcOptions["grpc.keepalive_time_ms"] = opts.keepaliveTimeMs;
    grpcOptions["grpc.keepalive_timeout_ms"] = opts.keepaliveTimeoutMs;
  }
  return new Etcd3({
    hosts: opts.endpoints,
    grpcOptions,
    // streams (watch) must not get a deadline; every unary call does
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + opts.callTimeoutMs }),
    faultHandling: { host: () => policy, global: policy },
  });
}
