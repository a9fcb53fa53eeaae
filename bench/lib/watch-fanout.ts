/**
 * Watch fan-out on one krake-api process: N streams opened from separate
 * load processes, then a few writes to the one watched object, each stamped
 * with its send time; delivery delay at every watcher, RSS per idle watcher
 * and the number of watches krake-api holds on etcd.
 */
import { fork } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Application } from "../../gen/krake/kubernetes/v1/application.js";
import { krakeClients } from "../../src/client/clients.js";
import { CpuMeter, rssKiB } from "./cpu.js";
import type { EtcdAdmin } from "./etcd-admin.js";
import { figure } from "./figures.js";
import type { Figure } from "./figures.js";
import { startKrakeApi } from "./krake-api-process.js";
import { application } from "./objects.js";
import { percentile, round } from "./stats.js";
import { SENT_LABEL, SEQ_LABEL } from "./watch-load.js";
import type { ChildMessage, ParentMessage, WatchLoadReport } from "./watch-load.js";

export interface FanoutOptions {
  etcdEndpoint: string;
  etcdPid: number | undefined;
  admin: EtcdAdmin;
  watchers: number;
  loadProcesses: number;
  /** Streams per HTTP/2 connection in a load process. */
  streamsPerConnection: number;
  writes: number;
  /** Targets apply at this size only. */
  withTargets: boolean;
  /** Kinds served by krake-api: the ceiling on etcd watches ("1 per kind at most"). */
  kinds: number;
}

const NAMESPACE = "bench-watch";
const loadScript = fileURLToPath(new URL("./watch-load.ts", import.meta.url));

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

class LoadProcess {
  readonly child: ChildProcess;
  private waiters: { match: (m: ChildMessage) => boolean; resolve: (m: ChildMessage) => void; reject: (e: Error) => void }[] = [];
  private failure: Error | undefined;

  constructor() {
    this.child = fork(loadScript, [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
    this.child.on("message", (m: ChildMessage) => {
      if (m.type === "failed") this.fail(new Error(`watch load process: ${m.error}`));
      for (const w of [...this.waiters]) {
        if (w.match(m)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    });
    this.child.once("exit", (code) => this.fail(new Error(`watch load process exited with ${code}`)));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const w of this.waiters.splice(0)) w.reject(err);
  }

  send(m: ParentMessage): void {
    this.child.send(m);
  }

  wait<T extends ChildMessage>(match: (m: ChildMessage) => m is T, timeoutMs: number, what: string): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
      this.waiters.push({
        match,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once("exit", r));
    this.send({ type: "close" });
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

export async function watchFanout(o: FanoutOptions): Promise<Figure[]> {
  const label = o.watchers >= 1000 && o.watchers % 1000 === 0 ? `${o.watchers / 1000}k` : String(o.watchers);
  const name = (what: string) => `watch.${label}.${what}`;
  // a fresh process and key prefix: the RSS difference is the watchers', not earlier phases' garbage
  const api = await startKrakeApi({ etcdEndpoint: o.etcdEndpoint, prefix: `/bench-watch-${label}` });
  const clients = krakeClients(api.address);
  const loads: LoadProcess[] = [];
  try {
    let current: Application = await clients.applications.createApplication({
      namespace: NAMESPACE,
      application: application(NAMESPACE, { name: "watched", labels: { [SEQ_LABEL]: "0", [SENT_LABEL]: String(Date.now()) } }),
      blocking: "",
    });
    await sleep(1_000);
    const rssBefore = rssKiB(api.pid) ?? Number.NaN;

    const perProcess = Math.ceil(o.watchers / o.loadProcesses);
    const openStarted = performance.now();
    for (let p = 0, left = o.watchers; p < o.loadProcesses && left > 0; p++, left -= perProcess) {
      const load = new LoadProcess();
      const streams = Math.min(perProcess, left);
      load.send({
        type: "open",
        address: api.address,
        namespace: NAMESPACE,
        streams,
        connections: Math.max(1, Math.ceil(streams / o.streamsPerConnection)),
        timeoutMs: 60_000,
      });
      loads.push(load);
    }
    const isOpened = (m: ChildMessage): m is Extract<ChildMessage, { type: "opened" }> => m.type === "opened";
    await Promise.all(loads.map((l) => l.wait(isOpened, 65_000, "the watch streams to open")));
    const openMs = performance.now() - openStarted;
    await sleep(1_000);
    const rssAfter = rssKiB(api.pid) ?? Number.NaN;
    const gauges = await o.admin.watchGauges();

    const meter = new CpuMeter([
      { name: "krake-api", pids: [api.pid] },
      { name: "etcd", pids: o.etcdPid ? [o.etcdPid] : [] },
      { name: "watch-load", pids: loads.map((l) => l.child.pid ?? 0) },
      { name: "bench", pids: [process.pid] },
    ]);
    const deliveryMs: number[] = [];
    for (let seq = 1; seq <= o.writes; seq++) {
      const isDelivered = (m: ChildMessage): m is Extract<ChildMessage, { type: "delivered" }> => m.type === "delivered" && m.seq === seq;
      const delivered = Promise.all(loads.map((l) => l.wait(isDelivered, 30_000, `write ${seq} to reach every watcher`)));
      meter.start();
      const sent = Date.now();
      const labels = { [SEQ_LABEL]: String(seq), [SENT_LABEL]: String(sent) };
      const app: Application = { ...current, metadata: { ...current.metadata!, labels, resourceVersion: "" } };
      current = await clients.applications.updateApplication({ namespace: NAMESPACE, name: "watched", application: app });
      await delivered;
      deliveryMs.push(Date.now() - sent);
      meter.pause();
      await sleep(200);
    }
    const cpu = meter.stop();

    const isReport = (m: ChildMessage): m is WatchLoadReport => m.type === "report";
    const reports = await Promise.all(
      loads.map((l) => {
        const r = l.wait(isReport, 30_000, "the load report");
        l.send({ type: "report" });
        return r;
      }),
    );
    const latencies = reports.flatMap((r) => r.latencies);
    const problems = reports.reduce((n, r) => n + r.anomalies + r.streamErrors + r.decodeMismatches, 0);
    const expected = o.watchers * o.writes;
    const missing = expected - latencies.length;
    const firstError = reports.find((r) => r.firstError)?.firstError;
    const note = `${o.watchers} streams over ${loads.length} load process(es); ${o.writes} writes; ${round(openMs, 0)} ms to open all; ` +
      "CPU while deliveries were under way" +
      (firstError ? `; first stream error: ${firstError}` : "");
    const target = (t: number) => (o.withTargets ? { atMost: t } : undefined);
    return [
      figure(name("latency.p50"), round(percentile(latencies, 50)), "ms", { cpu, note }),
      figure(name("latency.p99"), round(percentile(latencies, 99)), "ms", { target: target(250), cpu }),
      figure(name("latency.max"), round(Math.max(...latencies)), "ms", { cpu, note: `slowest write fully delivered in ${Math.max(...deliveryMs)} ms` }),
      figure(name("delivery-errors"), problems + Math.max(0, missing), "count", {
        target: { atMost: 0 },
        note: `events out of order/duplicated/unstamped, stream failures and missing deliveries (${latencies.length}/${expected} delivered)`,
      }),
      figure(name("rss-per-idle-watcher"), round((rssAfter - rssBefore) / o.watchers, 2), "KiB", {
        target: o.withTargets ? { atMost: 15 } : undefined,
        note: `krake-api VmRSS ${round(rssBefore / 1024)} MiB before, ${round(rssAfter / 1024)} MiB with the streams open`,
      }),
      figure(name("etcd-watchers"), gauges.watchers, "count", {
        target: { atMost: o.kinds },
        note: `etcd watchers with ${o.watchers} krake watch streams open (krake-api is etcd's only client then); ${gauges.streams} etcd watch stream(s)`,
      }),
    ];
  } finally {
    await Promise.all(loads.map((l) => l.close()));
    clients.close();
    await api.stop();
  }
}
