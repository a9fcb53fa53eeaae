/**
 * krake-api's start-up as a process: without etcd it still starts, says
 * NOT_SERVING on the standard health service and fails requests with
 * UNAVAILABLE, then turns SERVING by itself once etcd appears. Also the
 * standard reflection service.
 */
import { expect } from "chai";
import type { ServiceError } from "@grpc/grpc-js";
import { Status } from "../../src/errors/api-error.js";
import { allKinds } from "../../src/apiserver/kinds/index.js";
import { startApiProcess } from "../fixtures/api-process.js";
import type { ApiProcess } from "../fixtures/api-process.js";
import { listServices } from "../fixtures/grpc-reflection.js";
import { HealthProbe } from "../fixtures/health-probe.js";
import { StreamRecorder } from "../fixtures/stream-recorder.js";
import { startEtcd } from "../fixtures/etcd.js";
import type { EtcdProcess } from "../fixtures/etcd.js";
import { app } from "./support/applications.js";

const CALL_DEADLINE_MS = 5_000;
const SLACK_MS = 3_000;

async function failsUnavailable(what: string, call: () => Promise<unknown>): Promise<number> {
  const started = Date.now();
  try {
    await call();
  } catch (err) {
    const e = err as ServiceError;
    const ms = Date.now() - started;
    expect(e.code, `${what}: ${e.details}`).to.equal(Status.UNAVAILABLE);
    expect(ms, `${what} took too long to fail`).to.be.below(CALL_DEADLINE_MS + SLACK_MS);
    return ms;
  }
  throw new Error(`${what} succeeded while etcd was unreachable`);
}

describe("krake-api started while etcd is unreachable", function () {
  this.timeout(120_000);
  let etcd: EtcdProcess;
  let api: ApiProcess | undefined;
  let health: HealthProbe | undefined;

  before(async () => {
    // an etcd that is down, on ports that it will come back on
    etcd = await startEtcd();
    await etcd.stop();
  });
  after(async () => {
    health?.close();
    await api?.stop();
    await etcd?.remove();
  });

  it("serves NOT_SERVING and UNAVAILABLE until etcd appears, then SERVING and real answers, without a restart", async () => {
    api = await startApiProcess({ etcd, waitReady: false });
    health = new HealthProbe(api.address);
    expect(await health.check()).to.equal("NOT_SERVING");
    await api.waitForLog((l) => l.msg === "store not reachable; retrying");

    const c = api.clients.applications;
    const early = app("ns", "early");
    const times = {
      get: await failsUnavailable("Get", () => c.getApplication({ namespace: "ns", name: "early" })),
      list: await failsUnavailable("List", () => c.listApplications({ namespace: "ns", labelSelector: "", limit: 0, continue: "" })),
      create: await failsUnavailable("Create", () => c.createApplication({ namespace: "ns", application: early, blocking: "" })),
      watch: await failsUnavailable("Watch", async () => {
        const w = new StreamRecorder(c.watchApplications({ namespace: "ns", labelSelector: "", resourceVersion: "", allowBookmarks: false, sendInitialEvents: false }));
        const status = await w.ended(CALL_DEADLINE_MS + SLACK_MS);
        throw Object.assign(new Error(status.details), { code: status.code, details: status.details });
      }),
    };
    expect(await health.check(), "still NOT_SERVING").to.equal("NOT_SERVING");

    const serving = health.waitFor("SERVING", 60_000);
    await etcd.restart();
    const back = Date.now();
    await serving;
    const detectedMs = Date.now() - back;
    const created = await c.createApplication({ namespace: "ns", application: early, blocking: "" });
    const got = await c.getApplication({ namespace: "ns", name: "early" });
    expect(got.metadata!.uid).to.equal(created.metadata!.uid);
    expect(api.child.exitCode, "the same process").to.equal(null);
    console.log(
      `      while down: Get ${times.get} ms, List ${times.list} ms, Create ${times.create} ms, Watch ${times.watch} ms to fail; ` +
        `SERVING ${detectedMs} ms after etcd was ready`,
    );
  });
});

describe("krake-api's standard gRPC services", function () {
  this.timeout(60_000);
  let etcd: EtcdProcess;
  let api: ApiProcess;

  before(async () => {
    etcd = await startEtcd();
    api = await startApiProcess({ etcd });
  });
  after(async () => {
    await api?.stop();
    await etcd?.remove();
  });

  it("grpc.health.v1 reports SERVING once synced, and NOT_FOUND for a service it does not know", async () => {
    const health = new HealthProbe(api.address);
    try {
      expect(await health.check()).to.equal("SERVING");
      const err = await health.check("no.such.Service").then(
        () => undefined,
        (e: ServiceError) => e,
      );
      expect(err?.code).to.equal(Status.NOT_FOUND);
    } finally {
      health.close();
    }
  });

  it("server reflection (grpc.reflection.v1) lists every Krake service, health and reflection", async () => {
    const services = await listServices(api.address);
    const krake = [...new Set(allKinds.flatMap((k) => Object.values(k.service).map((m) => m.path.split("/")[1])))];
    expect(krake.length).to.be.at.least(8);
    expect(services).to.include.members([...krake, "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"]);
  });
});
