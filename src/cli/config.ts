/**
 * krakectl.yaml: `api_url`, `user`, `tls{enabled, client_ca, client_cert,
 * client_key}`, `token`. Searched as Krake does (the first file found wins),
 * then overridden by KRAKECTL_* environment variables, then by flags.
 */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { CliError } from "./errors.js";

export interface TlsConfig {
  enabled: boolean;
  /** CA bundle that verifies the API server's certificate (system roots when absent). */
  clientCa?: string;
  /** Client certificate and key presented to the API server. */
  clientCert?: string;
  clientKey?: string;
}

export interface CliConfig {
  /** `host:port`, `grpc://host:port` or `grpcs://host:port`. */
  apiUrl: string;
  /** The default namespace (Krake: the user name). */
  user: string;
  tls: TlsConfig;
  /** Sent as `authorization: Bearer <token>`. */
  token?: string;
  /** The config file that was read, if any. */
  file?: string;
}

/** Values given on the command line; each wins over the environment and the file. */
export interface ConfigFlags {
  config?: string;
  apiUrl?: string;
  user?: string;
  authToken?: string;
  tls?: boolean;
  clientCa?: string;
  clientCert?: string;
  clientKey?: string;
}

export const defaultApiUrl = "127.0.0.1:9090";
export const defaultUser = "system:admin";

const fileKeys = new Set(["api_url", "user", "token", "tls"]);
const tlsKeys = new Set(["enabled", "client_ca", "client_cert", "client_key"]);

/** Where krakectl looks for its config file when `--config` is not given, in order. */
export function configSearchPath(env: NodeJS.ProcessEnv, cwd: string): string[] {
  const xdg = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config");
  return [resolve(cwd, "krakectl.yaml"), join(xdg, "krakectl.yaml"), "/etc/krakectl/krakectl.yaml"];
}

export function loadConfig(flags: ConfigFlags, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): CliConfig {
  let config: CliConfig = { apiUrl: defaultApiUrl, user: defaultUser, tls: { enabled: false } };
  const explicit = flags.config ?? env.KRAKECTL_CONFIG;
  if (explicit) {
    config = mergeFile(config, resolve(cwd, explicit), true);
  } else {
    for (const path of configSearchPath(env, cwd)) {
      const merged = mergeFile(config, path, false);
      if (merged !== config) {
        config = merged;
        break;
      }
    }
  }
  config = {
    apiUrl: flags.apiUrl ?? env.KRAKECTL_API_URL ?? config.apiUrl,
    user: flags.user ?? env.KRAKECTL_USER ?? config.user,
    token: flags.authToken ?? env.KRAKECTL_TOKEN ?? config.token,
    file: config.file,
    tls: {
      enabled: flags.tls ?? envBool(env, "KRAKECTL_TLS_ENABLED") ?? config.tls.enabled,
      clientCa: pathFlag(flags.clientCa, cwd) ?? pathFlag(env.KRAKECTL_TLS_CLIENT_CA, cwd) ?? config.tls.clientCa,
      clientCert: pathFlag(flags.clientCert, cwd) ?? pathFlag(env.KRAKECTL_TLS_CLIENT_CERT, cwd) ?? config.tls.clientCert,
      clientKey: pathFlag(flags.clientKey, cwd) ?? pathFlag(env.KRAKECTL_TLS_CLIENT_KEY, cwd) ?? config.tls.clientKey,
    },
  };
  if (!config.user) throw CliError.usage("config: user must not be empty");
  if (!config.apiUrl) throw CliError.usage("config: api_url must not be empty");
  if (!!config.tls.clientCert !== !!config.tls.clientKey) {
    throw CliError.usage("config: tls.client_cert and tls.client_key must be given together");
  }
  return config;
}

function pathFlag(value: string | undefined, cwd: string): string | undefined {
  return value ? resolve(cwd, value) : undefined;
}

function envBool(env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw CliError.usage(`${name}: expected true or false, got "${raw}"`);
}

/** Returns `base` itself when the file does not exist and is optional. */
function mergeFile(base: CliConfig, path: string, required: boolean): CliConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!required && (code === "ENOENT" || code === "ENOTDIR")) return base;
    throw CliError.usage(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw CliError.usage(`config file ${path} is not valid YAML: ${(err as Error).message.split("\n")[0]}`);
  }
  if (doc === null || doc === undefined) return { ...base, file: path };
  if (typeof doc !== "object" || Array.isArray(doc)) throw CliError.usage(`config file ${path}: expected a mapping`);
  const raw = doc as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!fileKeys.has(key)) throw CliError.usage(`config file ${path}: unknown key "${key}"`);
  }
  const dir = dirname(path);
  const str = (value: unknown, key: string): string | undefined => {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "string" && typeof value !== "number") throw CliError.usage(`config file ${path}: ${key} must be a string`);
    return String(value);
  };
  const out: CliConfig = {
    ...base,
    file: path,
    apiUrl: str(raw.api_url, "api_url") ?? base.apiUrl,
    user: str(raw.user, "user") ?? base.user,
    token: str(raw.token, "token") ?? base.token,
    tls: { ...base.tls },
  };
  if (raw.tls !== undefined && raw.tls !== null) {
    if (typeof raw.tls !== "object" || Array.isArray(raw.tls)) throw CliError.usage(`config file ${path}: tls must be a mapping`);
    const tls = raw.tls as Record<string, unknown>;
    for (const key of Object.keys(tls)) {
      if (!tlsKeys.has(key)) throw CliError.usage(`config file ${path}: unknown key "tls.${key}"`);
    }
    if (tls.enabled !== undefined && typeof tls.enabled !== "boolean") {
      throw CliError.usage(`config file ${path}: tls.enabled must be true or false`);
    }
    // Relative certificate paths are relative to the config file.
    const file = (key: string) => {
      const value = str(tls[key], `tls.${key}`);
      return value ? resolve(dir, value) : undefined;
    };
    out.tls = {
      enabled: (tls.enabled as boolean | undefined) ?? base.tls.enabled,
      clientCa: file("client_ca") ?? base.tls.clientCa,
      clientCert: file("client_cert") ?? base.tls.clientCert,
      clientKey: file("client_key") ?? base.tls.clientKey,
    };
  }
  return out;
}
