/** List of 10k objects over gRPC: time with the grpc-js client (decoded) and on the wire, and the response size. */
import { ApplicationServiceService, ListApplicationsRequest } from "../../../gen/krake/kubernetes/v1/application.js";
import { krakeClients } from "../../../src/client/clients.js";
import type { BenchContext } from "../context.js";
import { benchProcess, requestFile, serverProcesses } from "../context.js";
import { CpuMeter } from "../cpu.js";
import { figure } from "../figures.js";
import { grpcFrame, unaryOnce } from "../grpc-wire.js";
import { h2load } from "../load-tools.js";
import { createRequestBytes } from "../objects.js";
import { median, round } from "../stats.js";
import { storedApplications } from "./create.js";

const CREATE = ApplicationServiceService.createApplication.path;
const LIST = ApplicationServiceService.listApplications.path;
const NAMESPACE = "bench-list";
const RUNS = 3;

export async function list10k(ctx: BenchContext, objects = 10_000): Promise<void> {
  ctx.log(`list: creating ${objects} objects with h2load`);
  const file = requestFile(ctx, "create-list.bin", createRequestBytes(NAMESPACE, "l-"));
  const made = await h2load({ url: `${ctx.api.origin}${CREATE}`, dataFile: file, streams: ctx.settings.concurrency, requests: objects });
  const stored = await storedApplications(ctx, NAMESPACE);
  if (made.succeeded !== objects || stored !== objects) {
    throw new Error(`list: wanted ${objects} objects, h2load made ${made.succeeded} and the store holds ${stored}`);
  }

  // the client must accept a response bigger than grpc-js's default 4 MiB
  const clients = krakeClients(ctx.api.address, undefined, { "grpc.max_receive_message_length": -1 });
  const request = ListApplicationsRequest.fromPartial({ namespace: NAMESPACE });
  const frame = grpcFrame(ListApplicationsRequest.encode(request).finish());
  try {
    await clients.applications.listApplications(request); // warm-up (connection, code paths)
    const meter = new CpuMeter([...serverProcesses(ctx), benchProcess()]).start();
    const decodedMs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now();
      const res = await clients.applications.listApplications(request);
      decodedMs.push(performance.now() - started);
      if (res.items.length !== objects) throw new Error(`list returned ${res.items.length} of ${objects} objects`);
    }
    const wireMs: number[] = [];
    let bytes = 0;
    for (let i = 0; i < RUNS; i++) {
      const res = await unaryOnce(ctx.api.origin, LIST, frame);
      if (res.grpcStatus !== 0) throw new Error(`raw list failed: grpc-status ${res.grpcStatus} ${res.grpcMessage}`);
      wireMs.push(res.elapsedMs);
      bytes = res.message.length;
    }
    const cpu = meter.stop();
    const note = `median of ${RUNS}, ${objects} objects with ${bytes ? round(bytes / objects, 0) : "?"} B each`;
    ctx.out(figure("list.10k.time", round(median(decodedMs)), "ms", { cpu, note: `grpc-js client, response decoded; ${note}` }));
    ctx.out(figure("list.10k.time-on-wire", round(median(wireMs)), "ms", { note: `raw HTTP/2 client, not decoded (server + transfer); ${note}` }));
    ctx.out(figure("list.10k.bytes", bytes, "bytes", { note: "encoded ListApplicationsResponse" }));
  } finally {
    clients.close();
  }
}
