/**
 * krake-api benchmark (issue 2 "Benchmark", issue 3 REST figures): its own
 * etcd and krake-api child process, Node and C load generators, one JSON
 * figure per stdout line (see bench/README.md). Progress goes to stderr.
 *
 *   node --import tsx bench/api.ts [--only create,get-h2load,...] [--profile DIR] [--duration S]
 *
 * --only takes phase names or prefixes: create-node create-h2load create-rest
 * get-h2load get-etcd get-rest list watch-1k watch-10k.
 * --profile runs krake-api under `node --cpu-prof` and prints where its time went
 * (profile one phase at a time: clean-up between phases is skipped then).
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { allKinds } from "../src/apiserver/kinds/index.js";
import { krakeClients } from "../src/client/clients.js";
import { startEtcd } from "../test/fixtures/etcd.js";
import type { BenchContext } from "./lib/context.js";
import { formatProfile, summarizeProfile } from "./lib/cpu-profile.js";
import type { CallFrame } from "./lib/cpu-profile.js";
import { EtcdAdmin } from "./lib/etcd-admin.js";
import { emit } from "./lib/figures.js";
import { startKrakeApi } from "./lib/krake-api-process.js";
import { cleanUp, createFromNode, createH2load, createRest } from "./lib/phases/create.js";
import { createGetTarget, etcdRangeH2load, getH2load, getRest } from "./lib/phases/get.js";
import { list10k } from "./lib/phases/list.js";
import { watchFanout } from "./lib/watch-fanout.js";

const PHASES = ["create-node", "create-h2load", "create-rest", "get-h2load", "get-etcd", "get-rest", "list", "watch-1k", "watch-10k"] as const;
type Phase = (typeof PHASES)[number];

const { values } = parseArgs({
  options: {
    only: { type: "string" },
    profile: { type: "string" },
    duration: { type: "string", default: "5" },
    timeout: { type: "string", default: "280" },
  },
});
const picks = (w: string, p: Phase) => p === w || p.startsWith(`${w}-`);
const wanted = (values.only ?? "").split(",").filter(Boolean);
for (const w of wanted) {
  if (!PHASES.some((p) => picks(w, p))) throw new Error(`--only: no phase "${w}" (phases: ${PHASES.join(", ")})`);
}
const selected = new Set<Phase>(PHASES.filter((p) => wanted.length === 0 || wanted.some((w) => picks(w, p))));
const durationS = Number(values.duration);
if (!(durationS >= 1)) throw new Error(`--duration: "${values.duration}" is not a number of seconds >= 1`);
const log = (msg: string) => process.stderr.write(`[bench/api] ${msg}\n`);

// everything is bounded: a stuck phase ends the run (children are killed on exit)
const watchdog = setTimeout(() => {
  log(`gave up after ${values.timeout} s`);
  process.exit(1);
}, Number(values.timeout) * 1000);
watchdog.unref();

const tmp = mkdtempSync(join(tmpdir(), "krake-bench-"));
process.on("exit", () => rmSync(tmp, { recursive: true, force: true })); // also after the watchdog or a signal
const profileDir = values.profile ? resolve(values.profile) : undefined;
const startedAt = Date.now();
const etcd = await startEtcd({ progressNotifyIntervalMs: 1_000 });
const admin = new EtcdAdmin(etcd.endpoint);
try {
  const needsApi = [...selected].some((p) => !p.startsWith("watch"));
  if (needsApi) {
    const api = await startKrakeApi({
      etcdEndpoint: etcd.endpoint,
      http: true,
      nodeFlags: profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [],
    });
    log(`etcd ${etcd.endpoint} (pid ${etcd.pid}), krake-api pid ${api.pid} gRPC :${api.grpcPort}` +
      (api.httpPort ? ` REST :${api.httpPort}` : " (no REST gateway in this build)"));
    const clients = krakeClients(api.address);
    const ctx: BenchContext = {
      etcd, admin, api, clients, tmp, log, out: emit,
      settings: { durationS, warmupS: 1, concurrency: 64 },
    };
    try {
      if (selected.has("create-node")) await createFromNode(ctx);
      const grpcCreate = selected.has("create-h2load") ? await createH2load(ctx) : undefined;
      if (selected.has("create-rest")) await createRest(ctx, grpcCreate);
      // (a profile should show the phases only, not the clean-up's delete events)
      if (!profileDir) await cleanUp(ctx);
      if ([...selected].some((p) => p.startsWith("get"))) await createGetTarget(ctx);
      const grpcGet = selected.has("get-h2load") ? await getH2load(ctx) : undefined;
      if (selected.has("get-etcd")) await etcdRangeH2load(ctx);
      if (selected.has("get-rest")) await getRest(ctx, grpcGet);
      if (selected.has("list")) {
        await list10k(ctx);
        await cleanUp(ctx);
      }
    } finally {
      clients.close();
      await api.stop(); // before the watch phases: then etcd's watch gauges count theirs only
    }
  }
  for (const watchers of [1_000, 10_000]) {
    if (!selected.has(watchers === 1_000 ? "watch-1k" : "watch-10k")) continue;
    log(`watch: ${watchers} streams`);
    const figures = await watchFanout({
      etcdEndpoint: etcd.endpoint,
      etcdPid: etcd.pid,
      admin,
      watchers,
      loadProcesses: watchers > 2_000 ? 2 : 1,
      streamsPerConnection: 500,
      writes: 5,
      withTargets: watchers === 10_000,
      kinds: allKinds.length,
    });
    for (const f of figures) emit(f);
  }
  if (profileDir) {
    // from the first request to a kind's service on (not start-up, not health checks)
    const inKindRequest = (stack: CallFrame[]) =>
      stack.some((f) => f.url.endsWith("/grpc-js/build/src/server.js")) && stack.some((f) => f.url.endsWith("/grpc/kind-service.ts"));
    // one profile per thread: the main thread is the busy one (the others are tsx's loader)
    const profiles = readdirSync(profileDir)
      .filter((f) => f.endsWith(".cpuprofile") && statSync(join(profileDir, f)).mtimeMs >= startedAt)
      .map((f) => ({ file: join(profileDir, f), summary: summarizeProfile(join(profileDir, f), 20, inKindRequest) }))
      .sort((a, b) => b.summary.busyMs - a.summary.busyMs);
    if (profiles[0]) log(formatProfile(`krake-api CPU profile ${profiles[0].file}`, profiles[0].summary));
  }
} finally {
  admin.close();
  await etcd.remove();
}
