/**
 * A watch load process (forked by the fan-out benchmark, so that its CPU is
 * not the benchmark's and the streams spread over several processes). It
 * opens N WatchApplications streams over several HTTP/2 connections and
 * reports, for every MODIFIED event, the delay between the time stamped into
 * the object's labels by the writer and the time the event reached the
 * stream's handler here (Date.now() in both processes: the same machine clock).
 *
 * Events are not decoded: the stamps are found in the raw message bytes (a
 * labels map entry is `key` then field 2 `value`), so the client's own
 * decoding cost stays out of the latency. Stream 0 decodes every event fully
 * as a check that the bytes are what they should be.
 *
 * Protocol (IPC): parent → {open}, then {report}, then {close};
 * child → {opened}, {delivered, seq} each time every stream has seen a write,
 * {report}.
 */
import { Client, credentials, Metadata } from "@grpc/grpc-js";
import type { ClientReadableStream, ServiceError } from "@grpc/grpc-js";
import { EventType } from "../../gen/krake/core/v1/watch.js";
import { ApplicationServiceService, WatchApplicationsRequest, WatchApplicationsResponse } from "../../gen/krake/kubernetes/v1/application.js";

export const SEQ_LABEL = "bench-seq";
export const SENT_LABEL = "bench-sent";

export interface OpenMessage {
  type: "open";
  address: string;
  namespace: string;
  streams: number;
  connections: number;
  timeoutMs: number;
}
export type ParentMessage = OpenMessage | { type: "report" } | { type: "close" };

export interface WatchLoadReport {
  type: "report";
  /** Delay per (stream, write), ms. */
  latencies: number[];
  /** Events out of order, duplicated or missing a stamp. */
  anomalies: number;
  /** Streams that ended or failed before `close`. */
  streamErrors: number;
  firstError: string | undefined;
  /** Stream 0 decoded every event: the number of events whose full decode did not match the raw reading. */
  decodeMismatches: number;
}
export type ChildMessage =
  | { type: "opened"; streams: number; ms: number }
  | { type: "failed"; error: string }
  | { type: "delivered"; seq: number }
  | WatchLoadReport;

const METHOD = ApplicationServiceService.watchApplications.path;
const seqKey = Buffer.from(SEQ_LABEL);
const sentKey = Buffer.from(SENT_LABEL);

/** The string value that follows `key` in a labels map entry (field 2, length-delimited, < 128 bytes). */
function labelValue(buf: Buffer, key: Buffer): string | undefined {
  const at = buf.indexOf(key);
  if (at < 0) return undefined;
  const tag = at + key.length;
  if (buf[tag] !== 0x12) return undefined;
  const len = buf[tag + 1];
  return buf.toString("latin1", tag + 2, tag + 2 + len);
}

function send(msg: ChildMessage): void {
  process.send?.(msg);
}

function run(open: OpenMessage): void {
  const clients = Array.from(
    { length: open.connections },
    () =>
      new Client(open.address, credentials.createInsecure(), {
        "grpc.use_local_subchannel_pool": 1, // one connection per client
        "grpc-node.flow_control_window": 16 * 1024 * 1024,
        "grpc.max_receive_message_length": -1,
      }),
  );
  const streams: ClientReadableStream<Buffer>[] = [];
  const lastSeq = new Int32Array(open.streams);
  const deliveredPerSeq = new Map<number, number>();
  const latencies: number[] = [];
  let established = 0;
  let anomalies = 0;
  let streamErrors = 0;
  let firstError: string | undefined;
  let decodeMismatches = 0;
  let closing = false;
  const started = performance.now();
  const openTimer = setTimeout(() => {
    send({ type: "failed", error: `only ${established}/${open.streams} streams established within ${open.timeoutMs} ms` });
  }, open.timeoutMs);

  const request = WatchApplicationsRequest.fromPartial({ namespace: open.namespace, sendInitialEvents: true });
  for (let i = 0; i < open.streams; i++) {
    const client = clients[i % clients.length];
    const stream = client.makeServerStreamRequest<WatchApplicationsRequest, Buffer>(
      METHOD,
      ApplicationServiceService.watchApplications.requestSerialize,
      (b) => b, // not decoded: see the header
      request,
      new Metadata(),
      {},
    );
    streams.push(stream);
    let ready = false;
    stream.on("data", (buf: Buffer) => {
      const receivedAt = Date.now();
      // field 1 (type) comes first: 0x08 <enum>
      const type = buf[0] === 0x08 ? buf[1] : EventType.EVENT_TYPE_UNSPECIFIED;
      if (!ready) {
        if (type === EventType.BOOKMARK) {
          ready = true;
          if (++established === open.streams) {
            clearTimeout(openTimer);
            send({ type: "opened", streams: established, ms: performance.now() - started });
          }
        }
        return;
      }
      if (type !== EventType.MODIFIED) return;
      const seq = Number(labelValue(buf, seqKey));
      const sent = Number(labelValue(buf, sentKey));
      if (!Number.isFinite(seq) || !Number.isFinite(sent) || seq !== lastSeq[i] + 1) anomalies++;
      if (Number.isFinite(sent)) latencies.push(receivedAt - sent);
      if (Number.isFinite(seq)) {
        lastSeq[i] = seq;
        const n = (deliveredPerSeq.get(seq) ?? 0) + 1;
        deliveredPerSeq.set(seq, n);
        if (n === open.streams) send({ type: "delivered", seq });
      }
      if (i === 0) {
        const ev = WatchApplicationsResponse.decode(buf);
        const labels = ev.object?.metadata?.labels ?? {};
        if (ev.type !== EventType.MODIFIED || labels[SEQ_LABEL] !== String(seq) || Number(labels[SENT_LABEL]) !== sent) decodeMismatches++;
      }
    });
    stream.on("error", (err: ServiceError) => {
      if (closing) return;
      streamErrors++;
      firstError ??= `${err.code}: ${err.details}`;
    });
    stream.on("end", () => {
      if (!closing) {
        streamErrors++;
        firstError ??= "stream ended by the server";
      }
    });
  }

  process.on("message", (msg: ParentMessage) => {
    if (msg.type === "report") {
      send({ type: "report", latencies, anomalies, streamErrors, firstError, decodeMismatches });
    } else if (msg.type === "close") {
      closing = true;
      clearTimeout(openTimer);
      for (const s of streams) s.cancel();
      for (const c of clients) c.close();
      setTimeout(() => process.exit(0), 200);
    }
  });
}

process.once("message", (msg: ParentMessage) => {
  if (msg.type === "open") run(msg);
});
process.on("disconnect", () => process.exit(0));
