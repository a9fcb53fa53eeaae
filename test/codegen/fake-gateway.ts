/**
 * A small HTTP server that speaks the REST gateway's wire protocol as the
 * tests script it (JSON answers, problem+json errors, NDJSON watch streams),
 * and records what the client sent.
 */
import { once, EventEmitter } from "node:events";
import { createServer } from "node:http";
import type { IncomingHttpHeaders, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface Recorded {
  method: string;
  /** Path and query as sent. */
  url: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

export type Handler = (req: Recorded, res: ServerResponse) => void;

export class FakeGateway {
  readonly requests: Recorded[] = [];
  readonly baseUrl: string;
  handler: Handler = (_req, res) => sendJson(res, 500, {});
  readonly #server: Server;
  readonly #events: EventEmitter;

  private constructor(server: Server, events: EventEmitter) {
    this.#server = server;
    this.#events = events;
    this.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  static async start(): Promise<FakeGateway> {
    let gateway: FakeGateway | undefined;
    const events = new EventEmitter();
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const url = new URL(req.url ?? "/", "http://localhost");
        const rec: Recorded = {
          method: req.method ?? "",
          url: req.url ?? "",
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        };
        gateway?.requests.push(rec);
        // The client went away before the server ended the response (abort, break out of a watch).
        res.on("close", () => {
          if (!res.writableEnded) events.emit("client-closed", rec);
        });
        gateway?.handler(rec, res);
      });
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    gateway = new FakeGateway(server, events);
    return gateway;
  }

  get last(): Recorded {
    const rec = this.requests[this.requests.length - 1];
    if (!rec) throw new Error("no request recorded");
    return rec;
  }

  /** Resolves when a client closes a response that the server has not ended. */
  async clientClosed(timeoutMs = 5_000): Promise<Recorded> {
    const [rec] = (await once(this.#events, "client-closed", { signal: AbortSignal.timeout(timeoutMs) })) as [Recorded];
    return rec;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    this.#server.close();
    await once(this.#server, "close");
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, contentType = "application/json"): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(text) });
  res.end(text);
}

export function sendProblem(res: ServerResponse, problem: { status: number } & Record<string, unknown>): void {
  sendJson(res, problem.status, problem, "application/problem+json");
}

/** Starts an NDJSON stream; the caller writes lines and ends it. */
export function startStream(res: ServerResponse): void {
  res.writeHead(200, { "content-type": "application/x-ndjson" });
  res.flushHeaders();
}
