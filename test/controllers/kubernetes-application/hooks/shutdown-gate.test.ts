/**
 * The shutdown gate step by step, on a hand-driven clock, against a real
 * krake-api (status written through the status subresource, as the brief of
 * the API's WAITING_FOR_CLEANING allows) and a tiny HTTP server as the
 * application's shutdown endpoint: restarts, states the gate does not wait
 * in, and the limits of its attempts.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { expect } from "chai";
import { pino } from "pino";
import { Application, ApplicationStatus_State as State } from "../../../../gen/krake/kubernetes/v1/application.js";
import { FakeClock } from "../../../../src/client/clock.js";
import type { KindClient } from "../../../../src/client/kind-client.js";
import type { ReconcileContext } from "../../../../src/controller/reconcile.js";
import { ShutdownGate, defaultHooksSettings } from "../../../../src/controllers/kubernetes-application/hooks/index.js";
import { applicationKind } from "../../../../src/kinds/index.js";
import { startApi } from "../../../fixtures/api.js";
import type { ApiHarness } from "../../../fixtures/api.js";
import { startEtcd } from "../../../fixtures/etcd.js";
import type { EtcdProcess } from "../../../fixtures/etcd.js";
import { timestampToMillis } from "../../../../src/kinds/timestamp.js";

const ns = "gate";

describe("shutdown gate (real krake-api, hand-driven clock)", function () {
  this.timeout(60_000);
  let etcd: EtcdProcess;
  let api: ApiHarness;
  let apps: KindClient<Application>;
  let server: Server;
  let address: string;
  const calls: string[] = [];
  const ctx: ReconcileContext = { signal: new AbortController().signal, log: pino({ level: "silent" }) };
  let clock: FakeClock;
  const gate = () =>
    new ShutdownGate({ settings: { ...defaultHooksSettings.shutdown, requestTimeoutMs: 2_000 }, updateStatus: (a, signal) => apps.updateStatus(a, { signal }), clock });

  before(async () => {
    etcd = await startEtcd();
    api = await startApi(etcd);
    apps = api.connection.client(applicationKind);
    server = createServer((req, res) => {
      calls.push(`${req.method} ${req.url}`);
      res.writeHead(200).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await api?.stop();
    await etcd?.remove();
  });
  beforeEach(() => {
    calls.length = 0;
    clock = new FakeClock(Date.now());
  });

  /** An Application in deletion, as the controller's informer would hand it over, with the status given. */
  async function inDeletion(name: string, status: Partial<NonNullable<Application["status"]>>, spec: Partial<NonNullable<Application["spec"]>> = {}): Promise<Application> {
    await apps.create(
      ns,
      Application.fromPartial({
        metadata: { name, namespace: ns, finalizers: ["kubernetes_resources_deletion"] },
        spec: { manifest: [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name } }], hooks: ["shutdown"], shutdownGraceTime: 10, shutdownRetryCount: 0, ...spec },
      }),
    );
    const created = await apps.get(ns, name);
    await apps.updateStatus({ ...created, status: { ...created.status!, ...status } });
    await apps.delete(ns, name);
    return apps.get(ns, name);
  }
  const running = { runningOn: { api: "kubernetes", kind: "Cluster", namespace: ns, name: "c" }, services: {} as Record<string, string> };

  it("an Application in deletion that is not WAITING_FOR_CLEANING (an older API, a late status write) is moved there first, without a call", async () => {
    const app = await inDeletion("left-running", { ...running, services: { shutdown: address } });
    const late = await apps.updateStatus({ ...app, status: { ...app.status!, state: State.RUNNING } });
    expect(await gate().beforeDelete(ctx, late)).to.deep.equal({ proceed: false, requeueAfter: 0 });
    const now = await apps.get(ns, "left-running");
    expect(now.status!.state).to.equal(State.WAITING_FOR_CLEANING);
    expect(calls).to.deep.equal([]);
  });

  it("a FAILED Application is not asked (as the API does not on DELETE): the deletion goes on", async () => {
    const app = await inDeletion("failed", { ...running, services: { shutdown: address } });
    const failed = await apps.updateStatus({ ...app, status: { ...app.status!, state: State.FAILED } });
    expect(await gate().beforeDelete(ctx, failed)).to.deep.equal({ proceed: true });
    expect(calls).to.deep.equal([]);
  });

  it("nothing running (no running_on): the deletion goes on without a call", async () => {
    const app = await inDeletion("never-ran", { state: State.WAITING_FOR_CLEANING });
    expect(await gate().beforeDelete(ctx, app)).to.deep.equal({ proceed: true });
    expect(calls).to.deep.equal([]);
  });

  it("without the shutdown hook the gate lets everything through", async () => {
    const app = await inDeletion("no-hook", { ...running, state: State.WAITING_FOR_CLEANING }, { hooks: ["complete"] });
    expect(await gate().beforeDelete(ctx, app)).to.deep.equal({ proceed: true });
    expect(calls).to.deep.equal([]);
  });

  it("an attempt: the grace period in status, then the call; until it ends, waits for the rest of it", async () => {
    const g = gate();
    const app = await inDeletion("attempt", { ...running, state: State.WAITING_FOR_CLEANING, services: { shutdown: address } });
    expect(await g.beforeDelete(ctx, app)).to.deep.equal({ proceed: false, requeueAfter: 10_000 });
    expect(calls).to.deep.equal(["PUT /shutdown"]);
    const after = await apps.get(ns, "attempt");
    expect(timestampToMillis(after.status!.shutdownGracePeriod!)).to.equal(clock.now() + 10_000);
    clock.step(4_000);
    expect(await g.beforeDelete(ctx, after)).to.deep.equal({ proceed: false, requeueAfter: 6_000 });
    expect(calls).to.have.length(1);
  });

  it("after a restart, a grace period still running counts as an attempt made: no second call, then the failure strategy", async () => {
    const app = await inDeletion("restart", { ...running, state: State.WAITING_FOR_CLEANING, services: { shutdown: address } }, { shutdownFailureStrategy: "give_up" });
    await gate().beforeDelete(ctx, app);
    expect(calls).to.have.length(1);
    const fresh = gate(); // the controller restarted: nothing in memory
    const stored = await apps.get(ns, "restart");
    clock.step(3_000);
    expect(await fresh.beforeDelete(ctx, stored)).to.deep.equal({ proceed: false, requeueAfter: 7_000 });
    clock.step(7_000);
    expect(await fresh.beforeDelete(ctx, stored)).to.deep.equal({ proceed: false, requeueAfter: 0 });
    expect(calls).to.have.length(1);
    const final = await apps.get(ns, "restart");
    expect(final.status!.state).to.equal(State.DEGRADED);
    expect(final.status!.reason!.message).to.contain("within 1 attempt(s)");
    // Held while DEGRADED by give_up: no call, no write.
    expect(await fresh.beforeDelete(ctx, final)).to.deep.equal({ proceed: false, requeueAfter: 0 });
    expect(calls).to.have.length(1);
  });

  it("the application's confirmation (READY_FOR_ACTION through the shutdown subresource) lets the deletion go on", async () => {
    const g = gate();
    const app = await inDeletion("confirmed", { ...running, state: State.WAITING_FOR_CLEANING, services: { shutdown: address } });
    await g.beforeDelete(ctx, app);
    const token = "t0ken";
    const withToken = await apps.get(ns, "confirmed");
    await apps.updateStatus({ ...withToken, status: { ...withToken.status!, shutdownToken: token } });
    const confirmed = await apps.subresource("shutdown", ns, "confirmed", { token });
    expect(confirmed.status!.state).to.equal(State.READY_FOR_ACTION);
    expect(confirmed.status!.shutdownGracePeriod).to.equal(undefined);
    expect(await g.beforeDelete(ctx, confirmed)).to.deep.equal({ proceed: true });
  });
});
