/**
 * A controller (krake-controller-gc) as a real child process, with its JSON
 * log lines parsed as they come. Children still running when the test
 * process exits are killed.
 */
import type { ChildProcess } from "node:child_process";
import { spawnNodeProcess } from "../../fixtures/node-process.js";
import type { LogLine, ProcessExit } from "../../fixtures/node-process.js";

export type { LogLine };

export interface ControllerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly logs: LogLine[];
  readonly exited: Promise<ProcessExit>;
  readonly isRunning: boolean;
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** The health/metrics port, from the "health and metrics listening" line. */
  httpPort(timeoutMs?: number): Promise<number>;
  /** SIGTERM and wait (SIGKILL after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<ProcessExit>;
  /** SIGKILL and wait. */
  kill(): Promise<ProcessExit>;
}

export function spawnController(bin: string, args: string[]): ControllerProcess {
  const proc = spawnNodeProcess(bin, args);
  const { child, exited, logs, waitForLog } = proc;
  const finish = async (signal: NodeJS.Signals, timeoutMs: number): Promise<ProcessExit> => {
    if (proc.isRunning) child.kill(signal);
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
      return proc.isRunning;
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
