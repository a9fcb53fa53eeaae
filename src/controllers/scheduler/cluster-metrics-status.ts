import { ClusterStatus, ClusterStatus_State as State } from "../../../gen/krake/kubernetes/v1/cluster.js";
import type { Cluster } from "../../../gen/krake/kubernetes/v1/cluster.js";
import type { Reason } from "../../../gen/krake/core/v1/types.js";
import { isConflict } from "../../client/grpc-codes.js";
import type { KindClient } from "../../client/kind-client.js";
import type { Indexer } from "../../controller/informer/indexer.js";
import { objectKey } from "../../controller/keys.js";

/**
 * The status a cluster should have once its metrics were read (`reasons`:
 * the metrics that failed, by name, as `failingMetrics` gives them), or
 * undefined when the stored status already says so. Krake's rule: a failing
 * metric makes an ONLINE cluster FAILING_METRICS with `metrics_reasons`
 * (the scheduler then filters it out); metrics that read again make it
 * ONLINE with the reasons cleared.
 *
 * Only ONLINE ↔ FAILING_METRICS is the scheduler's: any other state (PENDING,
 * OFFLINE, …) belongs to the cluster observer and is left alone, as is a
 * cluster in deletion. Reasons are compared by metric and code, not message,
 * so that a message that varies from read to read (a value, an address) does
 * not rewrite the status every cycle.
 */
export function metricsStatus(cluster: Cluster, reasons: Readonly<Record<string, Reason>>): ClusterStatus | undefined {
  if (cluster.metadata?.deleted !== undefined) return undefined;
  const stored = ClusterStatus.fromPartial(cluster.status ?? {});
  const failing = Object.keys(reasons).length > 0;
  if (stored.state === State.ONLINE) {
    if (failing) return { ...stored, state: State.FAILING_METRICS, metricsReasons: { ...reasons } };
    // reasons left over by a writer that set ONLINE without clearing them: they no longer hold
    return Object.keys(stored.metricsReasons).length > 0 ? { ...stored, metricsReasons: {} } : undefined;
  }
  if (stored.state !== State.FAILING_METRICS) return undefined;
  if (!failing) return { ...stored, state: State.ONLINE, metricsReasons: {} };
  return sameReasonCodes(stored.metricsReasons, reasons) ? undefined : { ...stored, metricsReasons: { ...reasons } };
}

/**
 * Writes clusters' FAILING_METRICS and ONLINE (see `metricsStatus`) through
 * the `status` subresource, with the resource_version of the version it
 * judged as precondition, and only when the state or a reason code changes.
 *
 * It judges the newest version it knows: the informer cache's, or its own
 * last write while the cache has not caught up with it (so that the next
 * Application's reconcile neither writes the same again nor loses a race
 * with itself). Writes to one cluster are serialised across workers. On a
 * conflict it re-reads the cache and tries again while the cache holds a
 * newer version; when it does not yet, it gives up for now: that newer
 * version's arrival brings the namespace's Applications back (the
 * scheduler watches clusters), and their reconcile reports again.
 */
export class ClusterMetricsStatus {
  /** Our writes the cache may not have seen: key → the version written and the resource_version it replaced. */
  private readonly written = new Map<string, { replaced: string; cluster: Cluster }>();
  /** The write in progress per cluster key. */
  private readonly writing = new Map<string, Promise<unknown>>();

  constructor(
    private readonly client: Pick<KindClient<Cluster>, "updateStatus">,
    private readonly cache: Pick<Indexer<Cluster>, "get">,
    private readonly opts: { maxAttempts: number } = { maxAttempts: 3 },
  ) {}

  /** `clusters` (read from the cache), each replaced by our own newer write when the cache has not seen it yet. */
  latest(clusters: readonly Cluster[]): Cluster[] {
    for (const key of [...this.written.keys()]) this.current(key); // drops writes the cache has caught up with
    return clusters.map((c) => this.current(objectKey(c)) ?? c);
  }

  /**
   * Whether `report(cluster, reasons)` would write (or wait for a write in
   * flight): the scheduler asks first, so that a decision over many clusters
   * whose state is already right makes no call at all.
   */
  needsReport(cluster: Cluster, reasons: Readonly<Record<string, Reason>>): boolean {
    const key = objectKey(cluster);
    return this.writing.has(key) || metricsStatus(this.current(key) ?? cluster, reasons) !== undefined;
  }

  /**
   * Brings `cluster`'s state in line with the metrics that failed to read
   * (`reasons`, empty when all read) and resolves with the cluster as it now
   * stands: the version written, or the newest known when nothing was
   * written. Rejects on errors other than a conflict (and when `signal`
   * aborts).
   */
  async report(cluster: Cluster, reasons: Readonly<Record<string, Reason>>, signal: AbortSignal): Promise<Cluster> {
    const key = objectKey(cluster);
    const previous = this.writing.get(key) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => this.write(key, cluster, reasons, signal));
    this.writing.set(key, run);
    try {
      return await run;
    } finally {
      if (this.writing.get(key) === run) this.writing.delete(key);
    }
  }

  private async write(key: string, given: Cluster, reasons: Readonly<Record<string, Reason>>, signal: AbortSignal): Promise<Cluster> {
    let base = this.current(key) ?? given;
    for (let attempt = 1; ; attempt++) {
      const status = metricsStatus(base, reasons);
      if (status === undefined) return base;
      signal.throwIfAborted();
      try {
        const stored = await this.client.updateStatus({ ...base, status }, { signal });
        this.written.set(key, { replaced: base.metadata?.resourceVersion ?? "", cluster: stored });
        return stored;
      } catch (err) {
        if (!isConflict(err)) throw err;
        const fresh = this.current(key);
        const cacheMoved = fresh !== undefined && fresh.metadata?.resourceVersion !== base.metadata?.resourceVersion;
        if (!cacheMoved || attempt >= this.opts.maxAttempts) return fresh ?? base;
        base = fresh;
      }
    }
  }

  /** The newest version of cluster `key` known here; undefined when the cache no longer has it. */
  private current(key: string): Cluster | undefined {
    const cached = this.cache.get(key);
    const mine = this.written.get(key);
    if (mine === undefined) return cached;
    if (cached !== undefined && cached.metadata?.resourceVersion === mine.replaced) return mine.cluster;
    // the cache has our write, or something newer, or the cluster is gone
    this.written.delete(key);
    return cached;
  }
}

/** The same metrics fail with the same codes (messages aside: they may vary from read to read). */
export function sameReasonCodes(a: Readonly<Record<string, Reason>>, b: Readonly<Record<string, Reason>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => b[k] !== undefined && b[k].code === a[k]?.code);
}
