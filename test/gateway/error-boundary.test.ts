/**
 * No exception escapes a request: a fault injected into each layer that
 * handles a request (routing, query mapping, authentication, encoding,
 * metrics, logging, the watch fan-out, gRPC admission and trailers) ends as a
 * 500 / INTERNAL answer with a request id for that request alone. The server
 * runs in this process, so an escaped error would surface here as an
 * uncaught exception or unhandled rejection, which the suite records.
 */
import { Writable } from "node:stream";
import { expect } from "chai";
import type { ServiceError } from "@grpc/grpc-js";
import { pino } from "pino";
import { ApiServer } from "../../src/apiserver/api-server.js";
import { defaultConfig, mergeConfig } from "../../src/apiserver/config.js";
import type { RouteTarget } from "../../src/apiserver/gateway/bindings.js";
import type { Router } from "../../src/apiserver/gateway/router.js";
import { krakeClients } from "../../src/client/clients.js";
import type { KrakeClients } from "../../src/client/clients.js";
import { Status } from "../../src/errors/api-error.js";
import { EtcdStore } from "../../src/store/etcd-store.js";
import { uniquePrefix } from "../fixtures/api.js";
import { startEtcd } from "../fixtures/etcd.js";
import type { EtcdProcess } from "../fixtures/etcd.js";

describe("the request error boundary (injected faults)", function () {
  this.timeout(30_000);
  let etcd: EtcdProcess;
  let server: ApiServer;
  let clients: KrakeClients;
  let logSinkBroken = false;
  const logged: Record<string, unknown>[] = [];
  const escaped: unknown[] = [];
  const onEscape = (err: unknown) => escaped.push(err);
  const ns = "faults";
  let undo: (() => void)[] = [];

  /** Replaces `obj[key]` until the end of the test. */
  function inject<O extends object, K extends keyof O>(obj: O, key: K, value: O[K]): void {
    const had = Object.prototype.hasOwnProperty.call(obj, key);
    const old = obj[key];
    obj[key] = value;
    undo.push(() => {
      if (had) obj[key] = old;
      else delete obj[key];
    });
  }
  const fault = (layer: string) => () => {
    throw new TypeError(`injected fault in ${layer}`);
  };
  const router = () => (server.gateway as unknown as { router: Router<RouteTarget> }).router;
  const clusterRoute = () => router().entries.find((e) => e.template.source === "/kubernetes/namespaces/{namespace}/clusters/{name}")!;

  const get = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`http://127.0.0.1:${server.httpPort}${path}`, init);
    const text = await res.text();
    return { status: res.status, text, requestId: res.headers.get("x-request-id"), json: JSON.parse(text || "{}") as Record<string, unknown> };
  };

  /** A 500 problem with the request id, the stack logged (unless the log itself is the fault) and never sent. */
  const expectInternal = (res: Awaited<ReturnType<typeof get>>, layer: string) => {
    expect(res.status, res.text).to.equal(500);
    expect(res.json.code).to.equal("INTERNAL");
    expect(res.json.detail).to.equal(`internal error (request id ${res.requestId})`);
    expect(res.text).not.to.contain("injected");
    if (!logSinkBroken) expect(logged.some((l) => l.requestId === res.requestId && JSON.stringify(l).includes(`injected fault in ${layer}`))).to.equal(true);
  };

  before(async () => {
    process.on("uncaughtException", onEscape);
    process.on("unhandledRejection", onEscape);
    etcd = await startEtcd();
    const config = mergeConfig(defaultConfig, {
      grpc: { ...defaultConfig.grpc, host: "127.0.0.1", port: 0 },
      http: { ...defaultConfig.http, host: "127.0.0.1", port: 0 },
      etcd: { ...defaultConfig.etcd, endpoints: [etcd.endpoint], prefix: uniquePrefix() },
    });
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        if (logSinkBroken) throw new Error("log sink down");
        logged.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    server = new ApiServer(config, new EtcdStore({ endpoints: [etcd.endpoint] }), pino({ level: "warn" }, sink));
    await server.start();
    await server.ready();
    clients = krakeClients(`127.0.0.1:${server.grpcPort}`);
    const created = await fetch(`http://127.0.0.1:${server.httpPort}/core/roles`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ metadata: { name: "r1" }, rules: [] }),
    });
    expect(created.status, await created.text()).to.equal(200);
  });
  afterEach(async () => {
    for (const u of undo.reverse()) u();
    undo = [];
    logSinkBroken = false;
    // the same server still answers normally after every fault
    expect((await get("/core/roles/r1")).status).to.equal(200);
    expect(escaped, "errors escaped the request boundary").to.deep.equal([]);
  });
  after(async () => {
    process.off("uncaughtException", onEscape);
    process.off("unhandledRejection", onEscape);
    clients?.close();
    await server?.stop(1_000);
    await etcd?.remove();
  });

  it("routing", async () => {
    inject(router(), "match", fault("routing"));
    expectInternal(await get("/core/roles/r1"), "routing");
  });

  it("query and body mapping", async () => {
    const target = clusterRoute().methods.get("GET")!;
    inject(target.unary!, "mapRequest", fault("query mapping"));
    expectInternal(await get(`/kubernetes/namespaces/${ns}/clusters/x?a=1`), "query mapping");
  });

  it("authentication", async () => {
    inject(server.access, "authenticate", fault("authentication"));
    expectInternal(await get("/core/roles/r1"), "authentication");
    const err = await clients.roles.getRole({ name: "r1" }).then(() => undefined, (e: ServiceError) => e);
    expect(err?.code).to.equal(Status.INTERNAL);
    const id = err!.metadata.get("krake-request-id")[0];
    expect(err?.details).to.equal(`internal error (request id ${id})`);
  });

  it("response encoding", async () => {
    const roleRoute = router().entries.find((e) => e.template.source === "/core/roles/{name}")!;
    inject(roleRoute.methods.get("GET")!.unary!.objectJson, "bytes", fault("encoding"));
    expectInternal(await get("/core/roles/r1"), "encoding");
  });

  it("metrics: the answer goes out as it is, the fault is logged", async () => {
    inject(server.metrics, "observeRequest", fault("metrics"));
    const res = await get("/core/roles/r1");
    expect(res.status).to.equal(200);
    expect(res.json.metadata).to.include({ name: "r1" });
    expect(logged.some((l) => l.requestId === res.requestId && l.msg === "request metrics failed")).to.equal(true);
  });

  it("logging: an internal error whose log write throws is still answered, on both transports", async () => {
    inject(router(), "match", fault("routing"));
    logSinkBroken = true;
    expectInternal(await get("/core/roles/r1"), "routing");
    inject(server.access, "authenticate", fault("authentication"));
    const err = await clients.roles.getRole({ name: "r1" }).then(() => undefined, (e: ServiceError) => e);
    expect(err?.code).to.equal(Status.INTERNAL);
  });

  it("metrics and logging both failing while answering a bad request", async () => {
    inject(server.metrics, "observeRequest", fault("metrics"));
    logSinkBroken = true;
    const res = await get("/core/roles?limit=many");
    expect(res.status).to.equal(400);
  });

  it("the watch fan-out: a failing event encoding ends that stream (an ERROR line for a resumable watch)", async () => {
    const roles = router().entries.find((e) => e.template.source === "/core/roles")!;
    inject(roles.methods.get("GET")!.stream!, "watchLine", fault("the watch fan-out"));
    const version = ((await get("/core/roles")).json.metadata as { resource_version: string }).resource_version;
    const base = `http://127.0.0.1:${server.httpPort}/core/roles?watch&heartbeat=0`;
    const plain = await fetch(base);
    const resumable = await fetch(`${base}&resource_version=${version}`);
    expect(plain.status).to.equal(200);
    expect(resumable.status).to.equal(200);
    const created = await get("/core/roles", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ metadata: { name: "r2" }, rules: [] }),
    });
    expect(created.status).to.equal(200);
    // Krake's clients (no resource_version) see the stream end: they list and watch again.
    expect(await plain.text()).to.equal("");
    const lines = (await resumable.text()).trim().split("\n").map((l) => JSON.parse(l) as { type: string; object: Record<string, unknown> });
    expect(lines).to.have.length(1);
    expect(lines[0].type).to.equal("ERROR");
    expect(lines[0].object.code).to.equal("INTERNAL");
  });

  it("gRPC trailers: field errors quoting any text arrive intact", async () => {
    const err = await clients.applications
      .listApplications({ namespace: ns, labelSelector: "é\u0000\ud800=1", limit: 0, continue: "" })
      .then(() => undefined, (e: ServiceError) => e);
    expect(err?.code).to.equal(Status.INVALID_ARGUMENT);
    const errors = JSON.parse(String(err!.metadata.get("krake-field-errors")[0])) as { field: string; message: string }[];
    expect(errors[0].message).to.contain("é");
  });
});
