/**
 * The C load generators: h2load (gRPC unary over h2c, fixed request bytes)
 * and wrk (HTTP/1.1), each run as a child with a hard time limit, output
 * parsed, and the CPU of every named process sampled during the measuring
 * window only (after the warm-up).
 */
import { spawn } from "node:child_process";
import type { CpuBreakdown } from "./figures.js";
import { CpuMeter } from "./cpu.js";
import type { Watched } from "./cpu.js";

export interface ToolRun {
  stdout: string;
  stderr: string;
  code: number | null;
  cpu: CpuBreakdown | undefined;
}

interface RunOptions {
  /** Other processes to meter next to the tool itself. */
  watched: Watched[];
  /** Measuring window, in seconds from the tool's start; no CPU figures without it. */
  window?: { fromS: number; toS: number };
  timeoutMs: number;
}

function runTool(name: string, args: string[], opts: RunOptions): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(name, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    let meter: CpuMeter | undefined;
    let cpu: CpuBreakdown | undefined;
    const timers: NodeJS.Timeout[] = [];
    if (opts.window && child.pid) {
      const watched = [{ name, pids: [child.pid] }, ...opts.watched];
      timers.push(setTimeout(() => (meter = new CpuMeter(watched).start()), opts.window.fromS * 1000));
      timers.push(
        setTimeout(() => {
          cpu = meter?.stop();
          meter = undefined;
        }, opts.window.toS * 1000),
      );
    }
    const kill = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs);
    child.once("error", (err: NodeJS.ErrnoException) => {
      for (const t of timers) clearTimeout(t);
      clearTimeout(kill);
      reject(err.code === "ENOENT" ? new Error(`${name} is not installed (apt-get install -y nghttp2-client wrk)`) : err);
    });
    child.once("close", (code) => {
      for (const t of timers) clearTimeout(t);
      clearTimeout(kill);
      resolve({ stdout, stderr, code, cpu });
    });
  });
}

export interface H2loadResult {
  /** Requests per second over the measuring window. */
  rate: number;
  total: number;
  succeeded: number;
  failed: number;
  errored: number;
  timeout: number;
  status2xx: number;
  cpu: CpuBreakdown | undefined;
  raw: string;
}

export function parseH2load(out: string): Omit<H2loadResult, "cpu" | "raw"> {
  const rate = /finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(out);
  const req = /requests: (\d+) total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(out);
  const codes = /status codes: (\d+) 2xx/.exec(out);
  if (!rate || !req || !codes) throw new Error(`could not parse h2load output:\n${out}`);
  return {
    rate: Number(rate[1]),
    total: Number(req[1]),
    succeeded: Number(req[2]),
    failed: Number(req[3]),
    errored: Number(req[4]),
    timeout: Number(req[5]),
    status2xx: Number(codes[1]),
  };
}

export interface H2loadOptions {
  url: string;
  dataFile: string;
  /** In flight on the one connection (-m); default 64. */
  streams?: number;
  /** Either a timed run (warm-up + duration) or a fixed number of requests. */
  durationS?: number;
  warmupS?: number;
  requests?: number;
  watched?: Watched[];
}

/** h2load with gRPC headers: one client, one connection, `streams` in flight. */
export async function h2load(o: H2loadOptions): Promise<H2loadResult> {
  const args = ["-t1", "-c1", `-m${o.streams ?? 64}`, "-H", "content-type:application/grpc", "-H", "te:trailers", "-d", o.dataFile];
  let window: RunOptions["window"];
  let timeoutMs = 60_000;
  if (o.requests !== undefined) {
    args.push(`-n${o.requests}`);
  } else {
    const duration = o.durationS ?? 5;
    const warmup = o.warmupS ?? 1;
    // h2load takes integers with units (10s, 500ms)
    args.push("-D", `${Math.round(duration * 1000)}ms`, `--warm-up-time=${Math.round(warmup * 1000)}ms`);
    window = { fromS: warmup + 0.1, toS: warmup + duration - 0.1 };
    timeoutMs = (warmup + duration + 20) * 1000;
  }
  args.push(o.url);
  const run = await runTool("h2load", args, { watched: o.watched ?? [], window, timeoutMs });
  if (run.code !== 0) throw new Error(`h2load exited with ${run.code}:\n${run.stdout}\n${run.stderr}`);
  return { ...parseH2load(run.stdout), cpu: run.cpu, raw: run.stdout };
}

export interface WrkResult {
  rate: number;
  requests: number;
  non2xx: number;
  socketErrors: number;
  cpu: CpuBreakdown | undefined;
  raw: string;
}

export function parseWrk(out: string): Omit<WrkResult, "cpu" | "raw"> {
  const rate = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const requests = /(\d+) requests in/.exec(out);
  if (!rate || !requests) throw new Error(`could not parse wrk output:\n${out}`);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    rate: Number(rate[1]),
    requests: Number(requests[1]),
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    socketErrors: sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
  };
}

export interface WrkOptions {
  url: string;
  /** A Lua script (method, body, headers); GET without one. */
  script?: string;
  connections?: number;
  durationS?: number;
  warmupS?: number;
  watched?: Watched[];
  /** Runs between the warm-up and the measured run. */
  onMeasureStart?: () => Promise<void>;
}

/**
 * wrk has no warm-up: a short run first, then the measured one. One thread,
 * `connections` connections (one request in flight each).
 */
export async function wrk(o: WrkOptions): Promise<WrkResult> {
  const base = ["-t1", `-c${o.connections ?? 64}`];
  if (o.script) base.push("-s", o.script);
  const warmup = o.warmupS ?? 1;
  if (warmup > 0) await runTool("wrk", [...base, `-d${Math.max(1, Math.round(warmup))}s`, o.url], { watched: [], timeoutMs: (warmup + 20) * 1000 });
  await o.onMeasureStart?.();
  const duration = o.durationS ?? 5;
  const run = await runTool("wrk", [...base, `-d${Math.max(1, Math.round(duration))}s`, o.url], {
    watched: o.watched ?? [],
    window: { fromS: 0.2, toS: duration - 0.1 },
    timeoutMs: (duration + 20) * 1000,
  });
  if (run.code !== 0) throw new Error(`wrk exited with ${run.code}:\n${run.stdout}\n${run.stderr}`);
  return { ...parseWrk(run.stdout), cpu: run.cpu, raw: run.stdout };
}

/** A wrk Lua script that sends the same JSON body with every request. */
export function wrkPostScript(body: string): string {
  // a long bracket whose level cannot occur in the body
  let level = "=";
  while (body.includes(`]${level}]`)) level += "=";
  return [
    'wrk.method = "POST"',
    'wrk.headers["Content-Type"] = "application/json"',
    `wrk.body = [${level}[${body}]${level}]`,
    "",
  ].join("\n");
}
