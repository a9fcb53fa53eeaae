/** What every benchmark phase gets: the processes under test, clients, settings and the figure sink. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { KrakeClients } from "../../src/client/clients.js";
import type { EtcdProcess } from "../../test/fixtures/etcd.js";
import type { Watched } from "./cpu.js";
import type { EtcdAdmin } from "./etcd-admin.js";
import type { Figure } from "./figures.js";
import type { KrakeApiProcess } from "./krake-api-process.js";
import { grpcFrame } from "./grpc-wire.js";

export interface BenchSettings {
  /** Length of each measured load, after the warm-up. */
  durationS: number;
  warmupS: number;
  /** Requests in flight (h2load streams, wrk connections, Node workers). */
  concurrency: number;
}

export interface BenchContext {
  etcd: EtcdProcess;
  admin: EtcdAdmin;
  api: KrakeApiProcess;
  clients: KrakeClients;
  settings: BenchSettings;
  /** A directory for request files and scripts, removed at the end. */
  tmp: string;
  out(f: Figure): void;
  log(msg: string): void;
}

/** krake-api and etcd, for CPU meters; add the load generator. */
export function serverProcesses(ctx: BenchContext): Watched[] {
  return [
    { name: "krake-api", pids: [ctx.api.pid] },
    { name: "etcd", pids: ctx.etcd.pid ? [ctx.etcd.pid] : [] },
  ];
}

/** This process as a meter entry (the Node load generator). */
export function benchProcess(): Watched {
  return { name: "bench(node)", pids: [process.pid] };
}

/** Writes a framed gRPC request for h2load; returns the path. */
export function requestFile(ctx: BenchContext, name: string, message: Uint8Array): string {
  const path = join(ctx.tmp, name);
  writeFileSync(path, grpcFrame(message));
  return path;
}
