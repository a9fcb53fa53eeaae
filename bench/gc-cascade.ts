/**
 * The garbage collector's cascade: time from deleting 1 Cluster that owns
 * 1,000 Applications until the Cluster is gone (the collector removes it only
 * after every Application). krake-api and krake-controller-gc run as child
 * processes on one etcd; this process creates the objects and watches the
 * outcome through an informer. Median of 3 runs.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Application } from "../gen/krake/kubernetes/v1/application.js";
import type { Cluster } from "../gen/krake/kubernetes/v1/cluster.js";
import { applicationKind, clusterKind } from "../src/apiserver/kinds/index.js";
import { ApiConnection } from "../src/client/kind-client.js";
import { startEtcd } from "../test/fixtures/etcd.js";
import { application, cluster, refTo } from "../test/controller/support/objects.js";
import { eachLimited, Observer, poll } from "../test/controller/support/observe.js";
import { CpuMeter } from "./lib/cpu.js";
import type { CpuBreakdown } from "./lib/figures.js";
import { emit, figure } from "./lib/figures.js";
import { freePort, startKrakeApi } from "./lib/krake-api-process.js";

const APPS = 1_000;
const RUNS = 3;
const TARGET_S = 10;
const root = fileURLToPath(new URL("../", import.meta.url));
const log = (msg: string) => process.stderr.write(`gc-cascade: ${msg}\n`);

const etcd = await startEtcd();
const api = await startKrakeApi({ etcdEndpoint: etcd.endpoint, http: true });
const httpPort = await freePort();
const gc = spawn(
  process.execPath,
  ["bin/krake-controller-gc.js", "--api_endpoint", api.address, "--http.port", String(httpPort), "--log.level", "warn"],
  { cwd: root, stdio: ["ignore", "inherit", "inherit"] },
);
const gcGone = new Promise<void>((resolve) => gc.once("exit", () => resolve()));
process.on("exit", () => gc.kill("SIGKILL"));
const conn = new ApiConnection(api.address);
const appsSeen = new Observer<Application>(conn.client(applicationKind));
const clustersSeen = new Observer<Cluster>(conn.client(clusterKind));
try {
  await poll(async () => (await fetch(`http://127.0.0.1:${httpPort}/readyz`).catch(() => undefined))?.status === 200, "the GC is ready", 60_000, 100);
  await appsSeen.start();
  await clustersSeen.start();
  const apps = conn.client(applicationKind);
  const clusters = conn.client(clusterKind);
  const runs: { seconds: number; cpu: CpuBreakdown }[] = [];
  for (let run = 0; run < RUNS; run++) {
    const ns = `cascade-${run}`;
    const c = await clusters.create(ns, cluster(ns, "owner"));
    const names = Array.from({ length: APPS }, (_, i) => `app-${i}`);
    log(`run ${run + 1}: creating ${APPS} Applications owned by ${ns}/owner`);
    await eachLimited(names, 64, (name) => apps.create(ns, application(ns, name, [refTo(c)])));
    await appsSeen.until(() => appsSeen.informer.store.byIndex("namespace", ns).length === APPS, "all created", 60_000);
    // The collector's informers see the same events; give them a moment to settle before the clock starts.
    await new Promise((r) => setTimeout(r, 500));
    const meter = new CpuMeter([
      { name: "krake-controller-gc", pids: gc.pid ? [gc.pid] : [] },
      { name: "krake-api", pids: [api.pid] },
      { name: "etcd", pids: etcd.pid ? [etcd.pid] : [] },
    ]).start();
    const start = performance.now();
    await clusters.delete(ns, "owner");
    await clustersSeen.until(() => !clustersSeen.get(`${ns}/owner`), "the owner removed", 120_000);
    const seconds = (performance.now() - start) / 1000;
    const cpu = meter.stop();
    const left = appsSeen.informer.store.byIndex("namespace", ns).length;
    if (left !== 0) throw new Error(`the owner was removed with ${left} Applications left`);
    log(`run ${run + 1}: ${seconds.toFixed(2)} s`);
    runs.push({ seconds, cpu });
  }
  const sorted = [...runs].sort((a, b) => a.seconds - b.seconds);
  const median = sorted[Math.floor(sorted.length / 2)];
  emit(figure("gc.cascade-1000", Math.round(median.seconds * 100) / 100, "s", {
    target: { atMost: TARGET_S },
    cpu: median.cpu,
    note: `median of ${RUNS} runs (${runs.map((r) => r.seconds.toFixed(2)).join(", ")} s): Delete of the owner until it is removed, all ${APPS} dependents first; GC with 5 workers`,
  }));
} finally {
  await appsSeen.stop();
  await clustersSeen.stop();
  conn.close();
  gc.kill("SIGTERM");
  await gcGone;
  await api.stop();
  await etcd.remove();
}
