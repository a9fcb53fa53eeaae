/**
 * krake-api on SIGTERM (and SIGINT): open watch streams end cleanly with
 * status OK (clients resume elsewhere from their last version), calls in
 * flight still get their answer, new calls are turned away, and the process
 * exits 0 soon after.
 */
import { expect } from "chai";
import { Status } from "../../src/errors/api-error.js";
import { EventType } from "../../gen/krake/core/v1/watch.js";
import { Application, ApplicationStatus, ApplicationStatus_State } from "../../gen/krake/kubernetes/v1/application.js";
import { expectCode, uniquePrefix } from "../fixtures/api.js";
import { startApiProcess } from "../fixtures/api-process.js";
import type { ApiProcess } from "../fixtures/api-process.js";
import { HealthProbe } from "../fixtures/health-probe.js";
import { StreamRecorder } from "../fixtures/stream-recorder.js";
import { startEtcd } from "../fixtures/etcd.js";
import type { EtcdProcess } from "../fixtures/etcd.js";
import { app } from "./support/applications.js";

/** How soon after the signal an idle process must be gone (tsx start-up is not part of it). */
const PROMPT_EXIT_MS = 4_000;

const watchAll = { namespace: "", labelSelector: "", resourceVersion: "", allowBookmarks: true, sendInitialEvents: false };

/** Sends `signal` and resolves with the exit and how long it took. */
async function signalAndWait(p: ApiProcess, signal: NodeJS.Signals) {
  const started = Date.now();
  p.child.kill(signal);
  const exit = await p.exited;
  return { ...exit, ms: Date.now() - started };
}

describe("krake-api on SIGTERM", function () {
  this.timeout(120_000);
  let etcd: EtcdProcess;
  const running: ApiProcess[] = [];

  before(async () => {
    etcd = await startEtcd();
  });
  after(async () => {
    await Promise.all(running.map((p) => p.stop()));
    await etcd?.remove();
  });

  async function start(opts: Parameters<typeof startApiProcess>[0] = {}): Promise<ApiProcess> {
    const p = await startApiProcess({ etcd, ...opts });
    running.push(p);
    return p;
  }

  it("ends open watch streams with OK, lets a call in flight finish, refuses new calls, exits 0", async () => {
    const prefix = uniquePrefix();
    const [a, b] = await Promise.all([start({ prefix }), start({ prefix })]);
    const ns = "drain";
    const health = new HealthProbe(a.address);
    const watches = {
      applications: new StreamRecorder(a.clients.applications.watchApplications(watchAll)),
      clusters: new StreamRecorder(a.clients.clusters.watchClusters(watchAll)),
      health: health.watch(),
    };
    await watches.health.until((ms) => ms.length > 0, "the first health status");

    // a call that stays in flight: Create that waits for the Application to run
    // established (its initial events end with a bookmark) before the write it is to see
    const seenOnB = new StreamRecorder(b.clients.applications.watchApplications({ ...watchAll, namespace: ns, sendInitialEvents: true }));
    await seenOnB.until((ms) => ms.some((m) => m.type === EventType.BOOKMARK), "the watch on B established");
    const inFlight = a.clients.applications.createApplication({ namespace: ns, application: app(ns, "slow"), blocking: "RUNNING" });
    const isWrite = (m: { type: EventType }) => m.type !== EventType.BOOKMARK;
    const created = (await seenOnB.until((ms) => ms.some(isWrite), "the blocking create's write")).find(isWrite)!;
    seenOnB.cancel();

    const started = Date.now();
    a.child.kill("SIGTERM");
    await a.waitForLog((l) => l.msg === "draining and stopping");
    const statuses = {
      applications: await watches.applications.ended(10_000),
      clusters: await watches.clusters.ended(10_000),
    };
    for (const [what, s] of Object.entries(statuses)) expect(s.code, `${what}: ${s.details}`).to.equal(Status.OK);
    // the health watch is a stream of its own: its last message may trail the others' ends
    await watches.health.until((ms) => ms.some((m) => m.status === "NOT_SERVING"), "NOT_SERVING on the health watch");
    await expectCode(a.clients.applications.getApplication({ namespace: ns, name: "slow" }), Status.UNAVAILABLE);

    // the call in flight gets its answer once its state comes (written through B)
    const object = created.object!;
    object.status = ApplicationStatus.fromPartial({ ...object.status, state: ApplicationStatus_State.RUNNING });
    await b.clients.applications.updateApplicationStatus({ namespace: ns, name: "slow", application: object });
    const done = await inFlight;
    expect(done.status!.state).to.equal(ApplicationStatus_State.RUNNING);

    const exit = await a.exited;
    const ms = Date.now() - started;
    expect(exit.code, exit.stderr).to.equal(0);
    expect(exit.signal).to.equal(null);
    expect((await watches.health.ended(10_000)).code).to.equal(Status.OK);
    health.close();
    console.log(`      exited 0 ${ms} ms after SIGTERM (including the wait for the call in flight)`);
  });

  it("exits 0 promptly when idle, even with a health watch and a Krake watch open", async () => {
    const a = await start();
    const health = new HealthProbe(a.address);
    const h = health.watch();
    await h.until((ms) => ms.length > 0, "the first health status");
    const w = new StreamRecorder(a.clients.roles.watchRoles(watchAll));
    await a.clients.roles.listRoles({ labelSelector: "", limit: 0, continue: "" });
    const exit = await signalAndWait(a, "SIGTERM");
    health.close();
    expect(exit.code, exit.stderr).to.equal(0);
    expect((await w.ended(5_000)).code).to.equal(Status.OK);
    expect(exit.ms).to.be.below(PROMPT_EXIT_MS);
    console.log(`      idle: exited 0 ${exit.ms} ms after SIGTERM`);
  });

  it("exits 0 on SIGINT as on SIGTERM", async () => {
    const a = await start();
    const exit = await signalAndWait(a, "SIGINT");
    expect(exit.code, exit.stderr).to.equal(0);
    expect(exit.ms).to.be.below(PROMPT_EXIT_MS);
  });

  it("exits 0 promptly while it is still waiting for etcd", async () => {
    const a = await start({ endpoints: "http://127.0.0.1:1", waitReady: false });
    await a.waitForLog((l) => l.msg === "store not reachable; retrying");
    const exit = await signalAndWait(a, "SIGTERM");
    expect(exit.code, exit.stderr).to.equal(0);
    expect(exit.ms).to.be.below(PROMPT_EXIT_MS);
  });
});
