/**
 * Timestamps end to end: what a client writes with microseconds (Krake's
 * Python clients, `isoformat()`) or nanoseconds is stored, answered over REST
 * and gRPC and watched unchanged, through both store backends (etcd and
 * SQLite); a timestamp that is not RFC 3339 is still a 422 naming the field.
 */
import { expect } from "chai";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { Lease } from "../../gen/krake/core/v1/lease.js";
import { ApiServer } from "../../src/apiserver/api-server.js";
import { defaultConfig, mergeConfig } from "../../src/apiserver/config.js";
import { ApiConnection } from "../../src/client/kind-client.js";
import { leaseKind } from "../../src/kinds/index.js";
import { formatTimestamp, parseTimestamp } from "../../src/kinds/timestamp.js";
import { EtcdStore } from "../../src/store/etcd-store.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import type { Store } from "../../src/store/store.js";
import { uniquePrefix } from "../fixtures/api.js";
import { startEtcd } from "../fixtures/etcd.js";
import type { EtcdProcess } from "../fixtures/etcd.js";
import { expectProblem, WatchReader } from "../gateway/helpers.js";
import type { Json } from "../gateway/helpers.js";

const NS = "time";
const LEASES = `/core/namespaces/${NS}/leases`;
const MICROS = "2026-12-05T23:16:15.696123+00:00"; // as Krake's Python clients write it
const MICROS_OUT = "2026-12-05T23:16:15.696123Z";
const NANOS = "2026-12-05T23:16:15.696123456Z";

interface Running {
  server: ApiServer;
  connection: ApiConnection;
  url: string;
}

async function startServer(store: Store, prefix: string): Promise<Running> {
  const config = mergeConfig(defaultConfig, {
    grpc: { host: "127.0.0.1", port: 0 },
    http: { ...defaultConfig.http, host: "127.0.0.1", port: 0 },
    etcd: { ...defaultConfig.etcd, prefix },
  });
  const server = new ApiServer(config, store, pino({ level: "silent" }));
  await server.start();
  await server.ready();
  return { server, connection: new ApiConnection(`127.0.0.1:${server.grpcPort}`), url: `http://127.0.0.1:${server.httpPort}` };
}

async function call(r: Running, method: string, path: string, body?: unknown): Promise<{ status: number; text: string; json: Json; headers: Headers }> {
  const res = await fetch(`${r.url}${path}`, {
    method,
    ...(body !== undefined && { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
  });
  const text = await res.text();
  return { status: res.status, text, json: text ? (JSON.parse(text) as Json) : {}, headers: res.headers };
}

const lease = (name: string, acquire: string, renew: string): Json => ({
  api: "core",
  kind: "Lease",
  metadata: { name, namespace: NS },
  spec: { holder_identity: "replica-1", lease_duration_seconds: 15, acquire_time: acquire, renew_time: renew },
});

const specOf = (o: unknown) => (o as { spec: Json }).spec;

function suite(backend: string, open: () => Promise<{ store: Store; close(): Promise<void> }>): void {
  describe(`timestamps end to end (${backend})`, function () {
    this.timeout(30_000);
    let r: Running;
    let close: () => Promise<void>;
    const watches: WatchReader[] = [];

    before(async () => {
      const opened = await open();
      close = opened.close;
      r = await startServer(opened.store, uniquePrefix());
    });
    after(async () => {
      for (const w of watches) w.close();
      r?.connection.close();
      await r?.server.stop(1_000);
      await close?.();
    });

    it("keeps microseconds and nanoseconds through REST create, get, list and watch", async () => {
      const api = { server: r.server } as Parameters<typeof WatchReader.open>[0];
      const w = await WatchReader.open(api, `${LEASES}?watch&heartbeat=0`);
      watches.push(w);
      const created = await call(r, "POST", LEASES, lease("rest", MICROS, NANOS));
      expect(created.status, created.text).to.equal(200);
      const want = { acquire_time: MICROS_OUT, renew_time: NANOS };
      expect(specOf(created.json)).to.include(want);
      const got = await call(r, "GET", `${LEASES}/rest`);
      expect(specOf(got.json)).to.include(want);
      const list = await call(r, "GET", LEASES);
      expect(specOf((list.json.items as Json[]).find((i) => (i.metadata as Json).name === "rest"))).to.include(want);
      const ev = await w.next();
      expect(ev!.type).to.equal("ADDED");
      expect(specOf(ev!.object)).to.include(want);
    });

    it("keeps them through gRPC, and REST reads what gRPC wrote", async () => {
      const leases = r.connection.client(leaseKind);
      const acquire = parseTimestamp(MICROS)!;
      const renew = parseTimestamp(NANOS)!;
      expect(renew).to.deep.equal({ seconds: 1796512575, nanos: 696123456 });
      const body = Lease.fromPartial({ api: "core", kind: "Lease", metadata: { name: "grpc", namespace: NS }, spec: { holderIdentity: "a", leaseDurationSeconds: 15, acquireTime: acquire, renewTime: renew } });
      const created = await leases.create(NS, body);
      expect(created.spec!.acquireTime).to.deep.equal(acquire);
      expect(created.spec!.renewTime).to.deep.equal(renew);
      const got = await leases.get(NS, "grpc");
      expect(got.spec!.acquireTime).to.deep.equal(acquire);
      expect(got.spec!.renewTime).to.deep.equal(renew);
      const rest = await call(r, "GET", `${LEASES}/grpc`);
      expect(specOf(rest.json)).to.include({ acquire_time: MICROS_OUT, renew_time: NANOS });
    });

    it("keeps a REST update's microseconds (PUT), and server-set times are RFC 3339 too", async () => {
      const created = await call(r, "POST", LEASES, lease("put", MICROS, MICROS));
      const later = "2026-12-05T23:16:16.000001Z";
      const body = { ...created.json, spec: { ...specOf(created.json), renew_time: later } };
      const updated = await call(r, "PUT", `${LEASES}/put`, body);
      expect(updated.status, updated.text).to.equal(200);
      expect(specOf(updated.json)).to.include({ acquire_time: MICROS_OUT, renew_time: later });
      const meta = updated.json.metadata as Json;
      for (const field of ["created", "modified"]) {
        const text = meta[field] as string;
        expect(parseTimestamp(text), field).not.to.equal(undefined);
        expect(formatTimestamp(parseTimestamp(text)!)).to.equal(text);
      }
    });

    it("refuses a timestamp that is not RFC 3339 with 422 naming the field", async () => {
      for (const bad of ["yesterday", "2026-12-05 23:16:15", "2026-12-05T23:16:15.1234567890Z", "2026-12-05T23:16:15"]) {
        const res = await call(r, "POST", LEASES, lease(`bad-${watches.length}`, MICROS, bad));
        const p = expectProblem(res, 422, "INVALID_ARGUMENT");
        expect(JSON.stringify(p), bad).to.include("spec.renew_time");
      }
    });
  });
}

let etcd: EtcdProcess | undefined;
after(async () => {
  await etcd?.remove();
});

suite("etcd", async () => {
  etcd ??= await startEtcd();
  const store = new EtcdStore({ endpoints: [etcd.endpoint] });
  return { store, close: async () => {} };
});

suite("SQLite", async () => {
  const dir = await mkdtemp(join(tmpdir(), "krake-time-"));
  const store = SqliteStore.open(join(dir, "store.db"));
  return {
    store,
    async close() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
