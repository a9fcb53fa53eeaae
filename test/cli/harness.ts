/**
 * Runs krakectl as users do: `node bin/krakectl.js …` as a child process, in a
 * scratch directory with its own HOME and XDG_CONFIG_HOME (so no config file
 * of the machine leaks in), with KRAKECTL_* taken only from the test.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const krakectlBin = fileURLToPath(new URL("../../bin/krakectl.js", import.meta.url));
export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Written to the child's stdin, which is then closed. */
  input?: string;
  timeoutMs?: number;
}

/** A scratch directory to run krakectl in; `env` points HOME and XDG_CONFIG_HOME into it. */
export class Workdir {
  private constructor(readonly dir: string) {}

  static async create(): Promise<Workdir> {
    return new Workdir(await mkdtemp(join(tmpdir(), "krakectl-test-")));
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  async write(name: string, content: string): Promise<string> {
    const path = this.path(name);
    await writeFile(path, content);
    return path;
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

function childEnv(work: Workdir, extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("KRAKECTL_")) env[k] = v;
  Object.assign(env, { HOME: work.dir, XDG_CONFIG_HOME: work.path("xdg") }, extra);
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  return env;
}

/** A running krakectl whose output the test can wait on. */
export class CliProcess {
  stdout = "";
  stderr = "";
  readonly done: Promise<RunResult>;
  private readonly child: ChildProcess;
  private readonly waiters: Array<() => void> = [];

  constructor(work: Workdir, args: string[], options: RunOptions = {}) {
    this.child = spawn(process.execPath, [krakectlBin, ...args], {
      cwd: options.cwd ?? work.dir,
      env: childEnv(work, options.env ?? {}),
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.child.stdout!.setEncoding("utf8").on("data", (d: string) => this.append("stdout", d));
    this.child.stderr!.setEncoding("utf8").on("data", (d: string) => this.append("stderr", d));
    this.child.stdin!.end(options.input ?? "");
    const timeoutMs = options.timeoutMs ?? 30_000;
    this.done = new Promise((resolve) => {
      const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
      this.child.on("close", (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr });
      });
    });
  }

  /** Resolves once stdout matches, with stdout so far; fails after `timeoutMs` or if the process ends first. */
  async waitForStdout(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let ended = false;
    void this.done.then(() => {
      ended = true;
      this.wake();
    });
    while (!pattern.test(this.stdout)) {
      if (ended) throw new Error(`krakectl ended before printing ${pattern}:\n${this.stdout}\n${this.stderr}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${pattern}; stdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.stdout;
  }

  signal(sig: NodeJS.Signals): Promise<RunResult> {
    this.child.kill(sig);
    return this.done;
  }

  kill(): void {
    this.child.kill("SIGKILL");
  }

  private append(stream: "stdout" | "stderr", data: string): void {
    this[stream] += data;
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

export function runCli(work: Workdir, args: string[], options: RunOptions = {}): Promise<RunResult> {
  return new CliProcess(work, args, options).done;
}

/** Describes a run for assertion messages. */
export function show(r: RunResult): string {
  return `exit ${r.code}${r.signal ? ` (${r.signal})` : ""}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;
}
