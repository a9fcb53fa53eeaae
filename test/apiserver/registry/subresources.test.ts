/**
 * Krake's subresources through the gRPC API (krake-model.md §1 "Handler
 * specifics"): Application binding, complete, shutdown and retry; Cluster
 * binding.
 */
import { expect } from "chai";
import { status as Status } from "@grpc/grpc-js";
import type { ResourceRef } from "../../../gen/krake/core/v1/types.js";
import {
  Application,
  ApplicationStatus,
  ApplicationStatus_State as AppState,
} from "../../../gen/krake/kubernetes/v1/application.js";
import { Cluster } from "../../../gen/krake/kubernetes/v1/cluster.js";
import type { EtcdProcess } from "../../fixtures/etcd.js";
import { useApi } from "../../fixtures/api.js";
import type { ApiHarness } from "../../fixtures/api.js";
import { expectApiError, krakeDocument, meta, rv, tickPast, uniqueId } from "./conformance/index.js";
import { timestampToMillis, timestampFromDate } from "../../../src/kinds/timestamp.js";

describe("subresources over gRPC", () => {
  let etcd: EtcdProcess;
  let api: ApiHarness;
  useApi((started) => ({ etcd, api } = started));

  const ns = () => `sub-${uniqueId()}`;
  const apps = () => api.clients.applications;

  async function createApp(namespace: string, finalizers: string[] = []): Promise<Application> {
    const app = Application.fromJSON(krakeDocument("application.json"));
    meta(app).name = `app-${uniqueId()}`;
    meta(app).finalizers = finalizers;
    return apps().createApplication({ namespace, application: app, blocking: "" });
  }

  /** Sets status fields as a controller would, through UpdateStatus. */
  async function setStatus(app: Application, status: Partial<ApplicationStatus>): Promise<Application> {
    const body = Application.fromPartial(app);
    body.status = ApplicationStatus.fromPartial({ ...app.status, ...status });
    return apps().updateApplicationStatus({ namespace: meta(app).namespace, name: meta(app).name, application: body });
  }

  const clusterRef = (namespace: string, name: string): ResourceRef => ({ api: "kubernetes", kind: "Cluster", namespace, name });

  const bind = (app: Application, cluster: ResourceRef | undefined, resourceVersion = "") =>
    apps().bindApplication({ namespace: meta(app).namespace, name: meta(app).name, binding: cluster && { cluster }, resourceVersion });

  describe("Application binding", () => {
    it("sets scheduled, kube_controller_triggered and scheduled_to, and adds the cluster to the owners", async () => {
      const n = ns();
      const app = await createApp(n);
      const ref = clusterRef(n, "edge-1");
      const bound = await bind(app, ref);
      const status = bound.status!;
      expect(status.scheduled).to.have.all.keys("seconds", "nanos");
      expect(timestampToMillis(status.kubeControllerTriggered!)).to.equal(timestampToMillis(status.scheduled!));
      expect(status.scheduledTo).to.deep.equal(ref);
      expect(meta(bound).owners).to.deep.equal([ref]);
      expect(meta(bound).generation).to.equal(1);
      expect(rv(bound)).to.be.greaterThan(rv(app));
      const got = await apps().getApplication({ namespace: n, name: meta(app).name });
      expect(got.status!.scheduledTo).to.deep.equal(ref);
    });

    it("adds an owner once however often it binds, and adds a new cluster beside the old", async () => {
      const n = ns();
      const app = await createApp(n);
      const first = await bind(app, clusterRef(n, "edge-1"));
      await tickPast(first.status!.scheduled);
      const again = await bind(app, clusterRef(n, "edge-1"));
      expect(meta(again).owners).to.have.length(1);
      expect(timestampToMillis(again.status!.scheduled!)).to.be.greaterThan(timestampToMillis(first.status!.scheduled!));
      const moved = await bind(app, clusterRef(n, "edge-2"));
      expect(meta(moved).owners.map((o) => o.name)).to.deep.equal(["edge-1", "edge-2"]);
      expect(moved.status!.scheduledTo!.name).to.equal("edge-2");
    });

    it("rejects a missing or incomplete cluster reference with INVALID_ARGUMENT", async () => {
      const n = ns();
      const app = await createApp(n);
      let err = await expectApiError(bind(app, undefined), Status.INVALID_ARGUMENT);
      expect(err.details.map((d) => d.field)).to.deep.equal(["binding.cluster"]);
      err = await expectApiError(bind(app, { api: "", kind: "Cluster", namespace: n, name: "" }), Status.INVALID_ARGUMENT);
      expect(err.details.map((d) => d.field)).to.deep.equal(["binding.cluster.name", "binding.cluster.api"]);
      const got = await apps().getApplication({ namespace: n, name: meta(app).name });
      expect(rv(got)).to.equal(rv(app));
    });

    it("answers NOT_FOUND for a missing Application, ABORTED for a stale resource_version", async () => {
      const n = ns();
      const missing = Application.fromPartial({ metadata: { name: "missing", namespace: n } });
      await expectApiError(bind(missing, clusterRef(n, "edge-1")), Status.NOT_FOUND);
      const app = await createApp(n);
      const bound = await bind(app, clusterRef(n, "edge-1"), meta(app).resourceVersion);
      await expectApiError(bind(app, clusterRef(n, "edge-2"), meta(app).resourceVersion), Status.ABORTED);
      expect((await bind(app, clusterRef(n, "edge-2"), meta(bound).resourceVersion)).status!.scheduledTo!.name).to.equal("edge-2");
    });

    it("binds an Application in deletion too (as Krake does)", async () => {
      const n = ns();
      const app = await createApp(n);
      await apps().deleteApplication({ namespace: n, name: meta(app).name, resourceVersion: "", force: false, propagationPolicy: "", blocking: "" });
      const bound = await bind(app, clusterRef(n, "edge-1"));
      expect(bound.status!.scheduledTo).to.deep.equal(clusterRef(n, "edge-1"));
      expect(meta(bound).deleted).to.have.all.keys("seconds", "nanos");
    });
  });

  describe("Application complete", () => {
    const complete = (app: Application, token: string | undefined) =>
      apps().completeApplication({
        namespace: meta(app).namespace,
        name: meta(app).name,
        complete: token === undefined ? undefined : { token },
        resourceVersion: "",
      });

    it("with the right token sets READY_FOR_ACTION and deleted", async () => {
      const n = ns();
      const app = await setStatus(await createApp(n, ["kubernetes_resources_deletion"]), {
        state: AppState.RUNNING,
        completeToken: "s3cret-complete",
      });
      const done = await complete(app, "s3cret-complete");
      expect(done.status!.state).to.equal(AppState.READY_FOR_ACTION);
      expect(meta(done).deleted).to.have.all.keys("seconds", "nanos");
      expect(meta(done).finalizers).to.deep.equal(["kubernetes_resources_deletion"]);
      const got = await apps().getApplication({ namespace: n, name: meta(app).name });
      expect(got.status!.state).to.equal(AppState.READY_FOR_ACTION);
      expect(timestampToMillis(meta(got).deleted!)).to.equal(timestampToMillis(meta(done).deleted!));
    });

    it("removes an Application without finalizers in the same write (in deletion with no finalizers left)", async () => {
      const n = ns();
      const app = await setStatus(await createApp(n), { completeToken: "tok" });
      const done = await complete(app, "tok");
      expect(meta(done).deleted).to.have.all.keys("seconds", "nanos");
      await expectApiError(apps().getApplication({ namespace: n, name: meta(app).name }), Status.NOT_FOUND);
    });

    it("rejects a wrong or missing token, or any token when none is set, with UNAUTHENTICATED", async () => {
      const n = ns();
      const withToken = await setStatus(await createApp(n), { state: AppState.RUNNING, completeToken: "right" });
      for (const token of ["wrong", "", "right ", undefined]) {
        const err = await expectApiError(complete(withToken, token), Status.UNAUTHENTICATED);
        expect(err.message).to.equal("The complete hook token is invalid.");
      }
      const without = await createApp(n);
      await expectApiError(complete(without, ""), Status.UNAUTHENTICATED);
      await expectApiError(complete(without, "anything"), Status.UNAUTHENTICATED);
      const got = await apps().getApplication({ namespace: n, name: meta(withToken).name });
      expect(got.status!.state).to.equal(AppState.RUNNING);
      expect(meta(got).deleted).to.equal(undefined);
    });
  });

  describe("Application shutdown", () => {
    const shutdown = (app: Application, token: string | undefined) =>
      apps().shutdownApplication({
        namespace: meta(app).namespace,
        name: meta(app).name,
        shutdown: token === undefined ? undefined : { token },
        resourceVersion: "",
      });

    for (const state of [AppState.WAITING_FOR_CLEANING, AppState.DEGRADED]) {
      it(`with the right token moves ${AppState[state]} to READY_FOR_ACTION and clears the grace period`, async () => {
        const app = await setStatus(await createApp(ns()), {
          state,
          shutdownToken: "bye",
          shutdownGracePeriod: timestampFromDate(new Date(Date.now() + 30_000)),
        });
        const done = await shutdown(app, "bye");
        expect(done.status!.state).to.equal(AppState.READY_FOR_ACTION);
        expect(done.status!.shutdownGracePeriod).to.equal(undefined);
        expect(meta(done).deleted).to.equal(undefined);
      });
    }

    it("with the right token in another state changes nothing", async () => {
      const app = await setStatus(await createApp(ns()), { state: AppState.RUNNING, shutdownToken: "bye" });
      const same = await shutdown(app, "bye");
      expect(same.status!.state).to.equal(AppState.RUNNING);
      expect(meta(same).resourceVersion).to.equal(meta(app).resourceVersion);
    });

    it("rejects a wrong or missing token, or any token when none is set, with UNAUTHENTICATED", async () => {
      const n = ns();
      const app = await setStatus(await createApp(n), { state: AppState.WAITING_FOR_CLEANING, shutdownToken: "bye" });
      for (const token of ["hello", "", undefined]) {
        const err = await expectApiError(shutdown(app, token), Status.UNAUTHENTICATED);
        expect(err.message).to.equal("The shutdown hook token is invalid.");
      }
      const completeOnly = await setStatus(await createApp(n), { state: AppState.WAITING_FOR_CLEANING, completeToken: "bye" });
      await expectApiError(shutdown(completeOnly, "bye"), Status.UNAUTHENTICATED);
      const got = await apps().getApplication({ namespace: n, name: meta(app).name });
      expect(got.status!.state).to.equal(AppState.WAITING_FOR_CLEANING);
    });
  });

  describe("Application retry", () => {
    const retry = (app: Application, resourceVersion = "") =>
      apps().retryApplication({ namespace: meta(app).namespace, name: meta(app).name, resourceVersion });

    it("moves a DEGRADED Application to WAITING_FOR_CLEANING", async () => {
      const app = await setStatus(await createApp(ns()), { state: AppState.DEGRADED });
      const retried = await retry(app, meta(app).resourceVersion);
      expect(retried.status!.state).to.equal(AppState.WAITING_FOR_CLEANING);
      await expectApiError(retry(app, meta(app).resourceVersion), Status.ABORTED);
    });

    for (const state of [AppState.PENDING, AppState.RUNNING, AppState.FAILED, AppState.WAITING_FOR_CLEANING]) {
      it(`refuses ${AppState[state]} with FAILED_PRECONDITION`, async () => {
        const app = await setStatus(await createApp(ns()), { state });
        const err = await expectApiError(retry(app), Status.FAILED_PRECONDITION);
        expect(err.message).to.equal("Only a DEGRADED Application can be retried.");
      });
    }

    it("decides on the latest version, right after another write", async () => {
      for (let i = 0; i < 50; i++) {
        const app = await setStatus(await createApp(ns()), { state: AppState.DEGRADED });
        expect((await retry(app)).status!.state).to.equal(AppState.WAITING_FOR_CLEANING);
      }
    });

    it("answers NOT_FOUND for a missing Application", async () => {
      await expectApiError(retry(Application.fromPartial({ metadata: { name: "missing", namespace: ns() } })), Status.NOT_FOUND);
    });
  });

  describe("Cluster binding", () => {
    const clusters = () => api.clients.clusters;
    const cloudRef = (namespace: string): ResourceRef => ({ api: "infrastructure", kind: "Cloud", namespace, name: "os-1" });

    async function createCluster(namespace: string): Promise<Cluster> {
      const cluster = Cluster.fromJSON(krakeDocument("cluster.json"));
      meta(cluster).name = `cl-${uniqueId()}`;
      return clusters().createCluster({ namespace, cluster, blocking: "" });
    }

    it("sets scheduled and scheduled_to and adds the cloud to the owners", async () => {
      const n = ns();
      const cluster = await createCluster(n);
      const ref = cloudRef(n);
      const bound = await clusters().bindCluster({ namespace: n, name: meta(cluster).name, binding: { cloud: ref }, resourceVersion: "" });
      expect(bound.status!.scheduled).to.have.all.keys("seconds", "nanos");
      expect(bound.status!.scheduledTo).to.deep.equal(ref);
      expect(meta(bound).owners).to.deep.equal([ref]);
      const again = await clusters().bindCluster({ namespace: n, name: meta(cluster).name, binding: { cloud: ref }, resourceVersion: "" });
      expect(meta(again).owners).to.deep.equal([ref]);
    });

    it("rejects a missing cloud reference with INVALID_ARGUMENT", async () => {
      const n = ns();
      const cluster = await createCluster(n);
      const err = await expectApiError(
        clusters().bindCluster({ namespace: n, name: meta(cluster).name, binding: undefined, resourceVersion: "" }),
        Status.INVALID_ARGUMENT,
      );
      expect(err.details.map((d) => d.field)).to.deep.equal(["binding.cloud"]);
    });
  });
});
