/**
 * What the benchmarks ask etcd directly: key counts (did every create land?),
 * bulk clean-up followed by compaction (etcd slows down ~3x after a large
 * delete-range until it compacts), and the watch gauges from /metrics.
 */
import { Etcd3 } from "etcd3";

export class EtcdAdmin {
  readonly client: Etcd3;
  private compacted = 0;

  constructor(readonly endpoint: string) {
    this.client = new Etcd3({ hosts: endpoint });
  }

  count(prefix: string): Promise<number> {
    return this.client.getAll().prefix(prefix).count();
  }

  /** Deletes everything under each prefix, then compacts history up to there (physically); returns the keys deleted. */
  async deleteAndCompact(...prefixes: string[]): Promise<number> {
    let deleted = 0;
    let revision = 0;
    for (const prefix of prefixes) {
      const res = await this.client.delete().prefix(prefix).exec();
      deleted += Number(res.deleted);
      revision = Number(res.header.revision);
    }
    if (revision > this.compacted) {
      await this.client.kv.compact({ revision, physical: true });
      this.compacted = revision;
    }
    return deleted;
  }

  private async metrics(): Promise<string> {
    return (await fetch(`${this.endpoint}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
  }

  /** Unary gRPC calls etcd has answered so far, per method (Range, Txn, Put, ...), any status. */
  async unaryCalls(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const line of (await this.metrics()).split("\n")) {
      if (!line.startsWith("grpc_server_handled_total{") || !line.includes('grpc_type="unary"')) continue;
      const method = /grpc_method="([^"]+)"/.exec(line)?.[1];
      const value = Number(line.slice(line.lastIndexOf(" ") + 1));
      if (method && value) out.set(method, (out.get(method) ?? 0) + value);
    }
    return out;
  }

  /** Runs `work` and returns the etcd calls made meanwhile, per method. */
  async callsDuring(work: () => Promise<unknown>): Promise<Map<string, number>> {
    const before = await this.unaryCalls();
    await work();
    const after = await this.unaryCalls();
    const delta = new Map<string, number>();
    for (const [m, n] of after) if (n - (before.get(m) ?? 0) > 0) delta.set(m, n - (before.get(m) ?? 0));
    return delta;
  }

  /** etcd's watch gauges: watchers (one per watched key range) and gRPC watch streams. */
  async watchGauges(): Promise<{ watchers: number; streams: number }> {
    const text = await this.metrics();
    const gauge = (names: string[]) => {
      for (const name of names) {
        const m = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
        if (m) return Number(m[1]);
      }
      throw new Error(`etcd /metrics has none of ${names.join(", ")}`);
    };
    return {
      watchers: gauge(["etcd_mvcc_watcher_total", "etcd_debugging_mvcc_watcher_total"]),
      streams: gauge(["etcd_mvcc_watch_stream_total", "etcd_debugging_mvcc_watch_stream_total"]),
    };
  }

  close(): void {
    this.client.close();
  }
}
