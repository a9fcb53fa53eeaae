/**
 * REST helpers for the gateway tests: requests with node's fetch against a
 * real krake-api (test/fixtures/api.ts) and an NDJSON reader for watches.
 */
import { readFileSync } from "node:fs";
import { expect } from "chai";
import { parse as parseYaml } from "yaml";
import type { ApiHarness } from "../fixtures/api.js";

export type Json = Record<string, unknown>;

export interface RestResponse {
  status: number;
  headers: Headers;
  text: string;
  json: Json;
}

export function baseUrl(api: ApiHarness): string {
  return `http://127.0.0.1:${api.server.httpPort}`;
}

/** One request; a `body` that is not a string is sent as JSON. */
export async function rest(
  api: ApiHarness,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<RestResponse> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)["content-type"] ??= "application/json";
  }
  const res = await fetch(`${baseUrl(api)}${path}`, init);
  const text = await res.text();
  let json: Json = {};
  try {
    json = text ? (JSON.parse(text) as Json) : {};
  } catch {
    // not JSON (metrics); callers read `text`
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Asserts a problem+json answer with the given HTTP status and gRPC code name; returns the problem. */
export function expectProblem(res: RestResponse, status: number, code: string): Json {
  expect(res.status, res.text).to.equal(status);
  expect(res.headers.get("content-type")).to.equal("application/problem+json");
  const p = res.json;
  expect(p.status).to.equal(status);
  expect(p.code).to.equal(code);
  for (const key of ["type", "title", "detail", "instance", "request_id"]) expect(p[key], key).to.be.a("string").and.not.empty;
  expect(p.request_id).to.equal(res.headers.get("x-request-id"));
  expect(res.text).not.to.match(/\n\s+at /);
  return p;
}

/** Krake-shaped documents from test/fixtures/krake. */
export function fixture(name: string): Json {
  const text = readFileSync(`test/fixtures/krake/${name}`, "utf8");
  return (name.endsWith(".json") ? JSON.parse(text) : parseYaml(text)) as Json;
}

/**
 * A watch over HTTP: reads NDJSON lines as they arrive. Empty lines
 * (heartbeats) are counted, not returned as events.
 */
export class WatchReader {
  readonly status: number;
  readonly headers: Headers;
  heartbeats = 0;
  ended = false;
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly controller: AbortController;
  private buffer = "";
  private readonly decoder = new TextDecoder();

  private constructor(res: Response, controller: AbortController) {
    this.status = res.status;
    this.headers = res.headers;
    this.reader = res.body!.getReader();
    this.controller = controller;
  }

  static async open(api: ApiHarness, path: string): Promise<WatchReader> {
    const controller = new AbortController();
    const res = await fetch(`${baseUrl(api)}${path}`, { signal: controller.signal });
    return new WatchReader(res, controller);
  }

  /** The next event line, parsed; undefined when the stream ended. */
  async next(timeoutMs = 5_000): Promise<Json | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const nl = this.buffer.indexOf("\n");
      if (nl >= 0) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        if (line === "") {
          this.heartbeats++;
          continue;
        }
        return JSON.parse(line) as Json;
      }
      if (this.ended) return undefined;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no watch line within ${timeoutMs} ms`);
      let timer: NodeJS.Timeout | undefined;
      const chunk = await Promise.race([
        this.reader.read(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no watch line within ${timeoutMs} ms`)), left);
        }),
      ]).finally(() => clearTimeout(timer));
      if (chunk.done) this.ended = true;
      else this.buffer += this.decoder.decode(chunk.value, { stream: true });
    }
  }

  /** Reads until a heartbeat (empty line) arrives. */
  async heartbeat(timeoutMs: number): Promise<void> {
    const start = this.heartbeats;
    const deadline = Date.now() + timeoutMs;
    while (this.heartbeats === start) {
      if (this.buffer.includes("\n")) {
        const ev = await this.next(10);
        if (ev) throw new Error(`expected a heartbeat, got an event: ${JSON.stringify(ev)}`);
        continue;
      }
      const chunk = await Promise.race([
        this.reader.read(),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error("no heartbeat")), Math.max(1, deadline - Date.now()))),
      ]);
      if (chunk.done) throw new Error("the stream ended");
      this.buffer += this.decoder.decode(chunk.value, { stream: true });
      const nl = this.buffer.indexOf("\n");
      if (nl === 0) {
        this.buffer = this.buffer.slice(1);
        this.heartbeats++;
      }
    }
  }

  close(): void {
    this.controller.abort();
  }
}

/** Polls `check` until it is true (event-driven waits are not available for server-side counters). */
export async function eventually(check: () => boolean, timeoutMs = 5_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
