import type { IncomingMessage } from "node:http";

/**
 * CORS as Krake configures it: one configured origin ("*" by default, or a
 * comma-separated list). Responses to an allowed Origin carry
 * Access-Control-Allow-Origin; preflights get the route's methods and the
 * requested headers.
 */
export class Cors {
  private readonly any: boolean;
  private readonly origins: Set<string>;

  constructor(origin: string) {
    const list = origin.split(",").map((o) => o.trim()).filter(Boolean);
    this.any = list.length === 0 || list.includes("*");
    this.origins = new Set(list);
  }

  /** Headers for an actual (non-preflight) response; empty when the request has no allowed Origin. */
  headers(req: IncomingMessage): [string, string][] {
    const origin = req.headers.origin;
    if (origin === undefined) return [];
    if (this.any) return [["access-control-allow-origin", "*"], ["access-control-expose-headers", "x-request-id"]];
    if (!this.origins.has(origin)) return [];
    return [
      ["access-control-allow-origin", origin],
      ["access-control-allow-credentials", "true"],
      ["access-control-expose-headers", "x-request-id"],
      ["vary", "Origin"],
    ];
  }

  isPreflight(req: IncomingMessage): boolean {
    return req.method === "OPTIONS" && req.headers.origin !== undefined && req.headers["access-control-request-method"] !== undefined;
  }

  /** Headers answering a preflight for a resource that allows `methods`. */
  preflight(req: IncomingMessage, methods: string[]): [string, string][] {
    const base = this.headers(req);
    if (!base.length) return [];
    const requested = req.headers["access-control-request-headers"];
    return [
      ...base,
      ["access-control-allow-methods", methods.join(", ")],
      ["access-control-allow-headers", typeof requested === "string" && requested ? requested : "content-type"],
      ["access-control-max-age", "600"],
    ];
  }
}
