import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

export interface ProbeSources {
  /** Caches synced: this replica can act as soon as it leads. */
  ready(): boolean;
  /** This replica holds the lease (or runs without election). */
  leader(): boolean;
  metrics: Registry;
}

/**
 * Health and metrics over HTTP: `/healthz` (alive), `/readyz` (503 until the
 * informers have synced; a standby replica is ready too), `/metrics`
 * (Prometheus text). Anything else is 404.
 */
export class ProbeServer {
  private readonly server: Server;

  constructor(sources: ProbeSources) {
    this.server = createServer((req, res) => {
      const path = (req.url ?? "/").split("?")[0];
      const reply = (status: number, body: string, type = "text/plain; charset=utf-8") => {
        res.writeHead(status, { "content-type": type });
        res.end(body);
      };
      if (req.method !== "GET" && req.method !== "HEAD") return reply(405, "method not allowed\n");
      if (path === "/healthz" || path === "/livez") return reply(200, "ok\n");
      if (path === "/readyz") {
        const ready = sources.ready();
        return reply(ready ? 200 : 503, `${ready ? "ready" : "caches not synced"}; leader=${sources.leader()}\n`);
      }
      if (path === "/metrics") {
        sources.metrics.metrics().then(
          (text) => reply(200, text, sources.metrics.contentType),
          (err: unknown) => reply(500, `metrics failed: ${String(err)}\n`),
        );
        return;
      }
      reply(404, "not found\n");
    });
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => {
        this.server.off("error", reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
