/**
 * A local HTTP(S) server standing in for a metrics provider: it records every
 * request (method, path, query, headers, body) and answers with a handler, or
 * holds requests open without answering (a hung provider).
 */
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage["headers"];
  body: string;
}

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  /** Wait this long before answering (lets concurrent callers pile up). */
  delayMs?: number;
}

/** Answers a request; `"hold"` keeps it open, unanswered, until the client goes away. */
export type Handler = (req: RecordedRequest) => Reply | "hold";

export interface FixtureServer {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Requests whose connection the client closed before an answer was sent. */
  readonly abandoned: number;
  handler: Handler;
  /** Resolves once `n` requests have arrived. */
  received(n: number): Promise<void>;
  close(): Promise<void>;
}

export interface FixtureOptions {
  /** Serve https with this certificate and key (PEM). */
  tls?: { cert: string | Buffer; key: string | Buffer };
}

export async function startFixtureServer(handler: Handler, options: FixtureOptions = {}): Promise<FixtureServer> {
  const requests: RecordedRequest[] = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const timers = new Set<NodeJS.Timeout>();
  let abandoned = 0;
  const fixture = {
    url: "",
    requests,
    get abandoned() {
      return abandoned;
    },
    handler,
    received: (n: number) =>
      requests.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve })),
    close: async () => {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const serve = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://fixture");
      const recorded: RecordedRequest = {
        method: req.method ?? "",
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      requests.push(recorded);
      for (const w of waiters.filter((w) => requests.length >= w.n)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
      res.on("close", () => {
        if (!res.writableEnded) abandoned++;
      });
      const reply = fixture.handler(recorded);
      if (reply === "hold") return;
      const send = () => {
        res.writeHead(reply.status ?? 200, reply.headers ?? {});
        res.end(reply.body ?? "");
      };
      if (!reply.delayMs) return send();
      const timer = setTimeout(() => {
        timers.delete(timer);
        send();
      }, reply.delayMs);
      timers.add(timer);
    });
  };
  const server: Server = options.tls ? createTlsServer(options.tls, serve) : createServer(serve);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  fixture.url = `${options.tls ? "https" : "http"}://127.0.0.1:${port}`;
  return fixture;
}

/** A JSON reply. */
export function json(body: unknown, status = 200, contentType = "application/json"): Reply {
  return { status, headers: { "content-type": contentType }, body: JSON.stringify(body) };
}

/** A loopback URL where nothing listens (a port taken and released at once). */
export async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
