import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { defaultAuthentication, defaultAuthorization, defaultTlsConfig } from "./auth/index.js";
import type { AuthenticationConfig, TlsListenerConfig } from "./auth/index.js";

/** krake-api's configuration: defaults, then the YAML file, then flags. */
export interface ApiConfig {
  /** tls: see auth/tls.ts (no cert = plaintext). */
  grpc: { host: string; port: number; tls: TlsListenerConfig };
  /**
   * The REST gateway (Krake's REST API): port 0 picks a free one; corsOrigin "*" or a comma-separated list;
   * publicMetrics: /metrics without authentication.
   */
  http: { host: string; port: number; corsOrigin: string; maxBodyBytes: number; tls: TlsListenerConfig; publicMetrics: boolean };
  /** Ordered providers and anonymous access (auth/config.ts). */
  authentication: AuthenticationConfig;
  /** always-allow | always-deny | rbac. */
  authorization: string;
  etcd: { endpoints: string[]; prefix: string; dialTimeoutMs: number };
  watch: { windowSize: number; bookmarkIntervalMs: number; maxPendingEvents: number; freshnessTimeoutMs: number };
  blockingTimeoutMs: number;
  maxUpdateAttempts: number;
  log: { level: string };
}

export const defaultConfig: ApiConfig = {
  grpc: { host: "127.0.0.1", port: 9090, tls: defaultTlsConfig },
  http: { host: "127.0.0.1", port: 8080, corsOrigin: "*", maxBodyBytes: 1_572_864, tls: defaultTlsConfig, publicMetrics: false },
  authentication: defaultAuthentication,
  authorization: defaultAuthorization,
  etcd: { endpoints: ["http://127.0.0.1:2379"], prefix: "/krake", dialTimeoutMs: 5_000 },
  watch: { windowSize: 10_000, bookmarkIntervalMs: 10_000, maxPendingEvents: 1_000, freshnessTimeoutMs: 3_000 },
  blockingTimeoutMs: 60_000,
  maxUpdateAttempts: 5,
  log: { level: "info" },
};

type Tree = { [key: string]: unknown };

/** Deep-merges `over` onto `base`, accepting Krake's snake_case and dashed keys. */
export function mergeConfig<T>(base: T, over: unknown, path = ""): T {
  if (over === undefined || over === null) return base;
  if (typeof base !== "object" || base === null || Array.isArray(base)) return over as T;
  if (typeof over !== "object" || Array.isArray(over)) throw new Error(`config: ${path || "root"} must be a mapping`);
  const out: Tree = { ...(base as Tree) };
  for (const [rawKey, value] of Object.entries(over as Tree)) {
    const key = rawKey.replace(/[-_]([a-z])/g, (_, c: string) => c.toUpperCase());
    if (!(key in out)) throw new Error(`config: unknown key ${path ? `${path}.` : ""}${rawKey}`);
    out[key] = mergeConfig(out[key], value, path ? `${path}.${rawKey}` : rawKey);
  }
  return out as T;
}

export function loadConfigFile(path: string): unknown {
  return parseYaml(readFileSync(path, "utf8"));
}

/**
 * Flags are config paths: `--grpc.port 9090`, `--etcd.endpoints a,b`. Values
 * are parsed as the default's type.
 */
export function applyFlags(config: ApiConfig, flags: Record<string, string>): ApiConfig {
  let out = config;
  for (const [path, raw] of Object.entries(flags)) {
    const keys = path.split(".");
    let cur: unknown = out;
    for (const k of keys) cur = (cur as Tree | undefined)?.[k.replace(/[-_]([a-z])/g, (_, c: string) => c.toUpperCase())];
    if (cur === undefined) throw new Error(`unknown flag --${path}`);
    const value = Array.isArray(cur) ? raw.split(",") : typeof cur === "number" ? Number(raw) : typeof cur === "boolean" ? raw === "true" : raw;
    if (typeof value === "number" && Number.isNaN(value)) throw new Error(`--${path}: "${raw}" is not a number`);
    const patch = keys.reduceRight<unknown>((acc, k) => ({ [k]: acc }), value);
    out = mergeConfig(out, patch);
  }
  return out;
}
