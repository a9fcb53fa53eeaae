import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

const live = new Set<ChildProcess>();
// However the supervisor ends (an error, process.exit), no process it started outlives it.
process.on("exit", () => {
  for (const child of live) child.kill("SIGTERM");
});

/** A process the supervisor started: its output goes to ours, each line under its name. */
export class Child {
  readonly process: ChildProcess;
  /** Resolves with the exit code (or the signal's name) when the process ends. */
  readonly exited: Promise<number | string>;

  constructor(
    readonly name: string,
    args: string[],
  ) {
    // Node runs the bin scripts (tsx inside): no shell, no PATH lookup. A process group of its own: a
    // terminal's Ctrl-C reaches the supervisor alone, which stops the processes in order.
    this.process = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], detached: true });
    live.add(this.process);
    this.process.on("exit", () => live.delete(this.process));
    const width = 13;
    const label = `${name.padEnd(width)}| `;
    for (const stream of [this.process.stdout!, this.process.stderr!]) {
      createInterface({ input: stream, crlfDelay: Infinity }).on("line", (line) => process.stdout.write(`${label}${line}\n`));
    }
    this.exited = new Promise((resolve) => this.process.on("exit", (code, signal) => resolve(code ?? signal ?? "unknown")));
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /** SIGTERM (the process drains and exits), then waits for it. */
  async stop(): Promise<number | string> {
    if (this.running) this.process.kill("SIGTERM");
    return this.exited;
  }
}

/** Runs a process to its end; rejects when it fails. */
export async function runToEnd(name: string, args: string[]): Promise<void> {
  const code = await new Child(name, args).exited;
  if (code !== 0) throw new Error(`${name} failed (exit ${code})`);
}
