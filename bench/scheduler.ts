/**
 * krake-scheduler at scale (issue: "1,000 clusters × 1,000 applications with
 * two metrics each, through the real API"): its own etcd and krake-api, one
 * static GlobalMetricsProvider serving two GlobalMetrics, 1,000 ONLINE
 * Clusters in one namespace that use both metrics with different weights,
 * krake-scheduler as a child process; then 1,000 Applications are created
 * (64 in flight) and a watch opened before them times, for each, its create
 * answer to the first event with status.scheduled_to set. Also the
 * scheduler's CPU and peak RSS over the run and, from its /metrics, provider
 * queries per metrics cycle and decisions. One JSON figure per stdout line
 * (see bench/README.md); progress goes to stderr.
 *
 *   node --import tsx bench/scheduler.ts [--clusters N] [--apps N] [--workers N] [--timeout S] [--profile DIR]
 *
 * --profile runs krake-scheduler under `node --cpu-prof` and prints where its
 * time went from the first create on.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { get as httpGet } from "node:http";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { globalMetricKind, globalMetricsProviderKind } from "../gen/kinds.js";
import { GlobalMetric } from "../gen/krake/core/v1/metric.js";
import { GlobalMetricsProvider } from "../gen/krake/core/v1/metrics_provider.js";
import { EventType } from "../gen/krake/core/v1/watch.js";
import { Application } from "../gen/krake/kubernetes/v1/application.js";
import { Cluster, ClusterStatus, ClusterStatus_State as ClusterState } from "../gen/krake/kubernetes/v1/cluster.js";
import { applicationKind, clusterKind } from "../src/apiserver/kinds/index.js";
import { ApiConnection } from "../src/client/kind-client.js";
import type { WatchEvent } from "../src/client/kind-client.js";
import { startEtcd } from "../test/fixtures/etcd.js";
import type { EtcdProcess } from "../test/fixtures/etcd.js";
import { spawnController } from "../test/controller/support/controller-process.js";
import type { ControllerProcess } from "../test/controller/support/controller-process.js";
import { eachLimited, poll } from "../test/controller/support/observe.js";
import { CpuMeter, processTicks } from "./lib/cpu.js";
import { formatProfile, summarizeProfile } from "./lib/cpu-profile.js";
import type { CallFrame } from "./lib/cpu-profile.js";
import type { Bound, CpuBreakdown, FigureExtras } from "./lib/figures.js";
import { emit, figure, notAvailable } from "./lib/figures.js";
import { startKrakeApi } from "./lib/krake-api-process.js";
import type { KrakeApiProcess } from "./lib/krake-api-process.js";
import { percentile, round } from "./lib/stats.js";

const { values } = parseArgs({
  options: {
    clusters: { type: "string", default: "1000" },
    apps: { type: "string", default: "1000" },
    workers: { type: "string", default: "16" },
    concurrency: { type: "string", default: "64" },
    timeout: { type: "string", default: "240" },
    profile: { type: "string" },
  },
});
const CLUSTERS = Number(values.clusters);
const APPS = Number(values.apps);
const WORKERS = Number(values.workers);
const IN_FLIGHT = Number(values.concurrency);
const TIMEOUT_S = Number(values.timeout);
for (const [flag, v] of Object.entries({ clusters: CLUSTERS, apps: APPS, workers: WORKERS, concurrency: IN_FLIGHT, timeout: TIMEOUT_S })) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${flag}: "${values[flag as keyof typeof values]}" is not a whole number >= 1`);
}
/**
 * One metrics cycle covers the whole run (the watchdog's bound; the placements take some 10-15 s), so
 * provider queries per cycle are the run's. Below the scheduler's metric_max_age_ms (300 s): the cycle's
 * values stay fresh.
 */
const CYCLE_MS = 240_000;
const NS = "bench-sched";
const METRICS = { "cpu-free": 0.6, "net-free": 0.4 } as const;
const DISTINCT_METRICS = Object.keys(METRICS).length;
const TARGET_P90_S = 30;
const log = (msg: string) => process.stderr.write(`[bench/scheduler] ${msg}\n`);

/** Every figure this script emits, so that a failure reports the missing ones as n/a. */
const FIGURES: Record<string, { unit: string; target?: Bound; exactly?: number }> = {
  "scheduler.place.p50_s": { unit: "s" },
  "scheduler.place.p90_s": { unit: "s", target: { atMost: TARGET_P90_S } },
  "scheduler.place.p99_s": { unit: "s" },
  "scheduler.place.all_s": { unit: "s" },
  "scheduler.cpu_s": { unit: "s" },
  "scheduler.rss_mb": { unit: "MB" },
  "scheduler.provider_queries_per_cycle": { unit: "queries", exactly: DISTINCT_METRICS },
  "scheduler.decisions": { unit: "decisions" },
};
const emitted = new Set<string>();
function out(name: string, value: number, extras: Omit<FigureExtras, "target"> = {}): void {
  const spec = FIGURES[name];
  const f = figure(name, value, spec.unit, { ...extras, target: spec.target });
  // "must equal": figures.ts's bounds are one-sided
  if (spec.exactly !== undefined) Object.assign(f, { target: `= ${spec.exactly}`, met: value === spec.exactly });
  emit(f);
  emitted.add(name);
}
function reportMissing(why: string): void {
  for (const [name, spec] of Object.entries(FIGURES)) {
    if (emitted.has(name)) continue;
    const f = notAvailable(name, spec.unit, why, spec.target);
    if (spec.exactly !== undefined) f.target = `= ${spec.exactly}`;
    emit(f);
  }
}

// bounded: a stuck phase ends the run (the children are killed on exit)
const watchdog = setTimeout(() => {
  log(`gave up after ${TIMEOUT_S} s`);
  reportMissing(`bench/scheduler.ts gave up after ${TIMEOUT_S} s`);
  process.exit(1);
}, TIMEOUT_S * 1000);
watchdog.unref();

const clusterDoc = JSON.parse(readFileSync(new URL("../test/fixtures/krake/cluster.json", import.meta.url), "utf8")) as unknown;
const appDoc = JSON.parse(readFileSync(new URL("../test/fixtures/krake/application.json", import.meta.url), "utf8")) as unknown;

/** Cluster i uses both metrics; the first one's weight grows with i, so the scores differ a little. */
function cluster(i: number): Cluster {
  const c = Cluster.fromJSON(clusterDoc);
  const name = `cluster-${String(i).padStart(4, "0")}`;
  c.metadata = { ...c.metadata!, name, namespace: NS };
  c.spec!.metrics = [
    { name: "cpu-free", weight: 1 + i / CLUSTERS, namespaced: false },
    { name: "net-free", weight: 1, namespaced: false },
  ];
  return c;
}

/** The template's label constraint (the template cluster is location=DE), a metric constraint on our metric. */
function application(i: number): Application {
  const a = Application.fromJSON(appDoc);
  a.metadata = { ...a.metadata!, name: `app-${String(i).padStart(4, "0")}`, namespace: NS };
  a.spec!.constraints = { migration: true, cluster: { labels: ["location in (DE, FR)"], customResources: [], metrics: ["cpu-free > 0.5"] } };
  return a;
}

/** Prometheus text: the sum of every sample of `metric` (all label sets). */
function sumOf(text: string, metric: string): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(metric) || (line[metric.length] !== "{" && line[metric.length] !== " ")) continue;
    sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}

function vmKiB(pid: number, field: "VmHWM" | "VmRSS"): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * GET without keep-alive: a busy scheduler's server may close an idle
 * connection just as fetch reuses it (ECONNRESET).
 */
function httpText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { agent: false, timeout: 30_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (c: string) => (body += c)).on("end", () => {
        if (res.statusCode === 200) resolve(body);
        else reject(new Error(`GET ${url}: HTTP ${res.statusCode}`));
      }).on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url}: no answer within 30 s`)));
    req.on("error", reject);
  });
}

const TICKS_PER_SECOND = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Rejects after `ms` without keeping the process alive (for races against a deadline). */
const timeout = (ms: number, why: () => string): Promise<never> => {
  const p = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(why())), ms).unref());
  p.catch(() => {});
  return p;
};

const startedAt = performance.now();
const wallStart = Date.now();
let etcd: EtcdProcess | undefined;
let api: KrakeApiProcess | undefined;
let conn: ApiConnection | undefined;
let scheduler: ControllerProcess | undefined;
let watch: { cancel(): void } | undefined;
let failed = false;
try {
  etcd = await startEtcd({ progressNotifyIntervalMs: 1_000 });
  api = await startKrakeApi({ etcdEndpoint: etcd.endpoint });
  log(`etcd ${etcd.endpoint} (pid ${etcd.pid}), krake-api pid ${api.pid} gRPC :${api.grpcPort}`);
  conn = new ApiConnection(api.address);
  const clusters = conn.client(clusterKind);
  const apps = conn.client(applicationKind);

  await conn.client(globalMetricsProviderKind).create("", GlobalMetricsProvider.fromPartial({
    api: "core", kind: "GlobalMetricsProvider", metadata: { name: "static" },
    spec: { type: "static", static: { metrics: { ...METRICS } } },
  }));
  for (const m of Object.keys(METRICS)) {
    await conn.client(globalMetricKind).create("", GlobalMetric.fromPartial({
      api: "core", kind: "GlobalMetric", metadata: { name: m },
      spec: { min: 0, max: 1, allowedValues: [], provider: { name: "static", metric: m } },
    }));
  }
  let t = performance.now();
  await eachLimited(Array.from({ length: CLUSTERS }, (_, i) => i), IN_FLIGHT, async (i) => {
    const c = await clusters.create(NS, cluster(i));
    c.status = ClusterStatus.fromPartial({ ...c.status, state: ClusterState.ONLINE });
    await clusters.updateStatus(c);
  });
  log(`${CLUSTERS} clusters created and ONLINE in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  t = performance.now();
  const profileDir = values.profile ? resolve(values.profile) : undefined;
  // (node's flags go before the program: spawnController runs `node <bin> <args>`)
  const [bin, ...nodeArgs] = profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`, "bin/krake-scheduler.js"] : ["bin/krake-scheduler.js"];
  scheduler = spawnController(bin, [
    ...nodeArgs,
    "--api_endpoint", api.address, "--http.port", "0", "--lease.enabled", "false", "--log.level", "info",
    "--worker_count", String(WORKERS), "--scheduler.metrics_cycle_ms", String(CYCLE_MS),
  ]);
  const sched = scheduler;
  const schedExit = sched.exited.then((e) => {
    throw new Error(`krake-scheduler exited with ${e.signal ?? `code ${e.code}`}: ${e.stderr.trim().split("\n").slice(-10).join(" | ")}`);
  });
  schedExit.catch(() => {}); // raced below; unobserved once the run is over
  const metricsUrl = `http://127.0.0.1:${await Promise.race([sched.httpPort(60_000), schedExit])}`;
  await Promise.race([
    poll(async () => (await fetch(`${metricsUrl}/readyz`).catch(() => undefined))?.status === 200, "krake-scheduler ready (informers synced)", 60_000, 50),
    schedExit,
  ]);
  log(`krake-scheduler pid ${sched.pid} ready in ${((performance.now() - t) / 1000).toFixed(1)} s (${WORKERS} workers)`);
  const scrape = () => httpText(`${metricsUrl}/metrics`);
  const before = await scrape();
  const queriesBefore = sumOf(before, "krake_scheduler_provider_queries_total");
  const decisionsBefore = sumOf(before, "krake_scheduler_decisions_total");

  // the watch, open (its BOOKMARK after the initial events) before the first create
  const ackAt = new Map<string, number>();
  const placedAt = new Map<string, number>();
  /** Placements per cluster (the highest weight on the better metric wins: the last cluster). */
  const placedOn = new Map<string, number>();
  let allPlaced: () => void = () => {};
  const placedAll = new Promise<void>((r) => (allPlaced = r));
  let watchFailed: (err: Error) => void = () => {};
  const watchEnded = new Promise<never>((_, reject) => (watchFailed = reject));
  watchEnded.catch(() => {});
  let opened: () => void = () => {};
  const open = new Promise<void>((r) => (opened = r));
  const stream = apps.watch({ namespace: NS, allowBookmarks: true, sendInitialEvents: true });
  watch = stream;
  stream.stream.on("data", (ev: WatchEvent<Application>) => {
    const at = performance.now();
    if (ev.type === EventType.BOOKMARK) return opened();
    const name = ev.object?.metadata?.name;
    if (!name || placedAt.has(name) || !ev.object?.status?.scheduledTo?.name) return;
    placedAt.set(name, at);
    const on = ev.object.status.scheduledTo.name;
    placedOn.set(on, (placedOn.get(on) ?? 0) + 1);
    if (placedAt.size === APPS) allPlaced();
  });
  stream.stream.on("error", (err: Error) => watchFailed(new Error(`the Application watch failed: ${err.message}`)));
  stream.stream.on("end", () => watchFailed(new Error("the Application watch ended")));
  await Promise.race([open, watchEnded, timeout(30_000, () => "the Application watch did not open within 30 s")]);

  const meter = new CpuMeter([
    { name: "krake-scheduler", pids: [sched.pid] },
    { name: "krake-api", pids: [api.pid] },
    { name: "etcd", pids: etcd.pid ? [etcd.pid] : [] },
    { name: "bench(node)", pids: [process.pid] },
  ]).start();
  const ticksBefore = processTicks(sched.pid) ?? 0;
  const start = performance.now();
  log(`creating ${APPS} Applications, ${IN_FLIGHT} in flight`);
  await Promise.race([
    eachLimited(Array.from({ length: APPS }, (_, i) => i), IN_FLIGHT, async (i) => {
      const a = application(i);
      await apps.create(NS, a);
      ackAt.set(a.metadata!.name, performance.now());
    }),
    schedExit,
    watchEnded,
  ]);
  const createdIn = (performance.now() - start) / 1000;
  log(`created in ${createdIn.toFixed(1)} s; ${placedAt.size} placed so far`);
  const placeDeadline = timeout(Math.max(10, TIMEOUT_S - 30 - (performance.now() - startedAt) / 1000) * 1000, () => `only ${placedAt.size} of ${APPS} Applications placed in time`);
  const progress = setInterval(() => log(`${placedAt.size} placed after ${((performance.now() - start) / 1000).toFixed(0)} s`), 5_000);
  try {
    await Promise.race([placedAll, schedExit, watchEnded, placeDeadline]);
  } finally {
    clearInterval(progress);
  }
  const lastPlaced = Math.max(...placedAt.values());
  const ticksAtPlaced = processTicks(sched.pid) ?? ticksBefore;
  const cpuWhilePlacing = meter.stop();

  const latencies: number[] = [];
  let beforeAck = 0;
  for (const [name, placed] of placedAt) {
    const ack = ackAt.get(name);
    if (ack === undefined) throw new Error(`${name} was placed but its create was not answered`);
    if (placed < ack) beforeAck++;
    latencies.push(Math.max(0, placed - ack) / 1000);
  }
  const cpu: CpuBreakdown = cpuWhilePlacing;
  const ackNote = beforeAck ? `; ${beforeAck} placed before their create answer arrived (counted as 0)` : "";
  const per = `${APPS} Applications on ${CLUSTERS} ONLINE clusters (2 metrics each), ${WORKERS} workers; per app: create answer → first watch event with status.scheduled_to${ackNote}`;
  out("scheduler.place.p50_s", round(percentile(latencies, 50), 3), { cpu, note: per });
  out("scheduler.place.p90_s", round(percentile(latencies, 90), 3), {
    cpu,
    note: `target: the best published multi-cluster scheduler's p90 at this scale; ${per}`,
  });
  out("scheduler.place.p99_s", round(percentile(latencies, 99), 3), { cpu, note: per });
  out("scheduler.place.all_s", round((lastPlaced - start) / 1000, 2), {
    cpu,
    note: `first create sent → last placement seen (the creates took ${createdIn.toFixed(2)} s at ${IN_FLIGHT} in flight); placed on ` +
      [...placedOn].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([c, n]) => `${c} ×${n}`).join(", ") + (placedOn.size > 3 ? ", …" : ""),
  });

  // The scheduler is done when it is idle: under 5% of a core for 1 s (its /metrics may not answer while
  // it is busy). Its own writes bring nothing back, so this follows the last placement closely.
  const settleBy = performance.now() + Math.max(10, TIMEOUT_S - 40 - (performance.now() - startedAt) / 1000) * 1000;
  let settledAt: number | undefined;
  for (let last = processTicks(sched.pid) ?? 0, lastAt = performance.now(); performance.now() < settleBy; ) {
    await sleep(1_000);
    const ticks = processTicks(sched.pid);
    if (ticks === undefined) throw new Error("krake-scheduler is gone");
    const now = performance.now();
    if ((ticks - last) / TICKS_PER_SECOND / ((now - lastAt) / 1000) < 0.05) {
      settledAt = lastAt;
      break;
    }
    last = ticks;
    lastAt = now;
  }
  const endAt = settledAt ?? performance.now();
  const ticksEnd = processTicks(sched.pid) ?? ticksAtPlaced;
  const hwmKiB = vmKiB(sched.pid, "VmHWM");
  const rssKiB = vmKiB(sched.pid, "VmRSS");
  const settledS = (endAt - start) / 1000;
  const settleNote = settledAt === undefined ? `still busy ${settledS.toFixed(0)} s after the first create (gave up waiting)` : `idle ${settledS.toFixed(1)} s after the first create`;
  log(`krake-scheduler ${settleNote}`);
  out("scheduler.cpu_s", round((ticksEnd - ticksBefore) / TICKS_PER_SECOND, 2), {
    note: `krake-scheduler utime+stime from the first create until it was idle (${settleNote}); ` +
      `${round((ticksAtPlaced - ticksBefore) / TICKS_PER_SECOND, 2)} s until the last placement (start-up and informer sync excluded)`,
  });
  if (hwmKiB === undefined) throw new Error(`no VmHWM for krake-scheduler (pid ${sched.pid})`);
  out("scheduler.rss_mb", round(hwmKiB / 1024, 1), { note: `VmHWM (peak RSS) of krake-scheduler at the end; VmRSS then ${rssKiB === undefined ? "?" : round(rssKiB / 1024, 1)} MB` });

  const after = await scrape();
  const queries = sumOf(after, "krake_scheduler_provider_queries_total") - queriesBefore;
  const cycles = Math.max(1, Math.ceil((endAt - start) / CYCLE_MS));
  out("scheduler.provider_queries_per_cycle", round(queries / cycles, 2), {
    note: `${queries} provider queries (krake_scheduler_provider_queries_total) in ${cycles} metrics cycle(s) of ${CYCLE_MS / 1000} s; ` +
      `${DISTINCT_METRICS} distinct metrics, so the target is ${DISTINCT_METRICS}` +
      (cycles > 1 ? " (the run outlasted one cycle: the cycle count is an estimate)" : ""),
  });
  const byAction = new Map<string, number>();
  for (const m of after.matchAll(/^krake_scheduler_decisions_total\{action="([^"]*)",reason="([^"]*)"\} (\S+)$/gm)) {
    byAction.set(`${m[1]}/${m[2]}`, Number(m[3]));
  }
  out("scheduler.decisions", sumOf(after, "krake_scheduler_decisions_total") - decisionsBefore, {
    note: `krake_scheduler_decisions_total at the end (${settleNote}): ${[...byAction].map(([k, v]) => `${k} ${v}`).join(", ")}`,
  });
} catch (err) {
  failed = true;
  const cause = err instanceof Error && err.cause instanceof Error ? ` (${err.cause.message})` : "";
  const why = (err instanceof Error ? err.message : String(err)) + cause;
  log(`failed: ${why}`);
  reportMissing(`bench/scheduler.ts failed: ${why.replace(/\s+/g, " ").slice(0, 600)}`);
} finally {
  log("stopping krake-scheduler, krake-api and etcd");
  watch?.cancel();
  await scheduler?.stop(10_000).catch(() => undefined);
  conn?.close();
  await api?.stop().catch(() => undefined);
  await etcd?.remove().catch(() => undefined);
}
if (values.profile && !failed) {
  const dir = resolve(values.profile);
  // one profile per thread: the main thread is the busy one; from the first reconcile on (not start-up)
  const inReconcile = (stack: CallFrame[]) => stack.some((f) => f.url.endsWith("/controllers/scheduler/reconciler.ts"));
  const newest = readdirSync(dir)
    .filter((f) => f.endsWith(".cpuprofile") && statSync(join(dir, f)).mtimeMs >= wallStart)
    .map((f) => ({ file: join(dir, f), summary: summarizeProfile(join(dir, f), 25, inReconcile) }))
    .sort((a, b) => b.summary.busyMs - a.summary.busyMs)[0];
  if (newest) log(formatProfile(`krake-scheduler CPU profile ${newest.file}`, newest.summary));
  else log(`no CPU profile in ${dir}`);
}
if (failed) process.exit(1);
