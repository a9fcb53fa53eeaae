/**
 * Create: raw etcd puts vs gRPC Creates from Node (like for like: both
 * clients are grpc-js inside), Create capacity under h2load, and REST
 * Create under wrk next to it.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Application, ApplicationServiceService, CreateApplicationRequest, ListApplicationsRequest } from "../../../gen/krake/kubernetes/v1/application.js";
import { krakeClients } from "../../../src/client/clients.js";
import { namespacePrefix, DEFAULT_KEY_PREFIX } from "../../../src/store/keys.js";
import { closedLoop } from "../closed-loop.js";
import { CpuMeter } from "../cpu.js";
import type { CpuBreakdown, Figure } from "../figures.js";
import { figure, notAvailable } from "../figures.js";
import { unaryOnce } from "../grpc-wire.js";
import { h2load, wrk, wrkPostScript } from "../load-tools.js";
import { application, createRequestBytes, createRequestJson, SPEC_BYTES } from "../objects.js";
import { round } from "../stats.js";
import type { BenchContext } from "../context.js";
import { benchProcess, etcdOf, requestFile, serverProcesses } from "../context.js";

const CREATE = ApplicationServiceService.createApplication.path;
const RAW_PREFIX = "/bench-raw/";
/** Requests of the h2load run whose every object is counted afterwards. */
const VERIFY_REQUESTS = 3_000;

export function appPrefix(namespace: string): string {
  return namespacePrefix(DEFAULT_KEY_PREFIX, "kubernetes", "applications", namespace);
}

/**
 * Applications stored in `namespace`: counted in etcd when the run has one,
 * else by a List through krake-api (a List is consistent: it is answered once
 * the watch cache has every write the store had when it arrived).
 */
export async function storedApplications(ctx: BenchContext, namespace: string): Promise<number> {
  if (ctx.admin) return ctx.admin.count(appPrefix(namespace));
  // the answer may be bigger than grpc-js's default 4 MiB
  const clients = krakeClients(ctx.api.address, undefined, { "grpc.max_receive_message_length": -1 });
  try {
    return (await clients.applications.listApplications(ListApplicationsRequest.fromPartial({ namespace }))).items.length;
  } finally {
    clients.close();
  }
}

/** `work`'s etcd calls, per method; undefined when the run has no etcd (the work is done all the same). */
async function etcdCallsDuring(ctx: BenchContext, work: () => Promise<unknown>): Promise<Map<string, number> | undefined> {
  if (ctx.admin) return ctx.admin.callsDuring(work);
  await work();
  return undefined;
}

function errorNote(errors: number, firstError: unknown): string | undefined {
  if (!errors) return undefined;
  return `${errors} failed calls; first: ${firstError instanceof Error ? firstError.message : String(firstError)}`;
}

/** etcd calls per API call: what a request costs etcd (and krake-api's etcd client). */
export function etcdCallsFigure(name: string, calls: Map<string, number>, requests: number): Figure {
  const total = [...calls.values()].reduce((a, b) => a + b, 0);
  const perMethod = [...calls].map(([m, n]) => `${m} ${round(n / requests, 2)}`).join(", ");
  return figure(name, round(total / requests, 2), "calls", { note: `per request, by method: ${perMethod || "none"} (over ${requests} requests)` });
}

/** etcd3 put vs krake-api Create, both from this process at the same concurrency. */
export async function createFromNode(ctx: BenchContext): Promise<void> {
  const { concurrency, warmupS, durationS } = ctx.settings;
  const { admin } = etcdOf(ctx, "create-node");
  const watched = [...serverProcesses(ctx), benchProcess()];
  const namespace = "bench-create-node";
  const value = Buffer.from(Application.encode(application(namespace, { name: "raw-object-00000" })).finish());

  ctx.log(`create: etcd3 put of ${value.length} B values, ${concurrency} in flight`);
  let meter: CpuMeter | undefined;
  let cpu: CpuBreakdown | undefined;
  const hooks = {
    onMeasureStart: () => (meter = new CpuMeter(watched).start()),
    onMeasureEnd: () => (cpu = meter?.stop()),
  };
  const put = await closedLoop((i) => admin.client.put(`${RAW_PREFIX}${i}`).value(value).exec(), {
    inFlight: concurrency, warmupS, durationS, ...hooks,
  });
  ctx.out(figure("create.node.etcd-put", round(put.rate, 0), "puts/s", { cpu, note: errorNote(put.errors, put.firstError) }));

  ctx.log(`create: gRPC Create through krake-api, ${concurrency} in flight`);
  const request = CreateApplicationRequest.fromPartial({ namespace, application: application(namespace, { generateName: "node-" }) });
  const create = await closedLoop(() => ctx.clients.applications.createApplication(request), { inFlight: concurrency, warmupS, durationS, ...hooks });
  ctx.out(figure("create.node.krake-create", round(create.rate, 0), "creates/s", { cpu, note: errorNote(create.errors, create.firstError) }));
  ctx.out(
    figure("create.node.ratio", round(create.rate / put.rate, 2), "create/put", {
      target: { atLeast: 0.5 },
      note: `gRPC Create ÷ etcd put, both from one Node process with ${concurrency} in flight, ${SPEC_BYTES} B spec`,
    }),
  );
}

/** Create capacity with h2load; returns creates/s for the REST comparison. */
export async function createH2load(ctx: BenchContext): Promise<number> {
  const namespace = "bench-create-h2";
  const file = requestFile(ctx, "create.bin", createRequestBytes(namespace, "h2-"));
  const url = `${ctx.api.origin}${CREATE}`;

  // the exact bytes h2load sends, once, checked for grpc-status (h2load only sees HTTP 200)
  const probe = await unaryOnce(ctx.api.origin, CREATE, readFileSync(file));
  const made = probe.grpcStatus === 0 ? Application.decode(probe.message) : undefined;
  if (!made?.metadata?.name.startsWith("h2-")) {
    throw new Error(`create request file rejected: HTTP ${probe.httpStatus}, grpc-status ${probe.grpcStatus} ${probe.grpcMessage}`);
  }

  // every success h2load counts must be an object in the store
  const verifyNs = "bench-create-verify";
  const verifyFile = requestFile(ctx, "create-verify.bin", createRequestBytes(verifyNs, "v-"));
  ctx.log(`create: h2load -n ${VERIFY_REQUESTS} (every success counted in the store)`);
  let verify: Awaited<ReturnType<typeof h2load>> | undefined;
  const calls = await etcdCallsDuring(ctx, async () => {
    verify = await h2load({ url, dataFile: verifyFile, streams: ctx.settings.concurrency, requests: VERIFY_REQUESTS });
  });
  if (!verify) throw new Error("unreachable");
  const stored = await storedApplications(ctx, verifyNs);
  if (calls) ctx.out(etcdCallsFigure("create.etcd-calls-per-create", calls, stored));
  ctx.out(
    figure("create.h2load.mismatch", Math.abs(verify.succeeded - stored), "objects", {
      target: { atMost: 0 },
      note: `h2load ${verify.succeeded}/${VERIFY_REQUESTS} succeeded, ${stored} objects in the store (a 200 with grpc-status != 0 creates none)`,
    }),
  );

  ctx.log("create: h2load capacity");
  const run = await h2load({
    url, dataFile: file, streams: ctx.settings.concurrency, durationS: ctx.settings.durationS, warmupS: ctx.settings.warmupS,
    watched: serverProcesses(ctx),
  });
  const errors = run.failed + run.errored + run.timeout;
  ctx.out(
    figure("create.h2load", round(run.rate, 0), "creates/s", {
      target: { atLeast: 6000 },
      cpu: run.cpu,
      note: errors ? `${errors} requests failed` : undefined,
    }),
  );
  return run.rate;
}

/** REST Create with wrk (a Lua script POSTs the same JSON body), next to the h2load figure. */
export async function createRest(ctx: BenchContext, grpcRate: number | undefined): Promise<void> {
  const port = ctx.api.httpPort;
  if (port === undefined) {
    const why = "REST gateway not in this build (krake-api does not accept --http.port)";
    ctx.out(notAvailable("rest.create.wrk", "creates/s", why));
    ctx.out(notAvailable("rest.create.ratio", "REST/gRPC", why, { atLeast: 0.8 }));
    return;
  }
  const namespace = "bench-create-rest";
  const body = createRequestJson(namespace, "rest-");
  const url = `http://127.0.0.1:${port}/kubernetes/namespaces/${namespace}/applications`;
  const probe = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });
  const probeText = await probe.text();
  if (probe.status !== 200) throw new Error(`REST create rejected: ${probe.status} ${probeText}`);
  const script = join(ctx.tmp, "create.lua");
  writeFileSync(script, wrkPostScript(body));

  ctx.log("create: wrk REST capacity");
  let before = 0;
  const run = await wrk({
    url, script, connections: ctx.settings.concurrency, durationS: ctx.settings.durationS, warmupS: ctx.settings.warmupS,
    watched: serverProcesses(ctx),
    onMeasureStart: async () => {
      before = await storedApplications(ctx, namespace);
    },
  });
  const created = (await storedApplications(ctx, namespace)) - before;
  const ok = run.requests - run.non2xx;
  // answers still in flight when wrk stops may create objects it does not count
  const uncounted = created < ok || created > ok + ctx.settings.concurrency ? Math.abs(created - ok) : 0;
  ctx.out(
    figure("rest.create.wrk", round(run.rate, 0), "creates/s", {
      cpu: run.cpu,
      note: `${run.non2xx} non-2xx, ${run.socketErrors} socket errors`,
    }),
  );
  ctx.out(
    figure("rest.create.mismatch", uncounted, "objects", {
      target: { atMost: 0 },
      note: `wrk counted ${ok} 2xx answers, the store gained ${created} objects (up to ${ctx.settings.concurrency} more may be answered after wrk stops)`,
    }),
  );
  if (grpcRate === undefined) {
    ctx.out(notAvailable("rest.create.ratio", "REST/gRPC", "the gRPC Create capacity was not measured in this run", { atLeast: 0.8 }));
  } else {
    ctx.out(figure("rest.create.ratio", round(run.rate / grpcRate, 2), "REST/gRPC", { target: { atLeast: 0.8 } }));
  }
}

/** Removes every object the create phases made and compacts etcd. */
export async function cleanUp(ctx: BenchContext): Promise<void> {
  const deleted = await etcdOf(ctx, "clean-up").admin.deleteAndCompact(RAW_PREFIX, `${DEFAULT_KEY_PREFIX}/`);
  ctx.log(`cleaned up ${deleted} keys; etcd compacted`);
}
