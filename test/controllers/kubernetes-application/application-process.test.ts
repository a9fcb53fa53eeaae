/**
 * krake-controller-kubernetes-application as a real child process: killed
 * (SIGKILL) in the middle of a migration — the new copy applied, not ready
 * yet, the old one still there — it finishes the move after a restart, from
 * what the Application's status says.
 */
import { expect } from "chai";
import { Application, ApplicationStatus_State as State } from "../../../gen/krake/kubernetes/v1/application.js";
import { Cluster } from "../../../gen/krake/kubernetes/v1/cluster.js";
import { ApiConnection } from "../../../src/client/kind-client.js";
import { applicationKind, clusterKind } from "../../../src/kinds/index.js";
import { startApi } from "../../fixtures/api.js";
import type { ApiHarness } from "../../fixtures/api.js";
import { startEtcd } from "../../fixtures/etcd.js";
import type { EtcdProcess } from "../../fixtures/etcd.js";
import { startKubeCluster } from "../../fixtures/kube-cluster.js";
import type { KubeCluster } from "../../fixtures/kube-cluster.js";
import { KubeletStandIn } from "../../fixtures/kubelet-stand-in.js";
import { spawnController } from "../../controller/support/controller-process.js";
import type { ControllerProcess } from "../../controller/support/controller-process.js";
import { Observer } from "../../controller/support/observe.js";
import { KubeView } from "./support.js";

const ns = "proc";
const bin = "bin/krake-controller-kubernetes-application.js";

describe("krake-controller-kubernetes-application as a process", function () {
  this.timeout(180_000);
  let etcd: EtcdProcess;
  let api: ApiHarness;
  let a: KubeCluster;
  let b: KubeCluster;
  let viewA: KubeView;
  let viewB: KubeView;
  let watcher: ApiConnection;
  let apps: Observer<Application>;
  const running: ControllerProcess[] = [];
  const start = (...flags: string[]): ControllerProcess => {
    const p = spawnController(bin, ["--api_endpoint", api.address, "--http.port", "0", "--lease.enabled", "false", "--log.level", "debug", ...flags]);
    running.push(p);
    return p;
  };

  before(async () => {
    etcd = await startEtcd();
    api = await startApi(etcd);
    [a, b] = await Promise.all([startKubeCluster({ name: "proc-a" }), startKubeCluster({ name: "proc-b" })]);
    viewA = new KubeView(a);
    viewB = new KubeView(b);
    for (const [name, member] of [["a", a], ["b", b]] as const) {
      await api.connection.client(clusterKind).create(
        ns,
        Cluster.fromPartial({ api: "kubernetes", kind: "Cluster", metadata: { name, namespace: ns }, spec: { kubeconfig: member.kubeconfig, constraints: { cloud: { labels: [], metrics: [] } } } }),
      );
    }
    watcher = new ApiConnection(api.address);
    apps = await new Observer<Application>(watcher.client(applicationKind), ns).start();
  });

  after(async () => {
    if (process.env.DUMP) for (const p of running) for (const l of p.logs) console.log(JSON.stringify(l).slice(0, 400));
    for (const p of running) await p.stop();
    await apps?.stop();
    watcher?.close();
    viewA?.stop();
    viewB?.stop();
    await Promise.all([a?.remove(), b?.remove()]);
    await api?.stop();
    await etcd?.remove();
  });

  it("killed mid-migration, it finishes the move after a restart: the new copy ready, then the old one deleted", async () => {
    const client = api.connection.client(applicationKind);
    const ref = (name: string) => ({ cluster: { api: "kubernetes", kind: "Cluster", namespace: ns, name } });
    const get = () => apps.get(`${ns}/move`);
    const deployment = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "move" },
      spec: { replicas: 1, selector: { matchLabels: { app: "move" } }, template: { metadata: { labels: { app: "move" } }, spec: { containers: [{ name: "c", image: "nginx" }] } } },
    };
    let controller = start();
    await client.create(
      ns,
      Application.fromPartial({
        api: "kubernetes",
        kind: "Application",
        metadata: { name: "move", namespace: ns },
        spec: { manifest: [deployment], constraints: { migration: true, cluster: { labels: [], customResources: [], metrics: [] } } },
      }),
    );
    await client.subresource("binding", ns, "move", ref("a"));
    await viewA.until("apps/v1", "Deployment", "default", "move", (o) => !!o, "applied on a");
    await new KubeletStandIn(a.kubeConfig()).deploymentReady("default", "move");
    await apps.until(() => get()?.status?.state === State.RUNNING && get()?.status?.runningOn?.name === "a", "RUNNING on a");

    await client.subresource("binding", ns, "move", ref("b"));
    await apps.until(() => get()?.status?.state === State.MIGRATING, "MIGRATING");
    await viewB.until("apps/v1", "Deployment", "default", "move", (o) => !!o, "the new copy applied on b");
    const exit = await controller.kill();
    expect(exit.signal).to.equal("SIGKILL");
    expect(await viewA.get("apps/v1", "Deployment", "default", "move"), "the old copy is still there").to.not.equal(undefined);
    expect(get()!.status!.runningOn?.name).to.equal("a");

    // While nobody watches, the new copy becomes ready.
    await new KubeletStandIn(b.kubeConfig()).deploymentReady("default", "move");
    controller = start();
    await viewA.until("apps/v1", "Deployment", "default", "move", (o) => !o, "the old copy deleted after the restart");
    await apps.until(() => get()?.status?.runningOn?.name === "b" && get()?.status?.state === State.RUNNING, "RUNNING on b");
    expect(await viewB.get("apps/v1", "Deployment", "default", "move")).to.not.equal(undefined);
    expect(controller.logs.some((l) => l.msg === "migrated")).to.equal(true);
    const metrics = await (await fetch(`http://127.0.0.1:${await controller.httpPort()}/metrics`)).text();
    expect(metrics).to.match(/^krake_application_migrations_total\{result="migrated"\} 1$/m);
    expect(metrics).to.match(/^krake_application_cluster_watches 1$/m);
    await controller.stop();
  });

  it("stops trying to move after migration.retry.max failed moves (its settings from flags), and stays where it runs", async () => {
    const client = api.connection.client(applicationKind);
    const get = () => apps.get(`${ns}/stuck`);
    const deployment = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "stuck" },
      spec: { replicas: 1, selector: { matchLabels: { app: "stuck" } }, template: { metadata: { labels: { app: "stuck" } }, spec: { containers: [{ name: "c", image: "nginx" }] } } },
    };
    const controller = start(
      "--application.migration_retry_max", "1",
      "--application.migration_ready_timeout_ms", "2000",
      "--application.migration_retry_timeout_ms", "1",
      "--application.observer_resync_ms", "500",
    );
    await client.create(
      ns,
      Application.fromPartial({
        api: "kubernetes",
        kind: "Application",
        metadata: { name: "stuck", namespace: ns },
        spec: { manifest: [deployment], constraints: { migration: true, cluster: { labels: [], customResources: [], metrics: [] } } },
      }),
    );
    const ref = (name: string) => ({ cluster: { api: "kubernetes", kind: "Cluster", namespace: ns, name } });
    await client.subresource("binding", ns, "stuck", ref("a"));
    await viewA.until("apps/v1", "Deployment", "default", "stuck", (o) => !!o, "applied on a");
    const kubeletA = new KubeletStandIn(a.kubeConfig());
    await kubeletA.deploymentReady("default", "stuck");
    await apps.until(() => get()?.status?.state === State.RUNNING, "RUNNING on a");
    // The new copy never becomes ready on b: one failed move, then no more (its backoff is over at once).
    await client.subresource("binding", ns, "stuck", ref("b"));
    await apps.until(() => get()?.status?.migrationRetries === 1, "the move rolled back");
    expect(get()!.status!.reason!.message).to.match(/attempt 1 of 1/);
    // Its backoff (migration_timeout, whole seconds) runs out; then it looks again and stays.
    // (observer_resync_ms 500: it looks every half second.)
    await controller.waitForLog(
      (l) => l.msg === "migration given up; staying" && l.app === `${ns}/stuck` && Number(l.time) > (get()?.status?.migrationTimeout ?? Infinity) * 1000,
    );
    await kubeletA.deploymentReady("default", "stuck", 0);
    await apps.until(() => get()?.status?.state === State.DEGRADED, "the copy on a still observed");
    expect(get()!.status!.runningOn?.name).to.equal("a");
    expect(get()!.status!.migrationRetries).to.equal(1);
    expect(await viewB.get("apps/v1", "Deployment", "default", "stuck"), "no second attempt on b").to.equal(undefined);
    expect(controller.logs.filter((l) => l.msg === "migrating" && l.app === `${ns}/stuck`)).to.have.length(1);
  });
});
