/**
 * The application controller (in this process, on the controller runtime)
 * against a real krake-api over real etcd and two real member clusters
 * (etcd + kube-apiserver each; no kubelet: test/fixtures/kubelet-stand-in.ts
 * writes what it would).
 */
import { expect } from "chai";
import { pino } from "pino";
import { Registry } from "prom-client";
import { Application, ApplicationStatus_State as State } from "../../../gen/krake/kubernetes/v1/application.js";
import { Cluster } from "../../../gen/krake/kubernetes/v1/cluster.js";
import { Reason_Code } from "../../../gen/krake/core/v1/types.js";
import type { ResourceRef } from "../../../gen/krake/core/v1/types.js";
import { ApiConnection } from "../../../src/client/kind-client.js";
import { Manager } from "../../../src/controller/manager.js";
import { defaultApplicationSettings, setupApplicationController } from "../../../src/controllers/kubernetes-application/setup.js";
import { resourcesFinalizer } from "../../../src/controllers/kubernetes-application/app-status.js";
import { setupGarbageCollector } from "../../../src/controllers/gc/setup.js";
import { applicationKind, clusterKind } from "../../../src/kinds/index.js";
import { startApi } from "../../fixtures/api.js";
import type { ApiHarness } from "../../fixtures/api.js";
import { freePort, startEtcd } from "../../fixtures/etcd.js";
import type { EtcdProcess } from "../../fixtures/etcd.js";
import { startKubeCluster } from "../../fixtures/kube-cluster.js";
import type { KubeCluster } from "../../fixtures/kube-cluster.js";
import { KubeletStandIn } from "../../fixtures/kubelet-stand-in.js";
import { Observer } from "../../controller/support/observe.js";
import { KubeView } from "./support.js";

const ns = "apps";
type Manifest = Record<string, unknown>;

const deployment = (name: string, replicas = 2): Manifest => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "web", image: "nginx:1.27" }] } },
  },
});
const service = (name: string, type = "NodePort"): Manifest => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name },
  spec: { type, selector: { app: name }, ports: [{ port: 80 }] },
});
const configMap = (name: string, data: Record<string, string>): Manifest => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data });

describe("krake-controller-kubernetes-application against real member clusters", function () {
  this.timeout(180_000);
  let etcd: EtcdProcess;
  let api: ApiHarness;
  let a: KubeCluster;
  let b: KubeCluster;
  let viewA: KubeView;
  let viewB: KubeView;
  let kubeletA: KubeletStandIn;
  let kubeletB: KubeletStandIn;
  let manager: Manager;
  let watcher: ApiConnection;
  let apps: Observer<Application>;
  let metrics: Registry;
  const appliedCount = async () => (await metrics.getSingleMetric("krake_application_applies_total")!.get()).values.find((v) => v.labels.result === "applied")?.value ?? 0;
  const appClient = () => api.connection.client(applicationKind);

  const ref = (name: string): ResourceRef => ({ api: "kubernetes", kind: "Cluster", namespace: ns, name });
  const app = (key: string) => apps.get(`${ns}/${key}`);
  const until = (name: string, cond: (a: Application | undefined) => boolean, what: string, timeoutMs = 30_000) =>
    apps.until(() => cond(app(name)), `${name}: ${what}`, timeoutMs);

  async function createApp(name: string, manifest: Manifest[], cluster: string | undefined, spec: Partial<NonNullable<Application["spec"]>> = {}): Promise<void> {
    const obj = Application.fromPartial({
      api: "kubernetes",
      kind: "Application",
      metadata: { name, namespace: ns },
      spec: { manifest, constraints: { migration: true, cluster: { labels: [], customResources: [], metrics: [] } }, ...spec },
    });
    await appClient().create(ns, obj);
    if (cluster) await bind(name, cluster);
  }
  const bind = (name: string, cluster: string) => appClient().subresource("binding", ns, name, { cluster: ref(cluster) });

  async function updateManifest(name: string, manifest: Manifest[], observerSchema: Manifest[] = []): Promise<void> {
    const current = await appClient().get(ns, name);
    current.spec!.manifest = manifest;
    current.spec!.observerSchema = observerSchema;
    await appClient().update(current);
  }

  async function registerCluster(name: string, kubeconfig: Record<string, unknown>): Promise<void> {
    const c = Cluster.fromPartial({ api: "kubernetes", kind: "Cluster", metadata: { name, namespace: ns }, spec: { kubeconfig, constraints: { cloud: { labels: [], metrics: [] } } } });
    await api.connection.client(clusterKind).create(ns, c);
  }

  before(async () => {
    etcd = await startEtcd();
    api = await startApi(etcd);
    [a, b] = await Promise.all([startKubeCluster({ name: "member-a" }), startKubeCluster({ name: "member-b", auth: "token" })]);
    viewA = new KubeView(a);
    viewB = new KubeView(b);
    kubeletA = new KubeletStandIn(a.kubeConfig());
    kubeletB = new KubeletStandIn(b.kubeConfig());
    await registerCluster("a", a.kubeconfig);
    await registerCluster("b", b.kubeconfig);
    // A cluster nobody answers for: its kubeconfig names a closed port.
    const dead = structuredClone(a.kubeconfig) as { clusters: { cluster: { server: string } }[] };
    dead.clusters[0].cluster.server = `https://127.0.0.1:${await freePort()}`;
    await registerCluster("dead", dead as unknown as Record<string, unknown>);
    // A kubeconfig that would run a program on the controller's host: the controller refuses to use it.
    const exec = structuredClone(a.kubeconfig) as { users: { user: Record<string, unknown> }[] };
    exec.users[0].user = { exec: { apiVersion: "client.authentication.k8s.io/v1", command: "/bin/sh", args: ["-c", "echo"] } };
    await registerCluster("exec", exec as unknown as Record<string, unknown>);
    const log = pino({ level: process.env.KRAKE_TEST_LOG ?? "silent" });
    manager = new Manager({ api: new ApiConnection(api.address), log });
    metrics = new Registry();
    setupApplicationController(manager, {
      settings: { ...defaultApplicationSettings, deletionTimeoutMs: 3_000, requestTimeoutMs: 3_000, observerResyncMs: 10_000, migrationReadyTimeoutMs: 6_000 },
      workers: 4,
      log,
      registry: metrics,
    });
    // Delete puts the collector's cascade_deletion above the controller's finalizer: it goes first.
    setupGarbageCollector(manager, { workers: 1 });
    manager.start();
    watcher = new ApiConnection(api.address);
    apps = await new Observer<Application>(watcher.client(applicationKind), ns).start();
  });

  after(async () => {
    await apps?.stop();
    watcher?.close();
    await manager?.stop(1_000);
    viewA?.stop();
    viewB?.stop();
    await Promise.all([a?.remove(), b?.remove()]);
    await api?.stop();
    await etcd?.remove();
  });

  it("applies the manifest with server-side apply (manager krake), adds its finalizer, and is RUNNING once the Deployment is ready", async () => {
    // A custom observer schema for the Service: its node port is observed, though the manifest leaves it out.
    const serviceSchema = {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web" },
      spec: { type: null, ports: [{ port: null, nodePort: null }, { observer_schema_list_min_length: 1, observer_schema_list_max_length: 1 }] },
    };
    await createApp("web", [deployment("web"), service("web"), configMap("web", { greeting: "hello" })], "a", { observerSchema: [serviceSchema] });
    const d = await viewA.until("apps/v1", "Deployment", "default", "web", (o) => !!o, "the Deployment appears");
    const managers = (d!.metadata?.managedFields ?? []).map((f) => `${f.manager}/${f.operation}`);
    expect(managers).to.include("krake/Apply");
    await viewA.until("v1", "ConfigMap", "default", "web", (o) => !!o, "the ConfigMap appears");
    await until("web", (x) => x?.status?.state === State.DEGRADED, "DEGRADED while no replica is ready");
    expect(app("web")!.metadata!.finalizers).to.include(resourcesFinalizer);
    await kubeletA.deploymentReady("default", "web");
    await until("web", (x) => x?.status?.state === State.RUNNING, "RUNNING");
    const status = app("web")!.status!;
    expect(status.runningOn?.name).to.equal("a");
    expect(status.containerHealth).to.deep.include({ desiredPods: 2, runningPods: 2 });
    const svc = await viewA.get("v1", "Service", "default", "web");
    const nodePort = (svc!.spec as { ports: { nodePort: number }[] }).ports[0].nodePort;
    expect(status.services).to.deep.equal({ web: `127.0.0.1:${nodePort}` });
    // Krake's last_applied_manifest: observed fields the manifest leaves out come from the cluster.
    const applied = status.lastAppliedManifest.find((r) => r.kind === "Service") as { spec: { ports: { nodePort?: number }[] } };
    expect(applied.spec.ports[0].nodePort).to.equal(nodePort);
    expect(status.lastObservedManifest).to.have.length(3);
    const observedService = status.lastObservedManifest.find((r) => r.kind === "Service") as { spec: Record<string, unknown> };
    expect(observedService.spec).to.deep.equal({ type: "NodePort", ports: [{ port: 80, nodePort }, { observer_schema_list_current_length: 1 }] });
    expect(status.mangledObserverSchema).to.have.length(3);
  });

  it("applies a changed manifest and deletes the resources it no longer has", async () => {
    await updateManifest("web", [deployment("web"), configMap("web", { greeting: "hi" })]);
    await viewA.until("v1", "ConfigMap", "default", "web", (o) => (o?.data as Record<string, string> | undefined)?.greeting === "hi", "the ConfigMap changed");
    await viewA.until("v1", "Service", "default", "web", (o) => !o, "the Service deleted");
    await until("web", (x) => x?.status?.state === State.RUNNING && x.status.observedGeneration === x.metadata?.generation, "RUNNING at the new generation");
    expect(app("web")!.status!.services).to.deep.equal({});
  });

  it("observes the cluster: fewer ready replicas → DEGRADED, all ready again → RUNNING", async () => {
    await kubeletA.deploymentReady("default", "web", 1);
    await until("web", (x) => x?.status?.state === State.DEGRADED, "DEGRADED");
    expect(app("web")!.status!.containerHealth).to.deep.include({ desiredPods: 2, runningPods: 1 });
    await kubeletA.deploymentReady("default", "web");
    await until("web", (x) => x?.status?.state === State.RUNNING, "RUNNING again");
  });

  it("takes the cluster's normal form of a value (cpu 0.5 stored as 500m) as no change: observing does not apply again", async () => {
    const d = deployment("quantity", 1);
    ((d.spec as Manifest).template as { spec: { containers: Manifest[] } }).spec.containers[0].resources = { limits: { cpu: 0.5 } };
    await createApp("quantity", [d], "a");
    await viewA.until("apps/v1", "Deployment", "default", "quantity", (o) => !!o, "applied");
    await kubeletA.deploymentReady("default", "quantity");
    await until("quantity", (x) => x?.status?.state === State.RUNNING, "RUNNING");
    const applies = await appliedCount();
    // Two changes of the Deployment on the cluster, each observed; neither is a reason to apply.
    await kubeletA.deploymentReady("default", "quantity", 0);
    await until("quantity", (x) => x?.status?.state === State.DEGRADED, "DEGRADED observed");
    await kubeletA.deploymentReady("default", "quantity");
    await until("quantity", (x) => x?.status?.state === State.RUNNING, "RUNNING observed");
    expect(await appliedCount()).to.equal(applies);
  });

  it("applies again when someone deletes a resource on the cluster", async () => {
    await viewA.resources.delete({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "web", namespace: "default" } });
    await viewA.until("v1", "ConfigMap", "default", "web", (o) => (o?.data as Record<string, string> | undefined)?.greeting === "hi", "the ConfigMap is back");
  });

  it("a finished Job makes the Application COMPLETED", async () => {
    const job: Manifest = {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: "once" },
      spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox" }] } } },
    };
    await createApp("job", [job], "a");
    await viewA.until("batch/v1", "Job", "default", "once", (o) => !!o, "the Job appears");
    await kubeletA.jobSucceeded("default", "once");
    await until("job", (x) => x?.status?.state === State.COMPLETED, "COMPLETED");
    expect(app("job")!.status!.containerHealth).to.deep.include({ desiredPods: 1, completedPods: 1 });
  });

  it("a Pod in CrashLoopBackOff is DEGRADED; a terminated Pod with restartPolicy Never is COMPLETED", async () => {
    const pod = (name: string, restartPolicy: string): Manifest => ({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name },
      spec: { restartPolicy, containers: [{ name: "c", image: "busybox" }] },
    });
    await createApp("crash", [pod("crash", "Always")], "a");
    await createApp("batch", [pod("batch", "Never")], "a");
    await viewA.until("v1", "Pod", "default", "crash", (o) => !!o, "the Pod appears");
    await viewA.until("v1", "Pod", "default", "batch", (o) => !!o, "the Pod appears");
    await kubeletA.podContainer("default", "crash", { waiting: { reason: "CrashLoopBackOff" } });
    await kubeletA.podContainer("default", "batch", { terminated: { exitCode: 0 } });
    await until("crash", (x) => x?.status?.state === State.DEGRADED, "DEGRADED");
    await until("batch", (x) => x?.status?.state === State.COMPLETED, "COMPLETED");
  });

  it("reports a manifest the cluster refuses as KUBERNETES_ERROR with the cluster's message, then FAILED past backoff_limit", async () => {
    const bad = deployment("bad");
    (bad.spec as { replicas: number }).replicas = -1;
    await createApp("bad", [bad], "a", { backoff: 1, backoffDelay: 1, backoffLimit: 1 });
    await until("bad", (x) => x?.status?.state === State.DEGRADED && x.status.reason?.code === Reason_Code.KUBERNETES_ERROR, "DEGRADED, KUBERNETES_ERROR");
    expect(app("bad")!.status!.reason!.message).to.match(/spec\.replicas/);
    await until("bad", (x) => x?.status?.state === State.FAILED, "FAILED after the retry");
    expect(app("bad")!.status!.retries).to.equal(2);
  });

  it("reports a server-side apply conflict with another field manager, without forcing it", async () => {
    await createApp("shared", [configMap("shared", { owner: "krake" })], "a");
    await until("shared", (x) => x?.status?.state === State.RUNNING, "RUNNING");
    // Someone else takes the field over (kubectl apply --server-side --force-conflicts).
    await viewA.resources.kubeConfig.makeApiClient((await import("@kubernetes/client-node")).KubernetesObjectApi).patch(
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "shared", namespace: "default" }, data: { owner: "someone" } },
      undefined, undefined, "someone", true, "application/apply-patch+yaml",
    );
    await until("shared", (x) => x?.status?.reason?.code === Reason_Code.KUBERNETES_ERROR, "KUBERNETES_ERROR");
    expect(app("shared")!.status!.reason!.message).to.match(/conflict/i).and.to.match(/someone/);
    const cm = await viewA.get("v1", "ConfigMap", "default", "shared");
    expect((cm!.data as Record<string, string>).owner).to.equal("someone");
  });

  it("an unreachable cluster is CLUSTER_NOT_REACHABLE", async () => {
    await createApp("lost", [configMap("lost", { a: "b" })], "dead");
    await until("lost", (x) => x?.status?.reason?.code === Reason_Code.CLUSTER_NOT_REACHABLE && x.status.state === State.DEGRADED, "CLUSTER_NOT_REACHABLE");
  });

  it("a kubeconfig that would run a program is not used: CLUSTER_NOT_REACHABLE saying why", async () => {
    await createApp("exec", [configMap("exec", { a: "b" })], "exec");
    await until("exec", (x) => x?.status?.reason?.code === Reason_Code.CLUSTER_NOT_REACHABLE, "CLUSTER_NOT_REACHABLE");
    expect(app("exec")!.status!.reason!.message).to.match(/uses 'exec', which would run a program/);
  });

  it("a forced delete removes the Application at once, finalizer or not (the API's force)", async () => {
    await createApp("forced", [configMap("forced", { a: "b" })], "dead");
    await until("forced", (x) => !!x?.metadata?.finalizers.includes(resourcesFinalizer), "the finalizer added");
    await appClient().delete(ns, "forced", { force: true });
    await until("forced", (x) => !x, "gone");
  });

  it("deleting removes the resources from the cluster, then the finalizer", async () => {
    await appClient().delete(ns, "web");
    await viewA.until("apps/v1", "Deployment", "default", "web", (o) => !o, "the Deployment deleted");
    await viewA.until("v1", "ConfigMap", "default", "web", (o) => !o, "the ConfigMap deleted");
    await until("web", (x) => !x, "the Application gone");
  });

  it("a cluster that stays unreachable does not block deletion beyond deletion_timeout", async () => {
    await appClient().delete(ns, "lost");
    await until("lost", (x) => x?.status?.state === State.DELETING && x.status.reason?.code === Reason_Code.CLUSTER_NOT_REACHABLE, "DELETING, CLUSTER_NOT_REACHABLE");
    await until("lost", (x) => !x, "the Application gone after deletion_timeout");
    const last = apps.seen.filter((s) => s.key === `${ns}/lost`).at(-1)!;
    expect(last.type).to.equal("delete");
    expect(last.obj.status!.reason!.message).to.match(/gave up deleting/);
  });

  it("migrates: the new copy is applied and ready before the old one is deleted", async () => {
    await createApp("move", [deployment("move", 1), configMap("move", { v: "1" })], "a");
    await viewA.until("apps/v1", "Deployment", "default", "move", (o) => !!o, "on a");
    await kubeletA.deploymentReady("default", "move");
    await until("move", (x) => x?.status?.state === State.RUNNING, "RUNNING on a");
    await bind("move", "b");
    await until("move", (x) => x?.status?.state === State.MIGRATING, "MIGRATING");
    await viewB.until("apps/v1", "Deployment", "default", "move", (o) => !!o, "the new copy on b");
    // Not ready on b yet: the old copy stays.
    expect(await viewA.get("apps/v1", "Deployment", "default", "move")).to.not.equal(undefined);
    expect(app("move")!.status!.runningOn?.name).to.equal("a");
    await kubeletB.deploymentReady("default", "move");
    await viewA.until("apps/v1", "Deployment", "default", "move", (o) => !o, "the old copy deleted");
    await viewA.until("v1", "ConfigMap", "default", "move", (o) => !o, "the old ConfigMap deleted");
    await until("move", (x) => x?.status?.runningOn?.name === "b" && x.status.state === State.RUNNING, "RUNNING on b");
  });

  it("observes again after the member's kube-apiserver restarts (the cluster watches list again)", async () => {
    await until("move", (x) => x?.status?.runningOn?.name === "b" && x.status.state === State.RUNNING, "RUNNING on b");
    await b.stopApiServer();
    await b.startApiServer();
    await kubeletB.deploymentReady("default", "move", 0);
    await until("move", (x) => x?.status?.state === State.DEGRADED, "DEGRADED, seen through the new watch");
    await kubeletB.deploymentReady("default", "move");
    await until("move", (x) => x?.status?.state === State.RUNNING, "RUNNING again");
  });

  it("moves off a cluster whose kube-apiserver is down: the new copy ready; the old one deleted once the cluster is back, which then stops owning the app", async () => {
    await b.stopApiServer();
    try {
      await bind("move", "a");
      await viewA.until("apps/v1", "Deployment", "default", "move", (o) => !!o, "the new copy on a");
      await kubeletA.deploymentReady("default", "move");
      await until("move", (x) => x?.status?.runningOn?.name === "a" && x.status.state === State.RUNNING, "RUNNING on a");
    } finally {
      await b.startApiServer();
    }
    await viewB.until("apps/v1", "Deployment", "default", "move", (o) => !o, "the copy left on b deleted once b is back");
    await until("move", (x) => !(x?.metadata?.owners ?? []).some((o) => o.name === "b"), "b no longer an owner of move");
  });

  it("keeps the scheduler's DEGRADED (no cluster fits any more) while it observes the copy that still runs", async () => {
    const current = await appClient().get(ns, "move");
    current.status!.state = State.DEGRADED;
    current.status!.reason = { code: Reason_Code.NO_SUITABLE_RESOURCE, message: "no cluster fits" };
    await appClient().updateStatus(current);
    await kubeletA.deploymentReady("default", "move", 0);
    await until("move", (x) => x?.status?.containerHealth?.runningPods === 0, "the lost replica observed");
    await kubeletA.deploymentReady("default", "move");
    await until("move", (x) => x?.status?.containerHealth?.runningPods === 1, "the replica back, observed");
    // All ready would be RUNNING; the scheduler's word stands.
    expect(app("move")!.status!.state).to.equal(State.DEGRADED);
    expect(app("move")!.status!.reason?.code).to.equal(Reason_Code.NO_SUITABLE_RESOURCE);
  });

  it("rolls a migration back when the new copy is not ready in time: the old copy stays, migration_retries and migration_timeout are set", async () => {
    await createApp("stay", [deployment("stay", 1)], "a");
    await viewA.until("apps/v1", "Deployment", "default", "stay", (o) => !!o, "on a");
    await kubeletA.deploymentReady("default", "stay");
    await until("stay", (x) => x?.status?.state === State.RUNNING, "RUNNING on a");
    await bind("stay", "b");
    await viewB.until("apps/v1", "Deployment", "default", "stay", (o) => !!o, "the new copy on b");
    // Nobody makes it ready: after migration_ready_timeout_ms (6 s here) the move is undone.
    await viewB.until("apps/v1", "Deployment", "default", "stay", (o) => !o, "the new copy deleted", 30_000);
    await until("stay", (x) => x?.status?.migrationRetries === 1 && x.status.state === State.RUNNING, "rolled back, RUNNING");
    const status = app("stay")!.status!;
    expect(status.runningOn?.name).to.equal("a");
    expect(status.reason).to.deep.include({ code: Reason_Code.RECONCILE_FAILED });
    expect(status.reason!.message).to.match(/migration from a to b failed \(attempt 1 of 10\): the new copy was not ready within 6 s/);
    expect(status.migrationTimeout * 1000).to.be.greaterThan(Date.now() + 30_000);
    expect(await viewA.get("apps/v1", "Deployment", "default", "stay")).to.not.equal(undefined);
  });

  it("applies Namespaces and CRDs before what needs them, custom resources included, and deletes in reverse", async () => {
    const crd: Manifest = {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: "widgets.example.com" },
      spec: {
        group: "example.com",
        scope: "Namespaced",
        names: { plural: "widgets", singular: "widget", kind: "Widget" },
        versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object", properties: { spec: { type: "object", properties: { size: { type: "integer" } } } } } } }],
      },
    };
    const widget: Manifest = { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w1", namespace: "team" }, spec: { size: 3 } };
    const namespace: Manifest = { apiVersion: "v1", kind: "Namespace", metadata: { name: "team" } };
    const conf: Manifest = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "conf", namespace: "team" }, data: { a: "1" } };
    // Written in the worst order on purpose.
    await createApp("crd", [widget, conf, crd, namespace], "a");
    await until("crd", (x) => x?.status?.state === State.RUNNING, "RUNNING");
    const w = await viewA.get("example.com/v1", "Widget", "team", "w1");
    expect((w!.spec as { size: number }).size).to.equal(3);
    expect(app("crd")!.status!.lastObservedManifest).to.have.length(4);
    await appClient().delete(ns, "crd");
    await until("crd", (x) => !x, "the Application gone");
    expect(await viewA.get("example.com/v1", "Widget", "team", "w1")).to.equal(undefined);
    expect(await viewA.get("v1", "ConfigMap", "team", "conf")).to.equal(undefined);
    // No namespace controller runs in the member cluster: the Namespace stays Terminating.
    const team = await viewA.get("v1", "Namespace", "", "team");
    expect(team === undefined || !!team.metadata?.deletionTimestamp).to.equal(true);
  });

  it("an Application made of a CSAR archive is FAILED with a reason saying it is not supported", async () => {
    await createApp("csar", [], undefined, { csar: "http://example.com/app.csar" });
    await until("csar", (x) => x?.status?.state === State.FAILED, "FAILED");
    expect(app("csar")!.status!.reason).to.deep.include({ code: Reason_Code.UNSUPPORTED_RESOURCE });
    expect(app("csar")!.status!.reason!.message).to.match(/CSAR archives are not supported/);
  });
});
