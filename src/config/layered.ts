import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";

/**
 * Layered configuration shared by krake-api, the controllers and the tools:
 * defaults, then a YAML file, then command-line flags, each layer checked
 * against the types of the defaults.
 */

type Tree = { [key: string]: unknown };

/** A problem with the configuration or the command line: krake-api exits with code 2. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export const camel = (key: string) => key.replace(/[-_]([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * Deep-merges `over` onto `base`, accepting Krake's snake_case and dashed keys.
 * Every value must have the type of the value it replaces (a single string
 * stands for a one-element list of strings); lists are replaced, not merged.
 */
export function mergeConfig<T>(base: T, over: unknown, path = ""): T {
  if (over === undefined || over === null) return base;
  const where = path || "the configuration";
  if (Array.isArray(base)) {
    const stringList = base.every((v) => typeof v === "string");
    if (stringList && typeof over === "string") return [over] as T;
    if (!Array.isArray(over)) throw new ConfigError(`config: ${where} must be a list`);
    if (stringList && !over.every((v) => typeof v === "string")) throw new ConfigError(`config: ${where} must be a list of strings`);
    return over as T;
  }
  if (typeof base !== "object" || base === null) {
    if (typeof over !== typeof base || (typeof over === "number" && !Number.isFinite(over))) {
      throw new ConfigError(`config: ${where} must be a ${typeof base}, not ${JSON.stringify(over)}`);
    }
    return over as T;
  }
  if (typeof over !== "object" || Array.isArray(over)) throw new ConfigError(`config: ${where} must be a mapping`);
  const out: Tree = { ...(base as Tree) };
  for (const [rawKey, value] of Object.entries(over as Tree)) {
    const key = camel(rawKey);
    if (!(key in out)) throw new ConfigError(`config: unknown key ${path ? `${path}.` : ""}${rawKey}`);
    out[key] = mergeConfig(out[key], value, path ? `${path}.${rawKey}` : rawKey);
  }
  return out as T;
}

export function loadConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError(`cannot read the config file: ${(err as Error).message}`);
  }
  try {
    return parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${path} is not valid YAML: ${(err as Error).message}`);
  }
}

/**
 * Flags are config paths: `--grpc.port 9090`, `--etcd.endpoints a,b`. Values
 * are parsed as the default's type; a boolean flag without a value is true.
 * Shared by krake-api and the controller processes.
 */
export function applyFlags<T>(config: T, flags: Record<string, string | undefined>): T {
  let out = config;
  for (const [path, raw] of Object.entries(flags)) {
    const keys = path.split(".");
    let cur: unknown = out;
    for (const k of keys) cur = (cur as Tree | undefined)?.[camel(k)];
    if (cur === undefined || (typeof cur === "object" && cur !== null && !Array.isArray(cur))) {
      throw new ConfigError(`unknown flag --${path}`);
    }
    if (raw === undefined && typeof cur !== "boolean") throw new ConfigError(`--${path} needs a value`);
    let value: unknown = raw;
    if (Array.isArray(cur)) value = raw!.split(",").filter((v) => v !== "");
    else if (typeof cur === "number") {
      value = raw!.trim() === "" ? NaN : Number(raw);
      if (Number.isNaN(value)) throw new ConfigError(`--${path}: "${raw}" is not a number`);
    } else if (typeof cur === "boolean") {
      if (raw !== undefined && raw !== "true" && raw !== "false") throw new ConfigError(`--${path}: "${raw}" is not true or false`);
      value = raw !== "false";
    }
    const patch = keys.reduceRight<unknown>((acc, k) => ({ [k]: acc }), value);
    out = mergeConfig(out, patch);
  }
  return out;
}

