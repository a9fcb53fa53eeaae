/**
 * gRPC on the wire, for load generators that send fixed bytes: the
 * length-prefixed message frame, and one unary call over raw HTTP/2 that
 * reports exactly what came back (HTTP status, grpc-status, the message), so
 * the bytes given to h2load can be checked before they are replayed.
 */
import { connect } from "node:http2";
import type { ClientHttp2Session } from "node:http2";

/** 1 flag byte (0: not compressed), 4-byte big-endian length, the message. */
export function grpcFrame(message: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + message.length);
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

export interface UnaryResult {
  httpStatus: number;
  grpcStatus: number | undefined;
  grpcMessage: string;
  /** The first response message, without its frame. */
  message: Buffer;
  /** Response body bytes on the wire (frames included). */
  bodyBytes: number;
  elapsedMs: number;
}

export function openSession(origin: string): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = connect(origin);
    session.once("connect", () => resolve(session));
    session.once("error", reject);
  });
}

function headerNumber(v: string | string[] | number | undefined): number | undefined {
  if (v === undefined) return undefined;
  return Number(Array.isArray(v) ? v[0] : v);
}

/** Sends one framed request to `path` and collects the response and trailers (bounded by `timeoutMs`). */
export function unaryCall(session: ClientHttp2Session, path: string, frame: Uint8Array, timeoutMs = 30_000): Promise<UnaryResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
    });
    req.setTimeout(timeoutMs, () => req.close());
    let httpStatus = 0;
    let grpcStatus: number | undefined;
    let grpcMessage = "";
    const chunks: Buffer[] = [];
    const takeStatus = (h: Record<string, string | string[] | number | undefined>) => {
      const s = headerNumber(h["grpc-status"]);
      if (s !== undefined) grpcStatus = s;
      const m = h["grpc-message"];
      if (m !== undefined) grpcMessage = decodeURIComponent(String(Array.isArray(m) ? m[0] : m));
    };
    req.on("response", (headers) => {
      httpStatus = headerNumber(headers[":status"]) ?? 0;
      takeStatus(headers); // a trailers-only response carries the status here
    });
    req.on("trailers", (trailers) => takeStatus(trailers));
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("error", reject);
    req.on("close", () => {
      const body = Buffer.concat(chunks);
      const length = body.length >= 5 ? body.readUInt32BE(1) : 0;
      resolve({
        httpStatus,
        grpcStatus,
        grpcMessage,
        message: body.subarray(5, 5 + length),
        bodyBytes: body.length,
        elapsedMs: performance.now() - started,
      });
    });
    req.end(frame);
  });
}

/** One call on a session of its own. */
export async function unaryOnce(origin: string, path: string, frame: Uint8Array, timeoutMs?: number): Promise<UnaryResult> {
  const session = await openSession(origin);
  try {
    return await unaryCall(session, path, frame, timeoutMs);
  } finally {
    session.close();
  }
}
