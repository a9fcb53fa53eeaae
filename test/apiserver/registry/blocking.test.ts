/**
 * Krake's `blocking=<state>` on Create and Delete of Applications and
 * Clusters (krake-model.md §12): the call answers once the object reaches the
 * state (or is gone, for "deleted"), written by another client meanwhile.
 */
import { expect } from "chai";
import { status as Status } from "@grpc/grpc-js";
import {
  Application,
  ApplicationStatus,
  ApplicationStatus_State as AppState,
} from "../../../gen/krake/kubernetes/v1/application.js";
import type { WatchApplicationsResponse } from "../../../gen/krake/kubernetes/v1/application.js";
import { EventType } from "../../../gen/krake/core/v1/watch.js";
import { Cluster, ClusterStatus, ClusterStatus_State as ClusterState } from "../../../gen/krake/kubernetes/v1/cluster.js";
import { krakeClients } from "../../../src/client/clients.js";
import type { KrakeClients } from "../../../src/client/clients.js";
import { objectKey } from "../../../src/store/keys.js";
import { startEtcd } from "../../fixtures/etcd.js";
import type { EtcdProcess } from "../../fixtures/etcd.js";
import { startApi } from "../../fixtures/api.js";
import type { ApiHarness } from "../../fixtures/api.js";
import { EventReader, expectApiError, krakeDocument, meta, requests, rv, uniqueId } from "./conformance/index.js";

/** Long enough for a second client to act on a loaded machine, short enough to test the timeout. */
const BLOCKING_TIMEOUT_MS = 1_500;

describe("blocking create and delete over gRPC", () => {
  let etcd: EtcdProcess;
  let api: ApiHarness;
  /** The "other" client: a controller writing status from its own connection. */
  let controller: KrakeClients;
  let readers: EventReader<WatchApplicationsResponse>[] = [];
  before(async () => {
    etcd = await startEtcd();
    api = await startApi(etcd, { blockingTimeoutMs: BLOCKING_TIMEOUT_MS });
    controller = krakeClients(api.address, undefined, { "grpc.use_local_subchannel_pool": 1 });
  });
  after(async () => {
    controller?.close();
    await api?.stop();
    await etcd?.remove();
  });
  afterEach(() => {
    for (const r of readers) r.cancel();
    readers = [];
  });

  const apps = () => api.clients.applications;

  function newApp(finalizers: string[] = []): Application {
    const app = Application.fromJSON(krakeDocument("application.json"));
    meta(app).name = `app-${uniqueId()}`;
    meta(app).finalizers = finalizers;
    return app;
  }

  /** A watch of a fresh namespace, registered (its BOOKMARK arrived) before anything is written there. */
  async function watchNamespace(): Promise<{ ns: string; events: EventReader<WatchApplicationsResponse> }> {
    const ns = `blk-${uniqueId()}`;
    const events = new EventReader(apps().watchApplications(requests.watch(ns, { sendInitialEvents: true })));
    readers.push(events);
    expect((await events.one()).type).to.equal(EventType.BOOKMARK);
    return { ns, events };
  }

  async function setState(app: Application, state: AppState): Promise<Application> {
    const body = Application.fromPartial(app);
    body.status = ApplicationStatus.fromPartial({ ...app.status, state });
    return controller.applications.updateApplicationStatus({ namespace: meta(app).namespace, name: meta(app).name, application: body });
  }

  /** Tracks whether a call has answered yet. */
  function track<T>(p: Promise<T>): { promise: Promise<T>; answered: () => boolean } {
    let done = false;
    const settle = () => {
      done = true;
    };
    p.then(settle, settle);
    return { promise: p, answered: () => done };
  }

  describe("create", () => {
    it("with blocking=RUNNING answers once another client sets status.state RUNNING", async () => {
      const { ns, events } = await watchNamespace();
      const call = track(apps().createApplication({ namespace: ns, application: newApp(), blocking: "RUNNING" }));
      const added = (await events.one()).object!;
      const creating = await setState(added, AppState.CREATING);
      expect((await events.one()).object!.metadata!.resourceVersion).to.equal(meta(creating).resourceVersion);
      expect(call.answered(), "answered before RUNNING").to.equal(false);
      const running = await setState(creating, AppState.RUNNING);
      const answer = await call.promise;
      expect(answer.status!.state).to.equal(AppState.RUNNING);
      expect(meta(answer).resourceVersion).to.equal(meta(running).resourceVersion);
      expect(meta(answer).uid).to.equal(meta(added).uid);
    });

    it("accepts the state in any case (blocking=running)", async () => {
      const { ns, events } = await watchNamespace();
      const call = apps().createApplication({ namespace: ns, application: newApp(), blocking: "running" });
      await setState((await events.one()).object!, AppState.RUNNING);
      expect((await call).status!.state).to.equal(AppState.RUNNING);
    });

    for (const blocking of ["", "False", "false", "0"]) {
      it(`with blocking=${JSON.stringify(blocking)} does not wait`, async () => {
        const ns = `blk-${uniqueId()}`;
        const created = await apps().createApplication({ namespace: ns, application: newApp(), blocking });
        expect(created.status!.state).to.equal(AppState.PENDING);
      });
    }

    it("answers with the object as it is when the state is not reached in time (Krake's 200)", async () => {
      const ns = `blk-${uniqueId()}`;
      const app = newApp();
      const started = Date.now();
      const answered = await apps().createApplication({ namespace: ns, application: app, blocking: "RUNNING" });
      expect(Date.now() - started).to.be.at.least(BLOCKING_TIMEOUT_MS - 50);
      expect(answered.status!.state).to.equal(AppState.PENDING);
      const got = await apps().getApplication({ namespace: ns, name: meta(app).name });
      expect(meta(got).uid).to.equal(meta(answered).uid);
    });

    it("answers NOT_FOUND when the object is deleted while it waits", async () => {
      const { ns, events } = await watchNamespace();
      const app = newApp();
      const outcome = expectApiError(apps().createApplication({ namespace: ns, application: app, blocking: "RUNNING" }), Status.NOT_FOUND);
      await events.one();
      await controller.applications.deleteApplication(requests.delete(ns, meta(app).name, { force: true }));
      const err = await outcome;
      expect(err.message).to.equal(`'Application' '${meta(app).name}' does not exist in namespace '${ns}'`);
    });

    it("waits for a Cluster's state too (blocking=ONLINE)", async () => {
      const ns = `blk-${uniqueId()}`;
      const cluster = Cluster.fromJSON(krakeDocument("cluster.json"));
      meta(cluster).name = `cl-${uniqueId()}`;
      const watch = new EventReader(api.clients.clusters.watchClusters(requests.watch(ns, { sendInitialEvents: true })));
      try {
        await watch.one();
        const call = api.clients.clusters.createCluster({ namespace: ns, cluster, blocking: "ONLINE" });
        const added = (await watch.one()).object!;
        const body = Cluster.fromPartial(added);
        body.status = ClusterStatus.fromPartial({ ...added.status, state: ClusterState.ONLINE });
        await controller.clusters.updateClusterStatus({ namespace: ns, name: meta(cluster).name, cluster: body });
        expect((await call).status!.state).to.equal(ClusterState.ONLINE);
      } finally {
        watch.cancel();
      }
    });
  });

  describe("delete", () => {
    it("with blocking=deleted answers when the last finalizer is removed", async () => {
      const { ns, events } = await watchNamespace();
      const created = await apps().createApplication({ namespace: ns, application: newApp(["example.com/cleanup"]), blocking: "" });
      await events.one();
      const name = meta(created).name;
      const call = track(apps().deleteApplication(requests.delete(ns, name, { blocking: "deleted" })));
      const deleting = (await events.one()).object!;
      expect(meta(deleting).deleted).to.have.all.keys("seconds", "nanos");
      const fewer = Application.fromPartial(deleting);
      meta(fewer).finalizers = ["example.com/cleanup"];
      const step = await controller.applications.updateApplication({ namespace: ns, name, application: fewer });
      await events.one();
      expect(call.answered(), "answered while a finalizer is left").to.equal(false);
      const none = Application.fromPartial(step);
      meta(none).finalizers = [];
      const gone = await controller.applications.updateApplication({ namespace: ns, name, application: none });
      const answer = await call.promise;
      expect(meta(answer).resourceVersion).to.equal(meta(gone).resourceVersion);
      expect(meta(answer).deleted).to.have.all.keys("seconds", "nanos");
      expect(await api.store.get(objectKey(api.prefix, "kubernetes", "applications", ns, name))).to.equal(undefined);
    });

    it("with force and blocking=deleted answers at once", async () => {
      const ns = `blk-${uniqueId()}`;
      const created = await apps().createApplication({ namespace: ns, application: newApp(), blocking: "" });
      const gone = await apps().deleteApplication(requests.delete(ns, meta(created).name, { force: true, blocking: "deleted" }));
      expect(rv(gone)).to.be.greaterThan(rv(created));
      await expectApiError(apps().getApplication({ namespace: ns, name: meta(created).name }), Status.NOT_FOUND);
    });

    it("with blocking=False answers at once with the object in deletion", async () => {
      const ns = `blk-${uniqueId()}`;
      const created = await apps().createApplication({ namespace: ns, application: newApp(), blocking: "" });
      const deleting = await apps().deleteApplication(requests.delete(ns, meta(created).name, { blocking: "False" }));
      expect(meta(deleting).deleted).to.have.all.keys("seconds", "nanos");
      expect(meta(deleting).finalizers).to.deep.equal(["cascade_deletion"]);
    });

    it("with blocking=deleted answers the object in deletion when finalizers remain past the wait", async () => {
      const ns = `blk-${uniqueId()}`;
      const created = await apps().createApplication({ namespace: ns, application: newApp(), blocking: "" });
      const answered = await apps().deleteApplication(requests.delete(ns, meta(created).name, { blocking: "deleted" }));
      expect(meta(answered).deleted).to.have.all.keys("seconds", "nanos");
      expect(meta(answered).finalizers).to.deep.equal(["cascade_deletion"]);
      // the fixture has a shutdown hook: deleting it asks for the shutdown first
      expect(answered.status!.state).to.equal(AppState.WAITING_FOR_CLEANING);
    });
  });
});
