import { readFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Status } from "../../errors/api-error.js";
import type { RequestContext } from "../registry/request-context.js";
import type { StoreCache } from "../watchcache/store-cache.js";
import type { ApiMetrics } from "../metrics.js";
import { HttpError } from "./problem.js";

export const defaultOpenapiPath = fileURLToPath(new URL("../../../gen/openapi.json", import.meta.url));

const version = (JSON.parse(readFileSync(fileURLToPath(new URL("../../../package.json", import.meta.url)), "utf8")) as { version: string }).version;

export interface BuiltinResponse {
  status: number;
  type: string;
  body: string | Buffer;
}

type Builtin = (ctx: RequestContext) => Promise<BuiltinResponse>;

export interface BuiltinOptions {
  cache: StoreCache;
  metrics: ApiMetrics;
  openapiPath?: string;
  /** The body of GET /me (auth's whoami); without it, the user name and no roles. */
  whoami?: (ctx: RequestContext) => unknown;
  /** How long /readyz waits for the store. */
  readyTimeoutMs?: number;
}

const json = (status: number, body: unknown): BuiltinResponse => ({ status, type: "application/json", body: JSON.stringify(body) });

/**
 * The routes that are not RPCs: Krake's `/`, `/me` and `/release`, probes, metrics and
 * the OpenAPI document.
 */
export class Builtins {
  private readonly routes: Map<string, Builtin>;

  constructor(opts: BuiltinOptions) {
    const openapi = opts.openapiPath ?? defaultOpenapiPath;
    const readyTimeoutMs = opts.readyTimeoutMs ?? 2_000;
    this.routes = new Map<string, Builtin>([
      ["/", async () => json(200, { version })],
      ["/me", async (ctx) => json(200, opts.whoami ? opts.whoami(ctx) : { user: ctx.user, roles: [] })],
      // Krake's release endpoint: accepted, nothing to say.
      ["/release", async () => ({ status: 202, type: "text/plain", body: "" })],
      ["/livez", async () => json(200, { status: "ok" })],
      ["/readyz", () => readiness(opts.cache, readyTimeoutMs)],
      ["/metrics", async () => ({ status: 200, type: opts.metrics.registry.contentType, body: await opts.metrics.registry.metrics() })],
      ["/openapi.json", async () => {
        try {
          return { status: 200, type: "application/json", body: await readFile(openapi) };
        } catch {
          throw new HttpError(404, Status.NOT_FOUND, "NotFound", "no OpenAPI document has been generated (make gen)");
        }
      }],
    ]);
  }

  match(path: string): Builtin | undefined {
    return this.routes.get(path);
  }
}

/** Ready when the watch cache has synced and the store answers. */
async function readiness(cache: StoreCache, timeoutMs: number): Promise<BuiltinResponse> {
  const checks: Record<string, string> = { cache: cache.isSynced ? "ok" : "not synced with the store" };
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      cache.consistentRevision(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    checks.store = "ok";
  } catch (err) {
    checks.store = `unreachable: ${err instanceof Error ? err.message : String(err)}`;
  } finally {
    clearTimeout(timer);
  }
  const ok = Object.values(checks).every((v) => v === "ok");
  return json(ok ? 200 : 503, { status: ok ? "ok" : "not ready", checks });
}
