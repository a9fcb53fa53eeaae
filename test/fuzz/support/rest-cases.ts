/**
 * REST cases: what a case is (small and printable, so that fast-check's
 * counterexample reads like the request), how it becomes bytes on the wire,
 * and how its answer is judged.
 */
import fc from "fast-check";
import { compressRuns, preview, toBytes } from "./json.js";
import type { Json } from "./json.js";
import type { Route } from "./openapi.js";
import { normalizeKey } from "./runner.js";
import type { Problem, Verdict } from "./runner.js";
import { MAX_BODY_BYTES, REQUEST_TIMEOUT_MS, WATCH_START_TIMEOUT_MS } from "./target.js";
import type { HttpCall, HttpOutcome, Target } from "./target.js";

/** Text that goes on the wire as it is (a path segment or a query item): `%zz`, `watch`, `a=b=c`. */
export class RawSegment {
  constructor(readonly wire: string) {}
  toString(): string {
    return `RawSegment(${JSON.stringify(this.wire.length > 80 ? `${this.wire.slice(0, 80)}…(${this.wire.length})` : this.wire)})`;
  }
  [fc.toStringMethod](): string {
    return this.toString();
  }
}

/** A body that is not a JSON value: malformed text. */
export class BodyText {
  constructor(readonly text: string) {}
  toString(): string {
    return `BodyText(${JSON.stringify(this.text.length > 200 ? `${this.text.slice(0, 200)}…(${this.text.length})` : this.text)})`;
  }
  [fc.toStringMethod](): string {
    return this.toString();
  }
}

/** A body of raw bytes (not UTF-8, binary). */
export class BodyBytes {
  constructor(readonly hex: string) {}
  toString(): string {
    return `BodyBytes(${this.hex.length > 200 ? `${this.hex.slice(0, 200)}…` : this.hex})`;
  }
  [fc.toStringMethod](): string {
    return this.toString();
  }
}

export type BodyContent = Json | BodyText | BodyBytes;

export interface RestBody {
  content: BodyContent;
  /** Content-Type; null sends none. */
  type: string | null;
  /** Transfer-Encoding: chunked instead of Content-Length. */
  chunked: boolean;
}

export interface RestCase {
  /** `METHOD template` of an OpenAPI operation. */
  route: string;
  /** The HTTP method when it is not the operation's. */
  method?: string;
  /** A path template of our own instead of the operation's (unknown routes). */
  path?: string;
  params: Record<string, string | RawSegment>;
  query: (readonly [string, string] | RawSegment)[];
  headers: Record<string, string>;
  body: RestBody | null;
}

export function routeKey(r: Route): string {
  return `${r.method} ${r.template}`;
}

/**
 * Percent-encoding of any JavaScript string, lone surrogates included (as
 * the three bytes a naive UTF-8 encoder writes for them: not valid UTF-8).
 */
export function percentEncode(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out += encodeURIComponent(s.slice(i, i + 2));
        i++;
        continue;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const bytes = [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)];
      out += bytes.map((b) => `%${b.toString(16).toUpperCase()}`).join("");
      continue;
    }
    out += encodeURIComponent(s[i]!);
  }
  return out;
}

function encodeParam(v: string | RawSegment): string {
  return v instanceof RawSegment ? v.wire : percentEncode(v);
}

export function bodyBytes(content: BodyContent): Buffer {
  if (content instanceof BodyText) return Buffer.from(content.text, "utf8");
  if (content instanceof BodyBytes) return Buffer.from(content.hex, "hex");
  return toBytes(content);
}

export function toHttpCall(c: RestCase, routes: Map<string, Route>): HttpCall {
  const route = routes.get(c.route);
  const template = c.path ?? route?.template;
  if (template === undefined) throw new Error(`unknown route ${c.route}`);
  const path = template.replace(/\{([^}]+)\}/g, (_, name: string) => encodeParam(c.params[name] ?? ""));
  const query = c.query.map((q) => (q instanceof RawSegment ? q.wire : `${percentEncode(q[0])}=${percentEncode(q[1])}`)).join("&");
  const headers: Record<string, string> = { ...c.headers };
  if (c.body?.type !== undefined && c.body.type !== null) headers["content-type"] = c.body.type;
  return {
    method: c.method ?? route?.method ?? "GET",
    path: c.query.length ? `${path}?${query}` : path,
    headers,
    body: c.body ? bodyBytes(c.body.content) : undefined,
    chunked: c.body?.chunked ?? false,
  };
}

/** The server picks the watch binding when the query has `watch` (any value). */
function asksForWatch(call: HttpCall): boolean {
  const q = call.path.indexOf("?");
  if (q < 0) return false;
  try {
    return new URLSearchParams(call.path.slice(q + 1)).has("watch");
  } catch {
    return false;
  }
}

function describeCall(call: HttpCall, c: RestCase): string {
  const body = c.body ? ` body(${call.body?.length ?? 0} bytes${c.body.chunked ? ", chunked" : ""}, ${c.body.type ?? "no content-type"}): ${
    c.body.content instanceof BodyText || c.body.content instanceof BodyBytes ? c.body.content.toString() : preview(c.body.content)}` : "";
  const headers = Object.entries(c.headers).map(([k, v]) => `${k}: ${v.length > 60 ? `${v.slice(0, 60)}…(${v.length})` : v}`).join("; ");
  const compact = compressRuns(call.path);
  const path = compact.length > 300 ? `${compact.slice(0, 300)}…(${call.path.length} chars)` : compact;
  return `${call.method} ${path}${headers ? ` [${headers}]` : ""}${body}`;
}

function describeOutcome(o: HttpOutcome): string {
  if (o.kind === "response") {
    const body = o.body.length > 700 ? `${o.body.slice(0, 700)}…` : o.body;
    return `${o.status} ${o.headers["content-type"] ?? ""}${o.watch ? " (watch stream)" : ""}${o.truncated ? " (broke off)" : ""} ${body}`;
  }
  if (o.kind === "error") return `no response: ${o.code} ${o.message} (after uploading ${o.uploadedBytes} bytes)`;
  return `no answer within the deadline${o.headers ? " (headers came, the body did not end)" : ""}`;
}

/** 5xx other than the documented 503 (unavailable) and 504 (timeout). */
export function forbiddenStatus(status: number): boolean {
  return status >= 500 && status !== 503 && status !== 504;
}

/** Sends a case and judges the answer (the process and store checks are the runner's). */
export async function sendRest(c: RestCase, t: Target, routes: Map<string, Route>): Promise<Verdict> {
  const call = toHttpCall(c, routes);
  const watch = (c.method ?? routes.get(c.route)?.method) === "GET" && asksForWatch(call);
  const outcome = await t.http(call, watch ? WATCH_START_TIMEOUT_MS : REQUEST_TIMEOUT_MS, () => t.liveness());
  const problems: Problem[] = [];
  const route = c.path ?? c.route.split(" ")[1];
  let succeeded = false;
  let indeterminate = false;
  if (outcome.kind === "response") {
    const requestId = typeof outcome.headers["x-request-id"] === "string" ? outcome.headers["x-request-id"] : undefined;
    succeeded = outcome.status >= 200 && outcome.status < 300;
    indeterminate = outcome.status === 503 || outcome.status === 504;
    if (forbiddenStatus(outcome.status)) {
      const server = await t.serverError(requestId);
      problems.push({
        key: `HTTP ${outcome.status}: ${normalizeKey(server.message ?? outcome.body)}`,
        detail: `${call.method} ${route} answered ${outcome.status}; the server logged:\n${server.text}`,
      });
    }
    if (outcome.truncated) {
      problems.push({ key: `HTTP ${outcome.status} response broke off before its end`, detail: `${call.method} ${route}` });
    }
    if (outcome.watch) {
      for (const line of outcome.body.split("\n")) {
        if (!line.startsWith("{")) continue;
        let event: { type?: string; object?: { status?: number; detail?: string } };
        try {
          event = JSON.parse(line) as typeof event;
        } catch {
          problems.push({ key: "watch stream line is not JSON", detail: line.slice(0, 300) });
          continue;
        }
        const status = event.object?.status;
        if (event.type === "ERROR" && typeof status === "number" && forbiddenStatus(status)) {
          const server = await t.serverError(requestId);
          problems.push({ key: `watch ERROR event with status ${status}: ${normalizeKey(server.message ?? event.object?.detail ?? "")}`, detail: `${line.slice(0, 500)}\n${server.text}` });
        }
      }
    }
  } else if (outcome.kind === "error") {
    const refusedUpload = (call.body?.length ?? 0) > MAX_BODY_BYTES || Object.values(call.headers ?? {}).join("").length > 8_000 || call.path.length > 8_000;
    // The server may hang up on an upload (or a header block) it refused without reading it; that is fine while it lives.
    if (!(refusedUpload && /ECONNRESET|EPIPE/.test(outcome.code))) {
      problems.push({ key: `connection dropped without a response (${outcome.code})`, detail: `${call.method} ${route}: ${outcome.message}` });
    }
  } else if (!watch) {
    problems.push({ key: "no answer within the deadline", detail: `${call.method} ${route}: nothing within ${REQUEST_TIMEOUT_MS} ms` });
  }
  return { succeeded, indeterminate, problems, request: describeCall(call, c), response: describeOutcome(outcome) };
}

