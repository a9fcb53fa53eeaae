/**
 * Watch delivery under a create load: one WatchApplications stream (the
 * grpc-js client) on a namespace that h2load then fills with N Creates, 64 in
 * flight. Every ADDED event must arrive once; the figures are the rate at
 * which they arrived and each event's delay from the object's creation stamp
 * to its arrival here.
 *
 * The stream has its own connection with a 16 MiB HTTP/2 window, as the
 * fan-out benchmark's (watch-load.ts): with grpc-js's default window the
 * watcher was dropped as too slow on both stores in trial runs. krake-api
 * drops a watcher (RESOURCE_EXHAUSTED) once `watch.max_pending_events`
 * events are written to its stream but not yet taken by the transport; a
 * stream ended that way is reported in the figures, it does not fail the run.
 */
import { status as grpcStatus } from "@grpc/grpc-js";
import type { ServiceError } from "@grpc/grpc-js";
import { EventType } from "../../../gen/krake/core/v1/watch.js";
import { ApplicationServiceService, WatchApplicationsRequest } from "../../../gen/krake/kubernetes/v1/application.js";
import { krakeClients } from "../../../src/client/clients.js";
import type { WatchApplicationsResponse } from "../../../gen/krake/kubernetes/v1/application.js";
import type { BenchContext } from "../context.js";
import { requestFile } from "../context.js";
import { figure, notAvailable } from "../figures.js";
import { h2load } from "../load-tools.js";
import { createRequestBytes } from "../objects.js";
import { percentile, round } from "../stats.js";
import { timestampToMillis } from "../../../src/kinds/timestamp.js";

const CREATE = ApplicationServiceService.createApplication.path;
const NAMESPACE = "bench-watch-delivery";
const OPEN_TIMEOUT_MS = 10_000;
/** How long the last events may take to arrive after h2load has its last answer. */
const DRAIN_TIMEOUT_MS = 30_000;

export async function watchDelivery(ctx: BenchContext, creates = 3_000): Promise<void> {
  const latencies: number[] = [];
  const names = new Set<string>();
  let duplicates = 0;
  let firstAt = 0;
  let lastAt = 0;
  let failure: string | undefined;
  let opened!: () => void;
  const open = new Promise<void>((resolve) => (opened = resolve));
  let wanted = Infinity;
  let drained!: () => void;
  const done = new Promise<void>((resolve) => (drained = resolve));
  let ready = false;

  const clients = krakeClients(ctx.api.address, undefined, {
    "grpc.use_local_subchannel_pool": 1, // a connection of its own
    "grpc-node.flow_control_window": 16 * 1024 * 1024,
  });
  const watch = clients.applications.watchApplications(
    WatchApplicationsRequest.fromPartial({ namespace: NAMESPACE, sendInitialEvents: true, allowBookmarks: true }),
  );
  let closing = false;
  watch.stream.on("data", (ev: WatchApplicationsResponse) => {
    const receivedAt = Date.now();
    const at = performance.now();
    if (!ready) {
      // the initial events end with a BOOKMARK: from here on the stream sees every write
      if (ev.type === EventType.BOOKMARK) {
        ready = true;
        opened();
      }
      return;
    }
    if (ev.type !== EventType.ADDED) return;
    const name = ev.object?.metadata?.name ?? "";
    if (names.has(name)) {
      duplicates++;
      return;
    }
    names.add(name);
    const created = ev.object?.metadata?.created;
    if (created) latencies.push(receivedAt - timestampToMillis(created));
    if (names.size === 1) firstAt = at;
    lastAt = at;
    if (names.size >= wanted) drained();
  });
  const fail = (why: string) => {
    if (closing) return;
    failure ??= `${why} (after ${names.size} ADDED events)`;
    opened();
    drained();
  };
  watch.stream.on("error", (err: ServiceError) => fail(`${grpcStatus[err.code] ?? err.code} "${err.details}"`));
  watch.stream.on("end", () => fail("watch ended by the server"));

  try {
    const openTimer = setTimeout(() => fail(`watch not open (no BOOKMARK) within ${OPEN_TIMEOUT_MS} ms`), OPEN_TIMEOUT_MS);
    await open;
    clearTimeout(openTimer);
    if (failure) throw new Error(failure);

    ctx.log(`watch: ${creates} creates with h2load, delivered to one watch stream`);
    const file = requestFile(ctx, "create-watch.bin", createRequestBytes(NAMESPACE, "w-"));
    const run = await h2load({ url: `${ctx.api.origin}${CREATE}`, dataFile: file, streams: ctx.settings.concurrency, requests: creates });
    const answeredAt = performance.now();
    wanted = run.succeeded;
    if (names.size >= wanted) drained();
    const drainTimer = setTimeout(drained, DRAIN_TIMEOUT_MS);
    await done;
    clearTimeout(drainTimer);

    // a stream the server ended is a result, not a crash: the events it missed are the errors
    const received = names.size;
    const missing = Math.max(0, run.succeeded - received);
    const span = `${received} ADDED events for ${run.succeeded} successful creates (h2load -n ${creates}, ${ctx.settings.concurrency} in flight)`;
    const dropped = failure ? `the server ended the stream: ${failure}` : undefined;
    const measured = (name: string, value: number | null, unit: string, note: string) =>
      ctx.out(dropped ? notAvailable(name, unit, dropped) : figure(name, value, unit, { note }));
    measured(
      "watch.delivery.rate",
      received > 1 ? round((received - 1) / ((lastAt - firstAt) / 1000), 0) : null,
      "events/s",
      `events delivered to one stream, first to last; ${span}; bounded by the create rate`,
    );
    const stamp = "from the object's metadata.created (set by krake-api before the write is committed) to its arrival at the client, decoded";
    measured("watch.delivery.latency.p50", latencies.length ? percentile(latencies, 50) : null, "ms", stamp);
    measured("watch.delivery.latency.p99", latencies.length ? percentile(latencies, 99) : null, "ms", stamp);
    measured(
      "watch.delivery.after-last-answer",
      round(Math.max(0, lastAt - answeredAt)),
      "ms",
      "from h2load's exit (every create answered) to the last event's arrival; 0 when it had arrived before",
    );
    ctx.out(
      figure("watch.delivery.errors", missing + duplicates, "events", {
        target: { atMost: 0 },
        note: [dropped, `${missing} missing${dropped ? "" : ` after ${DRAIN_TIMEOUT_MS / 1000} s`}, ${duplicates} duplicated; ${span}`]
          .filter(Boolean)
          .join("; "),
      }),
    );
  } finally {
    closing = true;
    watch.cancel();
    clients.close();
  }
}
