/**
 * krake-api as a child process (its CPU and memory are its own), on free
 * loopback ports, killed when the benchmark exits. The REST gateway's
 * `--http.port` is passed when this build accepts it.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { grpcFrame, unaryOnce } from "./grpc-wire.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const live = new Set<ChildProcess>();
function killAll(): void {
  for (const c of live) c.kill("SIGKILL");
}
process.on("exit", killAll);
// a signal's default action skips "exit" handlers: exit explicitly (they then run, e.g. the etcd fixture's)
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.once(signal, () => {
    killAll();
    process.exit(128 + (signal === "SIGHUP" ? 1 : signal === "SIGINT" ? 2 : 15));
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error("no free port"))));
    });
  });
}

export interface KrakeApiOptions {
  /** etcd's client URL, passed as `--etcd.endpoints` (when `store` is not given). */
  etcdEndpoint?: string;
  /** A store URL (`sqlite://PATH`, `etcd://host:port`), passed as `--store` instead of the etcd endpoint. */
  store?: string;
  /** Key prefix (`--etcd.prefix`, in either store); default krake-api's own. */
  prefix?: string;
  /** Ask for the REST gateway too. */
  http?: boolean;
  /** Extra node flags, e.g. `--cpu-prof`. */
  nodeFlags?: string[];
  readyTimeoutMs?: number;
}

export interface KrakeApiProcess {
  pid: number;
  grpcPort: number;
  /** undefined when this build has no REST gateway. */
  httpPort: number | undefined;
  address: string;
  origin: string;
  /** SIGTERM (krake-api drains and exits 0); SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const HEALTH_CHECK = "/grpc.health.v1.Health/Check";
const SERVING = Buffer.from([0x08, 0x01]); // HealthCheckResponse{status: SERVING}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Resolves once the URL answers at all (any status). */
async function waitForHttp(url: string, deadline: number): Promise<void> {
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`krake-api's REST gateway did not answer at ${url}`);
      await sleep(100);
    }
  }
}

async function spawnApi(o: KrakeApiOptions, httpPort: number | undefined): Promise<KrakeApiProcess | { unknownFlag: true }> {
  const grpcPort = await freePort();
  let storeFlags: string[];
  if (o.store !== undefined) storeFlags = ["--store", o.store];
  else if (o.etcdEndpoint !== undefined) storeFlags = ["--etcd.endpoints", o.etcdEndpoint];
  else throw new Error("startKrakeApi: give etcdEndpoint or store");
  const args = [...(o.nodeFlags ?? []), "bin/krake-api.js", "--grpc.port", String(grpcPort), ...storeFlags, "--log.level", "warn"];
  if (o.prefix) args.push("--etcd.prefix", o.prefix);
  if (httpPort !== undefined) args.push("--http.port", String(httpPort));
  // the store is the one asked for here, not one from the caller's environment
  const env = { ...process.env };
  delete env["KRAKE_STORE"];
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: ["ignore", "inherit", "pipe"] });
  live.add(child);
  // kept for error messages until ready, passed through after
  let stderr = "";
  let ready = false;
  child.stderr.setEncoding("utf8").on("data", (c: string) => {
    if (ready) process.stderr.write(c);
    else stderr += c;
  });
  let exited: number | null | undefined;
  const gone = new Promise<void>((resolve) =>
    child.once("exit", (code) => {
      exited = code;
      live.delete(child);
      resolve();
    }),
  );
  const origin = `http://127.0.0.1:${grpcPort}`;
  const deadline = Date.now() + (o.readyTimeoutMs ?? 30_000);
  for (;;) {
    if (exited !== undefined) {
      if (httpPort !== undefined && /unknown flag --http/.test(stderr)) return { unknownFlag: true };
      throw new Error(`krake-api exited with ${exited} before it was ready:\n${stderr}`);
    }
    try {
      const res = await unaryOnce(origin, HEALTH_CHECK, grpcFrame(new Uint8Array()), 1_000);
      if (res.grpcStatus === 0 && res.message.equals(SERVING)) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`krake-api was not SERVING within ${o.readyTimeoutMs ?? 30_000} ms:\n${stderr}`);
    }
    await sleep(100);
  }
  if (httpPort !== undefined) await waitForHttp(`http://127.0.0.1:${httpPort}/`, deadline);
  ready = true;
  process.stderr.write(stderr);
  return {
    pid: child.pid ?? 0,
    grpcPort,
    httpPort,
    address: `127.0.0.1:${grpcPort}`,
    origin,
    async stop(graceMs = 10_000) {
      if (exited !== undefined) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await gone;
      clearTimeout(timer);
    },
  };
}

/** Starts krake-api and resolves once its health service says SERVING (the watch cache has synced). */
export async function startKrakeApi(o: KrakeApiOptions): Promise<KrakeApiProcess> {
  if (o.http) {
    const started = await spawnApi(o, await freePort());
    if (!("unknownFlag" in started)) return started;
  }
  const started = await spawnApi(o, undefined);
  if ("unknownFlag" in started) throw new Error("unreachable: no --http.port given");
  return started;
}
