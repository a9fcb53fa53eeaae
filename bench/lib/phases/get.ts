/**
 * Get served from the watch cache, under h2load, next to etcd's own Range
 * capacity under h2load and REST GET under wrk, in the same run.
 */
import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { Application, ApplicationServiceService, CreateApplicationRequest } from "../../../gen/krake/kubernetes/v1/application.js";
import { DEFAULT_KEY_PREFIX, objectKey } from "../../../src/store/keys.js";
import type { BenchContext } from "../context.js";
import { etcdOf, requestFile, serverProcesses } from "../context.js";
import { figure, notAvailable } from "../figures.js";
import { grpcFrame, unaryOnce } from "../grpc-wire.js";
import { h2load, wrk } from "../load-tools.js";
import { application, getRequestBytes } from "../objects.js";
import { round } from "../stats.js";
import { etcdCallsFigure } from "./create.js";

const GET = ApplicationServiceService.getApplication.path;
const RANGE = "/etcdserverpb.KV/Range";
const NAMESPACE = "bench-get";
const NAME = "target";
/** Gets of the run whose etcd calls are counted. */
const CALLS_COUNTED = 3_000;

export async function createGetTarget(ctx: BenchContext): Promise<void> {
  await ctx.clients.applications.createApplication(
    CreateApplicationRequest.fromPartial({ namespace: NAMESPACE, application: application(NAMESPACE, { name: NAME }) }),
  );
}

function failures(r: { failed: number; errored: number; timeout: number }): string | undefined {
  const n = r.failed + r.errored + r.timeout;
  return n ? `${n} requests failed` : undefined;
}

/** Get capacity under h2load; returns gets/s for the REST comparison. */
export async function getH2load(ctx: BenchContext): Promise<number> {
  const file = requestFile(ctx, "get.bin", getRequestBytes(NAMESPACE, NAME));
  const probe = await unaryOnce(ctx.api.origin, GET, grpcFrame(getRequestBytes(NAMESPACE, NAME)));
  if (probe.grpcStatus !== 0 || Application.decode(probe.message).metadata?.name !== NAME) {
    throw new Error(`get request file rejected: HTTP ${probe.httpStatus}, grpc-status ${probe.grpcStatus} ${probe.grpcMessage}`);
  }
  const counted = () => h2load({ url: `${ctx.api.origin}${GET}`, dataFile: file, streams: ctx.settings.concurrency, requests: CALLS_COUNTED });
  // without etcd the same run still warms up the server
  if (ctx.admin) ctx.out(etcdCallsFigure("get.etcd-calls-per-get", await ctx.admin.callsDuring(counted), CALLS_COUNTED));
  else await counted();
  ctx.log("get: h2load capacity (krake-api, watch cache)");
  const run = await h2load({
    url: `${ctx.api.origin}${GET}`, dataFile: file, streams: ctx.settings.concurrency,
    durationS: ctx.settings.durationS, warmupS: ctx.settings.warmupS, watched: serverProcesses(ctx),
  });
  ctx.out(
    figure("get.h2load.krake", round(run.rate, 0), "gets/s", {
      target: { atLeast: 25_000 },
      cpu: run.cpu,
      note: [`${probe.message.length} B response`, failures(run)].filter(Boolean).join("; "),
    }),
  );
  return run.rate;
}

/** RangeRequest{key} by hand: etcd's own protos are not part of this project. */
function rangeRequest(key: string): Uint8Array {
  return new BinaryWriter().tag(1, WireType.LengthDelimited).bytes(Buffer.from(key)).finish();
}

/** RangeResponse.count (field 4). */
function rangeCount(message: Uint8Array): number {
  const r = new BinaryReader(message);
  let count = 0;
  while (r.pos < r.len) {
    const [field, type] = r.tag();
    if (field === 4 && type === WireType.Varint) count = Number(r.int64());
    else r.skip(type);
  }
  return count;
}

/** etcd's Range capacity for the same object, under h2load against etcd's client port. */
export async function etcdRangeH2load(ctx: BenchContext): Promise<void> {
  const { etcd } = etcdOf(ctx, "get-etcd");
  const request = rangeRequest(objectKey(DEFAULT_KEY_PREFIX, "kubernetes", "applications", NAMESPACE, NAME));
  const file = requestFile(ctx, "range.bin", request);
  const probe = await unaryOnce(etcd.endpoint, RANGE, grpcFrame(request));
  if (probe.grpcStatus !== 0 || rangeCount(probe.message) !== 1) {
    throw new Error(`etcd range request rejected: HTTP ${probe.httpStatus}, grpc-status ${probe.grpcStatus} ${probe.grpcMessage}`);
  }
  ctx.log("get: h2load capacity (etcd Range)");
  const run = await h2load({
    url: `${etcd.endpoint}${RANGE}`, dataFile: file, streams: ctx.settings.concurrency,
    durationS: ctx.settings.durationS, warmupS: ctx.settings.warmupS, watched: serverProcesses(ctx),
  });
  ctx.out(
    figure("get.h2load.etcd-range", round(run.rate, 0), "ranges/s", {
      cpu: run.cpu,
      note: [`etcd's own capacity for the same key, ${probe.message.length} B response`, failures(run)].filter(Boolean).join("; "),
    }),
  );
}

/** REST GET of the same object with wrk, next to the gRPC figure. */
export async function getRest(ctx: BenchContext, grpcRate: number | undefined): Promise<void> {
  const port = ctx.api.httpPort;
  if (port === undefined) {
    const why = "REST gateway not in this build (krake-api does not accept --http.port)";
    ctx.out(notAvailable("rest.get.wrk", "gets/s", why));
    ctx.out(notAvailable("rest.get.ratio", "REST/gRPC", why, { atLeast: 1.0 }));
    return;
  }
  const url = `http://127.0.0.1:${port}/kubernetes/namespaces/${NAMESPACE}/applications/${NAME}`;
  const probe = await fetch(url);
  const text = await probe.text();
  const body = probe.status === 200 ? (JSON.parse(text) as { metadata?: { name?: string } }) : undefined;
  if (body?.metadata?.name !== NAME) throw new Error(`REST get failed: ${probe.status} ${text.slice(0, 500)}`);
  ctx.log("get: wrk REST capacity");
  const run = await wrk({
    url, connections: ctx.settings.concurrency, durationS: ctx.settings.durationS, warmupS: ctx.settings.warmupS,
    watched: serverProcesses(ctx),
  });
  ctx.out(
    figure("rest.get.wrk", round(run.rate, 0), "gets/s", {
      cpu: run.cpu,
      note: `${text.length} B JSON; ${run.non2xx} non-2xx, ${run.socketErrors} socket errors`,
    }),
  );
  if (grpcRate === undefined) {
    ctx.out(notAvailable("rest.get.ratio", "REST/gRPC", "the gRPC Get capacity was not measured in this run", { atLeast: 1.0 }));
  } else {
    ctx.out(figure("rest.get.ratio", round(run.rate / grpcRate, 2), "REST/gRPC", { target: { atLeast: 1.0 } }));
  }
}
