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
  /**
   * The etcd behind krake-api and a client of its own to it; both absent when
   * krake-api runs on another store (SQLite: only krake-api can open the file).
   * Phases that measure etcd itself need them (etcdOf); the others count objects
   * through the API then and leave out the etcd-call figures.
   */
  etcd?: EtcdProcess;
  admin?: EtcdAdmin;
  api: KrakeApiProcess;
  clients: KrakeClients;
  settings: BenchSettings;
  /** A directory for request files and scripts, removed at the end. */
  tmp: string;
  out(f: Figure): void;
  log(msg: string): void;
}

/** The etcd of a phase that measures etcd itself; throws when krake-api runs on another store. */
export function etcdOf(ctx: BenchContext, phase: string): { etcd: EtcdProcess; admin: EtcdAdmin } {
  if (!ctx.etcd || !ctx.admin) throw new Error(`${phase} needs etcd: krake-api runs on another store in this run`);
  return { etcd: ctx.etcd, admin: ctx.admin };
}

/** krake-api and etcd (when there is one), for CPU meters; add the load generator. */
export function serverProcesses(ctx: BenchContext): Watched[] {
  const out: Watched[] = [{ name: "krake-api", pids: [ctx.api.pid] }];
  if (ctx.etcd) out.push({ name: "etcd", pids: ctx.etcd.pid ? [ctx.etcd.pid] : [] });
  return out;
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
