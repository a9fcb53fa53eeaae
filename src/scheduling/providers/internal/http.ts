/**
 * One HTTP exchange with a metrics provider, over node:http / node:https.
 *
 * Not `fetch`: on Node 20 the global fetch takes a CA only through an undici
 * `dispatcher`, which would mean depending on the undici package; `request`
 * takes `ca` and an AbortSignal directly, and that is all a provider needs.
 */
import { request as plainRequest } from "node:http";
import type { IncomingMessage, RequestOptions } from "node:http";
import { request as tlsRequest } from "node:https";
import { MetricError } from "../errors.js";
import { isRecord } from "./values.js";

export interface HttpCall {
  method: "GET" | "POST";
  headers: Record<string, string>;
  body?: string;
  /** Deadline of the whole exchange: connect, request, response headers and body. */
  timeoutMs: number;
  /** PEM CA certificates trusted for https URLs instead of Node's default roots. */
  ca?: string | Buffer;
  /** A longer body fails the call (a provider that sends without end must not fill memory). */
  maxResponseBytes: number;
  /** The caller's signal: its abort is thrown as is, never turned into a MetricError. */
  signal?: AbortSignal;
  /** Who is asked, for messages: `Prometheus provider "prom-1"`. */
  what: string;
}

export interface HttpAnswer {
  status: number;
  contentType: string;
  body: string;
}

/**
 * Sends one request and reads the whole answer, whatever its status (callers
 * judge the status, they know what their protocol says about error bodies).
 * Network errors, TLS errors, the deadline and an oversized body throw an
 * UNREACHABLE_METRICS_PROVIDER MetricError; the caller's abort throws its reason.
 */
export async function exchange(url: URL, call: HttpCall): Promise<HttpAnswer> {
  call.signal?.throwIfAborted();
  const deadline = AbortSignal.timeout(call.timeoutMs);
  const signal = call.signal ? AbortSignal.any([call.signal, deadline]) : deadline;
  try {
    return await send(url, call, signal);
  } catch (err) {
    if (call.signal?.aborted) throw call.signal.reason;
    if (deadline.aborted) throw MetricError.unreachable(`${call.what} did not answer within ${call.timeoutMs} ms`, err);
    if (err instanceof MetricError) throw err;
    throw MetricError.unreachable(`${call.what} could not be queried: ${describe(err)}`, err);
  }
}

function send(url: URL, call: HttpCall, signal: AbortSignal): Promise<HttpAnswer> {
  const https = url.protocol === "https:";
  if (!https && url.protocol !== "http:") {
    return Promise.reject(MetricError.unreachable(`${call.what} has a URL that is not http(s): ${url.protocol}`));
  }
  const headers: Record<string, string> = { ...call.headers };
  if (call.body !== undefined) headers["content-length"] = String(Buffer.byteLength(call.body));
  const options: RequestOptions & { ca?: string | Buffer } = { method: call.method, headers, signal };
  if (https && call.ca !== undefined) options.ca = call.ca;
  return new Promise((resolve, reject) => {
    const req = (https ? tlsRequest : plainRequest)(url, options, (res) => {
      readBody(res, call).then(
        (body) => resolve({ status: res.statusCode ?? 0, contentType: res.headers["content-type"] ?? "", body }),
        reject,
      );
    });
    req.on("error", reject);
    req.end(call.body);
  });
}

function readBody(res: IncomingMessage, call: HttpCall): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let ended = false;
    res.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > call.maxResponseBytes) {
        res.destroy(MetricError.unreachable(`${call.what} sent more than ${call.maxResponseBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    res.once("end", () => {
      ended = true;
      resolve(Buffer.concat(chunks).toString("utf8"));
    });
    res.on("error", reject);
    // an abort or a reset after the headers: "close" without "end"
    res.once("close", () => {
      if (!ended) reject(new Error("the connection closed before the answer was complete"));
    });
  });
}

/**
 * Fails with UNREACHABLE_METRICS_PROVIDER unless the status is 2xx. The
 * message quotes the body, or its `message` (InfluxDB and ksqlDB) or `error`
 * (Prometheus) field when it is a JSON error.
 */
export function expectSuccess(answer: HttpAnswer, what: string): void {
  if (answer.status >= 200 && answer.status < 300) return;
  throw MetricError.unreachable(`${what} answered HTTP ${answer.status}${snippet(errorText(answer.body))}`);
}

function errorText(body: string): string {
  try {
    const parsed = JSON.parse(body) as unknown;
    if (isRecord(parsed)) {
      const text = typeof parsed.message === "string" ? parsed.message : parsed.error;
      if (typeof text === "string" && text !== "") return text;
    }
  } catch {
    // not JSON: quote the body itself
  }
  return body;
}

/** Parses a JSON body; a body that is not JSON fails with UNREACHABLE_METRICS_PROVIDER. */
export function parseJson(answer: HttpAnswer, what: string): unknown {
  try {
    return JSON.parse(answer.body) as unknown;
  } catch (err) {
    throw MetricError.unreachable(`${what} answered with a body that is not JSON${snippet(answer.body)}`, err);
  }
}

/** The start of a body, for error messages. */
export function snippet(body: string): string {
  const text = body.trim().replace(/\s+/g, " ");
  if (text === "") return "";
  return `: ${text.length > 200 ? `${text.slice(0, 200)}…` : text}`;
}

/** `base` with `path` appended to its path (a trailing "/" on base does not double). */
export function joinUrl(base: string, path: string): URL {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
  return url;
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as NodeJS.ErrnoException).code;
  return code && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
}
