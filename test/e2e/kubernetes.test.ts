/**
 * End to end, every part real: krake-api, the garbage collector, krake-scheduler
 * and both Kubernetes controllers as child processes; two member clusters each with its own etcd,
 * kube-apiserver, kube-controller-manager, kube-scheduler and KWOK nodes;
 * krakectl for everything a user does. One Application's life: registered
 * clusters → scheduled by label → Deployment ready in the right cluster →
 * RUNNING → labels change → migration (the new copy ready before the old is
 * deleted), with the application controller killed while it migrates → one
 * member's kube-apiserver stops → OFFLINE → the app moves away → delete →
 * nothing left in either cluster → the app is gone.
 */
import { expect } from "chai";
import { CoreV1Api, Watch } from "@kubernetes/client-node";
import type { V1Deployment } from "@kubernetes/client-node";
import { Application, ApplicationStatus_State as AppState } from "../../gen/krake/kubernetes/v1/application.js";
import { Cluster, ClusterStatus_State as ClusterState } from "../../gen/krake/kubernetes/v1/cluster.js";
import { ApiConnection } from "../../src/client/kind-client.js";
import { applicationKind, clusterKind } from "../../src/kinds/index.js";
import { startApiProcess } from "../fixtures/api-process.js";
import type { ApiProcess } from "../fixtures/api-process.js";
import { startEtcd } from "../fixtures/etcd.js";
import type { EtcdProcess } from "../fixtures/etcd.js";
import { startKubeCluster } from "../fixtures/kube-cluster.js";
import type { KubeCluster } from "../fixtures/kube-cluster.js";
import { spawnController } from "../controller/support/controller-process.js";
import type { ControllerProcess } from "../controller/support/controller-process.js";
import { Observer } from "../controller/support/observe.js";
import { Workdir, runCli, show } from "../cli/harness.js";

const ns = "e2e";

const manifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  type: NodePort
  selector: {app: web}
  ports:
  - port: 80
`;

/** What one member cluster's watch reported about the Deployment `web`, in arrival order across clusters. */
interface DeploymentEvent {
  cluster: string;
  type: string;
  ready: number;
}

function recordDeployments(member: KubeCluster, log: DeploymentEvent[], onEvent: () => void): Promise<{ abort(): void }> {
  return new Watch(member.kubeConfig()).watch(
    "/apis/apps/v1/namespaces/default/deployments",
    { fieldSelector: "metadata.name=web" },
    (type: string, d: V1Deployment) => {
      log.push({ cluster: member.name, type, ready: d.status?.readyReplicas ?? 0 });
      onEvent();
    },
    () => undefined,
  );
}

describe("end to end: an Application deployed, moved and removed across two real member clusters", function () {
  this.timeout(600_000);
  let etcd: EtcdProcess;
  let api: ApiProcess;
  let de: KubeCluster;
  let fr: KubeCluster;
  let work: Workdir;
  let connection: ApiConnection;
  let apps: Observer<Application>;
  let clusters: Observer<Cluster>;
  let appController: ControllerProcess;
  const processes: ControllerProcess[] = [];
  const deployments: DeploymentEvent[] = [];
  const deploymentWaiters = new Set<() => void>();
  const watches: Array<{ abort(): void }> = [];

  const controller = (bin: string, extra: string[] = []) => {
    const p = spawnController(bin, ["--api_endpoint", api.address, "--http.port", "0", "--lease.enabled", "false", ...extra]);
    processes.push(p);
    return p;
  };
  const krakectl = async (...args: string[]) => {
    const r = await runCli(work, [...args, "-n", ns], { env: { KRAKECTL_API_URL: api.address }, timeoutMs: 60_000 });
    expect(r.code, show(r)).to.equal(0);
    return r.stdout;
  };
  const app = () => apps.get(`${ns}/web`);
  const cluster = (name: string) => clusters.get(`${ns}/${name}`);
  const untilDeployments = (cond: () => boolean, what: string, timeoutMs = 60_000) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!cond()) return;
        deploymentWaiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        deploymentWaiters.delete(check);
        reject(new Error(`timed out waiting for: ${what}; deployments seen: ${JSON.stringify(deployments)}`));
      }, timeoutMs);
      deploymentWaiters.add(check);
      check();
    });
  const exists = (member: string) => {
    const last = deployments.filter((e) => e.cluster === member).pop();
    return last !== undefined && last.type !== "DELETED";
  };
  const ready = (member: string) => {
    const last = deployments.filter((e) => e.cluster === member).pop();
    return last !== undefined && last.type !== "DELETED" && last.ready === 2;
  };
  const runningOn = (member: string) => app()?.status?.state === AppState.RUNNING && app()?.status?.runningOn?.name === member;

  before(async () => {
    etcd = await startEtcd();
    api = await startApiProcess({ etcd });
    [de, fr] = await Promise.all([startKubeCluster({ name: "de", workloads: true }), startKubeCluster({ name: "fr", workloads: true })]);
    for (const member of [de, fr]) watches.push(await recordDeployments(member, deployments, () => deploymentWaiters.forEach((w) => w())));
    work = await Workdir.create();
    connection = new ApiConnection(api.address);
    apps = await new Observer<Application>(connection.client(applicationKind), ns).start();
    clusters = await new Observer<Cluster>(connection.client(clusterKind), ns).start();
    controller("bin/krake-controller-gc.js");
    controller("bin/krake-scheduler.js", ["--scheduler.min_dwell_ms", "0"]);
    controller("bin/krake-controller-kubernetes-cluster.js", ["--cluster.probe_interval_ms", "1000", "--cluster.timeout_ms", "2000"]);
    appController = controller("bin/krake-controller-kubernetes-application.js");
  });

  after(async () => {
    if (process.env.DUMP) for (const p of processes) for (const l of p.logs) console.log(JSON.stringify(l).slice(0, 400));
    for (const w of watches) w.abort();
    await Promise.all(processes.map((p) => p.stop()));
    await apps?.stop();
    await clusters?.stop();
    connection?.close();
    await Promise.all([de?.remove(), fr?.remove()]);
    await api?.stop();
    await etcd?.remove();
    await work?.remove();
  });

  it("registers both clusters with krakectl; the cluster controller sees them ONLINE with their nodes", async () => {
    await krakectl("kube", "cluster", "register", "-k", de.kubeconfigPath, "--name", "de", "-l", "location=DE");
    await krakectl("kube", "cluster", "register", "-k", fr.kubeconfigPath, "--name", "fr", "-l", "location=FR");
    for (const member of [de, fr]) {
      await clusters.until(() => cluster(member.name)?.status?.state === ClusterState.ONLINE, `${member.name} ONLINE`, 60_000);
      expect(cluster(member.name)?.status?.nodes.map((n) => n.metadata?.name)).to.deep.equal(member.nodeNames);
    }
  });

  it("schedules an app with a label constraint to the matching cluster, where its Deployment becomes ready: RUNNING", async () => {
    await work.write("web.yaml", manifest);
    await krakectl("kube", "app", "create", "web", "-f", work.path("web.yaml"), "-L", "location is DE");
    await apps.until(() => runningOn("de"), "web RUNNING on de", 120_000);
    expect(ready("de")).to.equal(true);
    expect(exists("fr")).to.equal(false);
    expect(app()?.status?.containerHealth).to.include({ desiredPods: 2, runningPods: 2 });
    expect(app()?.status?.services["web"]).to.match(/^127\.0\.0\.1:\d+$/);
  });

  it("moves the app when the labels change: the new copy ready before the old one is deleted, though the controller is killed while it migrates", async () => {
    const migrating = apps.until(() => app()?.status?.state === AppState.MIGRATING, "web MIGRATING", 120_000);
    await krakectl("kube", "cluster", "update", "de", "-l", "location=FR", "--remove-existing-labels");
    await krakectl("kube", "cluster", "update", "fr", "-l", "location=DE", "--remove-existing-labels");
    await migrating;
    await appController.kill();
    appController = controller("bin/krake-controller-kubernetes-application.js");
    await apps.until(() => runningOn("fr"), "web RUNNING on fr", 180_000);
    await untilDeployments(() => !exists("de"), "web deleted in de");
    const firstReadyInFr = deployments.findIndex((e) => e.cluster === "fr" && e.type !== "DELETED" && e.ready === 2);
    const deletedInDe = deployments.findIndex((e) => e.cluster === "de" && e.type === "DELETED");
    expect(firstReadyInFr, JSON.stringify(deployments)).to.be.greaterThan(-1);
    expect(firstReadyInFr, JSON.stringify(deployments)).to.be.lessThan(deletedInDe);
  });

  it("takes the app away from a member whose kube-apiserver stops: OFFLINE, rescheduled, RUNNING elsewhere; the copy left there goes when it is back", async () => {
    await krakectl("kube", "cluster", "update", "de", "-l", "location=DE", "--remove-existing-labels");
    await fr.stopApiServer();
    await clusters.until(() => cluster("fr")?.status?.state === ClusterState.OFFLINE, "fr OFFLINE", 60_000);
    await apps.until(() => runningOn("de"), "web RUNNING on de again", 180_000);
    await untilDeployments(() => ready("de"), "web ready in de");
    await fr.startApiServer();
    // the old watch ended with the server; a new one begins with what fr holds now
    watches.push(await recordDeployments(fr, deployments, () => deploymentWaiters.forEach((w) => w())));
    await clusters.until(() => cluster("fr")?.status?.state === ClusterState.ONLINE, "fr ONLINE again", 60_000);
    // the copy that fr kept while it was away goes as soon as fr is back, and fr stops owning the app
    await untilDeployments(() => !exists("fr"), "the copy left on fr deleted");
    await apps.until(() => !(app()?.metadata?.owners ?? []).some((o) => o.name === "fr"), "fr no longer an owner of web");
  });

  it("deletes the app: its resources are gone from both clusters, then the app itself", async () => {
    await krakectl("kube", "app", "delete", "web");
    await apps.until(() => app() === undefined, "web gone from Krake", 120_000).catch((err: Error) => {
      throw new Error(`${err.message}; last seen: ${JSON.stringify({ metadata: app()?.metadata, status: { ...app()?.status, lastAppliedManifest: undefined, lastObservedManifest: undefined, mangledObserverSchema: undefined } })}`);
    });
    await untilDeployments(() => !exists("de") && !exists("fr"), "no Deployment web in either cluster");
    for (const member of [de, fr]) {
      const services = await member.kubeConfig().makeApiClient(CoreV1Api).listNamespacedService({ namespace: "default" });
      expect(services.items.map((s) => s.metadata?.name)).to.not.include("web");
    }
  });
});
