import { parseArgs } from "node:util";
import { camel, ConfigError } from "../config/layered.js";
import { defaultPolicySettings, policyFromSettings } from "../scheduling/settings.js";
import type { PolicySettings } from "../scheduling/settings.js";
import { resolveStoreLocation } from "../store/location.js";
import { defaultAuthentication, defaultAuthorization, defaultTlsConfig } from "./auth/index.js";
import type { AuthenticationConfig, TlsListenerConfig } from "./auth/index.js";

export { applyFlags, ConfigError, loadConfigFile, mergeConfig } from "../config/layered.js";

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
  /** sqlite://PATH or etcd://host:port[,...] (store/location.ts); "" = etcd.endpoints if set, else the embedded store. */
  store: string;
  /** endpoints: the older form of store: etcd://…; prefix: every key's prefix, in either store. */
  etcd: { endpoints: string[]; prefix: string; dialTimeoutMs: number };
  watch: { windowSize: number; bookmarkIntervalMs: number; maxPendingEvents: number; freshnessTimeoutMs: number };
  blockingTimeoutMs: number;
  maxUpdateAttempts: number;
  /**
   * Largest object the registry stores (its protobuf encoding); larger writes get
   * RESOURCE_EXHAUSTED/413. Below etcd's default --max-request-bytes (1.5 MiB),
   * leaving room for the key and the transaction around the value.
   */
  maxObjectBytes: number;
  /**
   * The scheduler's dry run (ScheduleApplication): the policy it decides with (keep it equal to
   * krake-scheduler's `scheduler:` keys of the same names, so that both decide alike) and the
   * timeout of each metrics provider query it sends (short: a caller waits for it).
   */
  scheduling: PolicySettings & { providerTimeoutMs: number };
  log: { level: string };
}

export const defaultConfig: ApiConfig = {
  grpc: { host: "127.0.0.1", port: 9090, tls: defaultTlsConfig },
  http: { host: "127.0.0.1", port: 8080, corsOrigin: "*", maxBodyBytes: 1_572_864, tls: defaultTlsConfig, publicMetrics: false },
  authentication: defaultAuthentication,
  authorization: defaultAuthorization,
  store: "",
  etcd: { endpoints: [], prefix: "/krake", dialTimeoutMs: 5_000 },
  watch: { windowSize: 10_000, bookmarkIntervalMs: 10_000, maxPendingEvents: 1_000, freshnessTimeoutMs: 3_000 },
  blockingTimeoutMs: 60_000,
  maxUpdateAttempts: 5,
  maxObjectBytes: 1_048_576,
  scheduling: { ...defaultPolicySettings, providerTimeoutMs: 3_000 },
  log: { level: "info" },
};

/** The flag names krake-api accepts: every setting of the config, dotted (`grpc.port`). */
export function flagNames(config: object = defaultConfig, path = ""): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(config)) {
    const name = path ? `${path}.${key}` : key;
    if (Array.isArray(value)) {
      if (value.every((v) => typeof v === "string")) out.push(name);
    } else if (typeof value === "object" && value !== null) out.push(...flagNames(value, name));
    else out.push(name);
  }
  return out;
}

export interface CommandLine {
  configFile?: string;
  help: boolean;
  /** Config path as written (any spelling) → raw value, in command-line order. */
  flags: Record<string, string>;
}

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * `[--config FILE] [--help] [--<section>.<key> VALUE | --<section>.<key>=VALUE ...]`.
 * Keys are accepted in camelCase, kebab-case or snake_case. Anything else is
 * a ConfigError.
 */
export function parseCommandLine(argv: string[]): CommandLine {
  const options: Record<string, { type: "string" | "boolean" }> = { config: { type: "string" }, help: { type: "boolean" } };
  for (const name of flagNames()) {
    for (const spelling of [name, kebab(name), kebab(name).replaceAll("-", "_")]) options[spelling] = { type: "string" };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: false, tokens: true });
  } catch (err) {
    throw new ConfigError((err as Error).message.split(". To specify")[0]);
  }
  const flags: Record<string, string> = {};
  for (const t of parsed.tokens) {
    if (t.kind !== "option" || t.name === "config" || t.name === "help") continue;
    flags[t.name] = t.value!;
  }
  const configFile = parsed.values.config;
  return { configFile: typeof configFile === "string" ? configFile : undefined, help: parsed.values.help === true, flags };
}

const logLevels = new Set(["fatal", "error", "warn", "info", "debug", "trace", "silent"]);

/** Checks what types alone do not; throws a ConfigError naming the setting. */
export function validateConfig(config: ApiConfig): void {
  const problems: string[] = [];
  for (const [name, port] of [["grpc.port", config.grpc.port], ["http.port", config.http.port]] as const) {
    if (!Number.isInteger(port) || port < 0 || port > 65_535) problems.push(`${name} must be a port number (0-65535, 0 = any free port), not ${port}`);
  }
  try {
    resolveStoreLocation(config.store, config.etcd.endpoints);
  } catch (err) {
    problems.push((err as Error).message);
  }
  for (const e of config.etcd.endpoints) {
    if (!/^(https?:\/\/)?[^/\s]+\/?$/.test(e)) problems.push(`etcd.endpoints: "${e}" is not an etcd client URL like http://127.0.0.1:2379`);
  }
  if (!/^\/[^/]/.test(config.etcd.prefix) || config.etcd.prefix.endsWith("/")) {
    problems.push(`etcd.prefix must start with "/" and not end with "/", not "${config.etcd.prefix}"`);
  }
  if (!Number.isSafeInteger(config.maxObjectBytes) || config.maxObjectBytes <= 0) {
    problems.push(`max_object_bytes must be a positive number of bytes, not ${config.maxObjectBytes}`);
  }
  try {
    policyFromSettings(config.scheduling);
  } catch (err) {
    problems.push(`scheduling: ${(err as Error).message}`);
  }
  const timeout = config.scheduling.providerTimeoutMs;
  if (!(Number.isFinite(timeout) && timeout > 0)) problems.push(`scheduling.provider_timeout_ms must be a positive number of milliseconds, not ${timeout}`);
  if (!logLevels.has(config.log.level)) problems.push(`log.level must be one of ${[...logLevels].join(", ")}, not "${config.log.level}"`);
  if (problems.length) throw new ConfigError(`config: ${problems.join("; ")}`);
}
