/**
 * A controller (krake-controller-gc) as a real child process, with its JSON
 * log lines parsed as they come. Children still running when the test
 * process exits are killed.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { EventEmitter } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../..", import.meta.url));

export type LogLine = { msg?: string; level?: number; time?: number; [field: string]: unknown };

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

export interface ControllerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly logs: LogLine[];
  readonly exited: Promise<Exit>;
  readonly isRunning: boolean;
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** The health/metrics port, from the "health and metrics listening" line. */
  httpPort(timeoutMs?: number): Promise<number>;
  /** SIGTERM and wait (SIGKILL after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<Exit>;
  /** SIGKILL and wait. */
  kill(): Promise<Exit>;
}

const live = new Set<ChildProcess>();
let hooked = false;

export function spawnController(bin: string, args: string[]): ControllerProcess {
  if (!hooked) {
    hooked = true;
    process.on("exit", () => {
      for (const c of live) c.kill("SIGKILL");
    });
  }
  const child = spawn(process.execPath, [bin, ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  const logs: LogLine[] = [];
  const lines = new EventEmitter();
  let stderr = "";
  let running = true;
  createInterface({ input: child.stdout! }).on("line", (text) => {
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      line = { msg: text };
    }
    logs.push(line);
    lines.emit("line", line);
  });
  child.stderr!.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  const exited = new Promise<Exit>((resolve) =>
    child.once("close", (code, signal) => {
      running = false;
      live.delete(child);
      lines.emit("exit");
      resolve({ code, signal, stderr });
    }),
  );
  const waitForLog = (match: (line: LogLine) => boolean, timeoutMs = 30_000): Promise<LogLine> => {
    const seen = logs.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        lines.off("line", onLine);
        lines.off("exit", onExit);
      };
      const onLine = (line: LogLine) => {
        if (!match(line)) return;
        done();
        resolve(line);
      };
      const onExit = () => {
        done();
        void exited.then((e) => reject(new Error(`${bin} exited (${e.signal ?? e.code}) before the awaited log line:\n${e.stderr}`)));
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no matching log line from ${bin} within ${timeoutMs} ms; last:\n${logs.slice(-5).map((l) => JSON.stringify(l)).join("\n")}`));
      }, timeoutMs);
      lines.on("line", onLine);
      lines.on("exit", onExit);
    });
  };
  const finish = async (signal: NodeJS.Signals, timeoutMs: number): Promise<Exit> => {
    if (running) child.kill(signal);
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    child,
    pid: child.pid!,
    logs,
    exited,
    get isRunning() {
      return running;
    },
    waitForLog,
    async httpPort(timeoutMs = 30_000) {
      const line = await waitForLog((l) => l.msg === "health and metrics listening", timeoutMs);
      return Number(String(line.address).split(":").pop());
    },
    stop: (timeoutMs = 15_000) => finish("SIGTERM", timeoutMs),
    kill: () => finish("SIGKILL", 5_000),
  };
}

export const gcBin = "bin/krake-controller-gc.js";

/** Arguments for a GC against `apiAddress`, fast lease timings, debug logs (every reconcile is logged). */
export function gcArgs(apiAddress: string, extra: string[] = []): string[] {
  return [
    "--api_endpoint",
    apiAddress,
    "--http.port",
    "0",
    "--log.level",
    "debug",
    ...extra,
  ];
}
