/** Options and value parsers that several commands share. */
import { InvalidArgumentError, Option } from "commander";
import type { Command } from "commander";
import { outputFormats } from "../output/printer.js";
import type { OutputFormat } from "../output/printer.js";

export interface OutputOptions {
  output: OutputFormat;
}

export interface NamespaceOptions {
  namespace?: string;
}

export function addOutput(cmd: Command): Command {
  return cmd.addOption(new Option("-o, --output <format>", "output format").choices(outputFormats).default("table"));
}

export function addNamespace(cmd: Command): Command {
  return cmd.option("-n, --namespace <namespace>", "namespace (default: the user from the config, as in Krake)");
}

/** Repeatable option: every use adds one value. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Repeatable `key=value`, e.g. labels. */
export function collectKeyValue(value: string, previous: Record<string, string> | undefined): Record<string, string> {
  const i = value.indexOf("=");
  if (i <= 0) throw new InvalidArgumentError(`expected KEY=VALUE, got "${value}"`);
  return { ...(previous ?? {}), [value.slice(0, i)]: value.slice(i + 1) };
}

export interface NamedNumber {
  name: string;
  value: number;
}

/**
 * Repeatable NAME VALUE pair (Krake's `--metric heat 0.5`), which reaches the
 * parser as `heat=0.5` (see argv.ts).
 */
export function collectNamedNumber(value: string, previous: NamedNumber[] | undefined): NamedNumber[] {
  const i = value.lastIndexOf("=");
  const name = value.slice(0, i);
  const number = Number(value.slice(i + 1));
  if (i <= 0 || value.slice(i + 1).trim() === "" || !Number.isFinite(number)) {
    throw new InvalidArgumentError(`expected NAME NUMBER, got "${value.replace("=", " ")}"`);
  }
  return [...(previous ?? []), { name, value: number }];
}

export function integer(value: string): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError("must be an integer");
  return n;
}

export function float(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n)) throw new InvalidArgumentError("must be a number");
  return n;
}

export function positiveSeconds(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("must be a positive number of seconds");
  return n;
}

/** Comma-separated numbers (`--allowed-values 1 2 3` reaches the parser as `1,2,3`). */
export function numberList(value: string): number[] {
  const parts = value.split(",").filter((p) => p.trim() !== "");
  const out = parts.map(Number);
  if (out.some((n) => !Number.isFinite(n))) throw new InvalidArgumentError(`expected numbers, got "${value}"`);
  return out;
}

/** Repeatable, comma-separated list of words. */
export function collectWords(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(",").map((s) => s.trim()).filter(Boolean)];
}

/** `--wait [STATE]` and `--timeout SECONDS` (default 60, as Krake's blocking): WaitOptions (wait.ts). */
export function addWait(cmd: Command, defaultState: string, states: string): Command {
  return cmd
    .option("--wait [state]", `wait until the object is in STATE (${states}; default ${defaultState})`)
    .option("--timeout <seconds>", "how long --wait waits", positiveSeconds, 60);
}
