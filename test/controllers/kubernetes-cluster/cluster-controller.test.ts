/**
 * The Kubernetes cluster controller against real member clusters (etcd + kube-apiserver each,
 * test/fixtures/kube-cluster.ts) and the real API (in-process krake-api over a real etcd). The
 * member clusters run no kubelet: the tests write Nodes and their conditions as a kubelet does.
 */
import { pino } from "pino";
import { expect } from "chai";
import { Reason_Code } from "../../../gen/krake/core/v1/types.js";
import { Cluster, ClusterStatus, ClusterStatus_State as State } from "../../../gen/krake/kubernetes/v1/cluster.js";
import { ApiConnection } from "../../../src/client/kind-client.js";
import type { KindClient } from "../../../src/client/kind-client.js";
import { Manager } from "../../../src/controller/manager.js";
import { setupClusterController } from "../../../src/controllers/kubernetes-cluster/setup.js";
import type { Observers } from "../../../src/controllers/kubernetes-cluster/observers.js";
import type { ClusterSettings } from "../../../src/controllers/kubernetes-cluster/settings.js";
import { clusterKind } from "../../../src/kinds/index.js";
import { useApi } from "../../fixtures/api.js";
import type { ApiHarness } from "../../fixtures/api.js";
import { startKubeCluster } from "../../fixtures/kube-cluster.js";
import type { KubeCluster } from "../../fixtures/kube-cluster.js";
import { cluster as clusterFixture } from "../../controller/support/objects.js";
import { Observer, poll } from "../../controller/support/observe.js";
import { createCrd, registerNode, setNodeConditions, startFreezingProxy, viaAddress } from "./support.js";

const ns = "kc";

/** Fast timings: a probe every 300 ms that must answer within 700 ms, reconnects within 0.5 s. */
export const testSettings: ClusterSettings = {
  probeIntervalMs: 300,
  timeoutMs: 700,
  reconnectInitialMs: 100,
  reconnectMaxMs: 500,
  watchTimeoutMs: 60_000,
  listPageSize: 500,
};

describe("kubernetes cluster controller (real member clusters, real API)", function () {
  this.timeout(120_000);
  let api: ApiHarness;
  let m1: KubeCluster;
  let m2: KubeCluster;
  let clusters: KindClient<Cluster>;
  let seen: Observer<Cluster>;
  let manager: Manager;
  let observers: Observers;
  const extra: Array<{ close(): Promise<void> }> = [];
  useApi((started) => (api = started.api));

  const startController = () => {
    manager = new Manager({ api: new ApiConnection(api.address), log: pino({ level: process.env.KRAKE_TEST_LOG ?? "silent" }) });
    ({ observers } = setupClusterController(manager, { settings: testSettings, workers: 2 }));
    manager.start();
  };

  before(async () => {
    [m1, m2] = await Promise.all([startKubeCluster({ name: "m1" }), startKubeCluster({ name: "m2", auth: "token" })]);
    await registerNode(m1.kubeConfig(), "node-a");
    await registerNode(m2.kubeConfig(), "node-z");
    clusters = api.connection.client(clusterKind);
    seen = await new Observer<Cluster>(clusters, ns).start();
    startController();
  });
  after(async () => {
    await manager?.stop(1_000);
    await seen?.stop();
    for (const e of extra) await e.close();
    await Promise.all([m1, m2].filter(Boolean).map((m) => m.remove()));
  });

  const register = (name: string, kubeconfig: Record<string, unknown>, customResources: string[] = []) => {
    const c = clusterFixture(ns, name);
    c.spec!.kubeconfig = kubeconfig;
    c.spec!.customResources = customResources;
    return clusters.create(ns, c);
  };
  const get = (name: string) => seen.get(`${ns}/${name}`);
  const stateOf = (name: string) => State[get(name)?.status?.state ?? State.PENDING];
  const until = (name: string, state: State, timeoutMs?: number) =>
    seen.until(() => get(name)?.status?.state === state, `${name} ${State[state]} (is ${stateOf(name)}: ${get(name)?.status?.reason?.message ?? ""})`, timeoutMs);
  const condition = (name: string, node: string, type: string) =>
    get(name)?.status?.nodes.find((n) => n.metadata?.name === node)?.status?.conditions.find((c) => c.type === type);
  /** The states the cluster went through, as the API reported them, from event `from` on. */
  const statesSince = (name: string, from: number) =>
    seen.seen
      .slice(from)
      .filter((s) => s.key === `${ns}/${name}`)
      .map((s) => State[s.obj.status?.state ?? 0])
      .filter((state, i, all) => i === 0 || all[i - 1] !== state);
  const edit = async (name: string, change: (c: Cluster) => void) => {
    const c = await clusters.get(ns, name);
    change(c);
    return clusters.update(c);
  };

  it("a registered cluster becomes ONLINE with its nodes and their conditions", async () => {
    await register("m1", m1.kubeconfig);
    await until("m1", State.ONLINE);
    const status = get("m1")!.status!;
    expect(status.nodes.map((n) => n.metadata?.name)).to.deep.equal(["node-a"]);
    expect(condition("m1", "node-a", "Ready")).to.deep.include({ status: "True", reason: "KubeletReady" });
    expect(status.nodes[0]!.status!.conditions.map((c) => c.type)).to.have.members(["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"]);
    expect(status.reason).to.equal(undefined);
    expect(status.kubeControllerTriggered).to.have.all.keys("seconds", "nanos");
    expect(status.observedGeneration).to.equal(get("m1")!.metadata!.generation);
  });

  it("a node under MemoryPressure makes it UNHEALTHY; relieved, ONLINE again", async () => {
    await setNodeConditions(m1.kubeConfig(), "node-a", { MemoryPressure: "True" });
    await until("m1", State.UNHEALTHY);
    expect(condition("m1", "node-a", "MemoryPressure")).to.deep.include({ status: "True", reason: "KubeletHasInsufficientMemory" });
    await setNodeConditions(m1.kubeConfig(), "node-a", { MemoryPressure: "False" });
    await until("m1", State.ONLINE);
  });

  it("a node whose Ready turns False makes it NOTREADY; a new node counts as soon as it registers", async () => {
    await setNodeConditions(m1.kubeConfig(), "node-a", { Ready: "False" });
    await until("m1", State.NOTREADY);
    await setNodeConditions(m1.kubeConfig(), "node-a", { Ready: "True" });
    await until("m1", State.ONLINE);
    const from = seen.seen.length;
    await registerNode(m1.kubeConfig(), "node-b");
    await seen.until(() => get("m1")?.status?.nodes.length === 2 && stateOf("m1") === "ONLINE", "node-b in status.nodes, ONLINE");
    expect(get("m1")!.status!.nodes.map((n) => n.metadata?.name)).to.deep.equal(["node-a", "node-b"]);
    // between the Node's creation and its first status it has no Ready condition: not ready yet
    expect(statesSince("m1", from).join(" → ")).to.be.oneOf(["ONLINE", "NOTREADY → ONLINE"]);
  });

  it("keeps FAILING_METRICS (the scheduler's) while the cluster is otherwise ONLINE, and its metrics reasons", async () => {
    const c = await clusters.get(ns, "m1");
    const reasons = { heat: { code: Reason_Code.UNKNOWN_METRIC, message: "no such metric" } };
    await clusters.updateStatus({ ...c, status: ClusterStatus.fromPartial({ ...c.status, state: State.FAILING_METRICS, metricsReasons: reasons }) });
    await until("m1", State.FAILING_METRICS);
    const from = seen.seen.length;
    // a node change that leaves the cluster healthy: the nodes are written, the state stays
    await setNodeConditions(m1.kubeConfig(), "node-b", { DiskPressure: "Unknown" });
    await seen.until(() => condition("m1", "node-b", "DiskPressure")?.status === "Unknown", "node-b's DiskPressure Unknown");
    expect(statesSince("m1", from).every((s) => s === "FAILING_METRICS")).to.equal(true);
    expect(get("m1")!.status!.metricsReasons).to.deep.equal(reasons);
    // a problem of the cluster's own wins
    await setNodeConditions(m1.kubeConfig(), "node-b", { Ready: "False" });
    await until("m1", State.NOTREADY);
    await setNodeConditions(m1.kubeConfig(), "node-b", { Ready: "True", DiskPressure: "False" });
    await until("m1", State.ONLINE);
  });

  it("a stopped kube-apiserver makes it OFFLINE, naming the error; restarted, CONNECTING then ONLINE", async () => {
    await until("m1", State.ONLINE);
    const from = seen.seen.length;
    await m1.stopApiServer();
    await until("m1", State.OFFLINE, 10_000);
    // (while kube-apiserver shuts down it may answer 503 first: the reason follows the latest failure)
    await seen.until(() => /ECONNREFUSED/.test(get("m1")?.status?.reason?.message ?? ""), "the reason names the refused connection");
    expect(get("m1")!.status!.reason!.code).to.equal(Reason_Code.CLUSTER_NOT_REACHABLE);
    expect(get("m1")!.status!.nodes.map((n) => n.metadata?.name), "the nodes last seen are kept").to.deep.equal(["node-a", "node-b"]);
    await m1.startApiServer();
    await until("m1", State.ONLINE, 20_000);
    expect(statesSince("m1", from)).to.deep.equal(["OFFLINE", "CONNECTING", "ONLINE"]);
    expect(get("m1")!.status!.reason).to.equal(undefined);
  });

  it("a cluster that stops answering (a watch that hangs) is OFFLINE within the probe's timeout, and comes back", async () => {
    const proxy = await startFreezingProxy(m1.server);
    extra.push(proxy);
    await register("frozen", viaAddress(m1.kubeconfig, proxy.address));
    await until("frozen", State.ONLINE);
    const frozeAt = Date.now();
    proxy.freeze();
    await until("frozen", State.OFFLINE, 10_000);
    const took = Date.now() - frozeAt;
    expect(took, "detected by the probe: interval + timeout, plus the write").to.be.below(testSettings.probeIntervalMs + testSettings.timeoutMs + 2_000);
    expect(get("frozen")!.status!.reason).to.deep.include({ code: Reason_Code.CLUSTER_NOT_REACHABLE });
    expect(get("frozen")!.status!.reason!.message).to.include(`no answer within ${testSettings.timeoutMs} ms`);
    proxy.thaw();
    await until("frozen", State.ONLINE, 20_000);
  });

  it("a custom resource the cluster does not serve: DEGRADED, reason INVALID_CUSTOM_RESOURCE; ONLINE once its CRD exists", async () => {
    await register("crd", m1.kubeconfig, ["widgets.example.com"]);
    await until("crd", State.DEGRADED);
    const reason = get("crd")!.status!.reason!;
    expect(reason.code).to.equal(Reason_Code.INVALID_CUSTOM_RESOURCE);
    expect(reason.message).to.include("widgets.example.com (not found)");
    await createCrd(m1.kubeConfig(), "widgets", "example.com");
    await until("crd", State.ONLINE);
    // naming another one in the spec is checked at once, without a new watch
    await edit("crd", (c) => (c.spec!.customResources = ["widgets.example.com", "gadgets.example.com"]));
    await until("crd", State.DEGRADED);
    expect(get("crd")!.status!.reason!.message).to.include("gadgets.example.com (not found)").and.not.include("widgets");
    await edit("crd", (c) => (c.spec!.customResources = ["widgets.example.com"]));
    await until("crd", State.ONLINE);
  });

  const users = (k: Record<string, unknown>) => k.users as Array<{ user: Record<string, unknown> }>;
  const refused: Array<[string, string, (k: Record<string, unknown>) => void, RegExp]> = [
    ["a CA file path", "refused-path", (k) => ((k.clusters as Array<{ cluster: Record<string, unknown> }>)[0]!.cluster["certificate-authority"] = "/etc/ssl/ca.pem"), /names a file \(certificate-authority\)/],
    ["an exec plugin", "refused-plugin", (k) => (users(k)[0]!.user = { exec: { command: "/bin/sh", apiVersion: "client.authentication.k8s.io/v1" } }), /uses 'exec'/],
    ["a client key that is not PEM", "refused-pem", (k) => (users(k)[0]!.user["client-key-data"] = Buffer.from("not a key").toString("base64")), /certificates or key do not load/],
  ];
  for (const [what, name, spoil, message] of refused) {
    it(`a kubeconfig with ${what} is refused: OFFLINE with reason INVALID_RESOURCE saying why; fixed, ONLINE`, async () => {
      const bad = structuredClone(m1.kubeconfig);
      spoil(bad);
      await register(name, bad);
      await until(name, State.OFFLINE);
      const reason = get(name)!.status!.reason!;
      expect(reason.code).to.equal(Reason_Code.INVALID_RESOURCE);
      expect(reason.message).to.match(/^kubeconfig refused: /).and.to.match(message);
      expect(observers.has(`${ns}/${name}`), "nothing observes it").to.equal(false);
      await edit(name, (c) => (c.spec!.kubeconfig = m1.kubeconfig));
      await until(name, State.CONNECTING);
      await until(name, State.ONLINE);
    });
  }

  it("credentials the cluster refuses: OFFLINE with reason KUBERNETES_ERROR (401)", async () => {
    const bad = structuredClone(m2.kubeconfig) as { users: Array<{ user: Record<string, unknown> }> };
    bad.users[0]!.user = { token: "not-the-token" };
    await register("unauthorized", bad as unknown as Record<string, unknown>);
    await until("unauthorized", State.OFFLINE);
    expect(get("unauthorized")!.status!.reason).to.deep.include({ code: Reason_Code.KUBERNETES_ERROR });
    expect(get("unauthorized")!.status!.reason!.message).to.include("HTTP 401: the cluster refuses the kubeconfig's credentials");
  });

  it("a new kubeconfig restarts the watch against the cluster it names", async () => {
    await register("moving", m1.kubeconfig);
    await until("moving", State.ONLINE);
    expect(get("moving")!.status!.nodes.map((n) => n.metadata?.name)).to.include("node-a");
    await edit("moving", (c) => (c.spec!.kubeconfig = m2.kubeconfig));
    await seen.until(() => get("moving")?.status?.nodes.map((n) => n.metadata?.name).join() === "node-z", "m2's nodes");
    expect(stateOf("moving")).to.equal("ONLINE");
  });

  it("stops observing a cluster in deletion, CREATING or without a kubeconfig, and writes nothing more", async () => {
    await register("going", m2.kubeconfig);
    await until("going", State.ONLINE);
    expect(observers.has(`${ns}/going`)).to.equal(true);
    const c = await clusters.get(ns, "going");
    await clusters.updateStatus({ ...c, status: ClusterStatus.fromPartial({ ...c.status, state: State.CREATING }) });
    await until("going", State.CREATING);
    await poll(() => !observers.has(`${ns}/going`), "observer stopped (CREATING)");
    const from = seen.seen.length;
    await setNodeConditions(m2.kubeConfig(), "node-z", { Ready: "False" });
    await new Promise((r) => setTimeout(r, 4 * testSettings.probeIntervalMs));
    expect(statesSince("going", from), "no write while CREATING").to.deep.equal([]);
    await setNodeConditions(m2.kubeConfig(), "node-z", { Ready: "True" });
    // the infrastructure controller hands it over again
    const again = await clusters.get(ns, "going");
    await clusters.updateStatus({ ...again, status: ClusterStatus.fromPartial({ ...again.status, state: State.CONNECTING }) });
    await until("going", State.ONLINE);
    await clusters.delete(ns, "going");
    await poll(() => !observers.has(`${ns}/going`), "observer stopped (deleted)");
  });

  it("after a restart it corrects what changed meanwhile and rewrites nothing that is right", async () => {
    await until("m1", State.ONLINE);
    await manager.stop(1_000);
    expect(observers.size, "every observer stopped with the controller").to.equal(0);
    await setNodeConditions(m1.kubeConfig(), "node-a", { MemoryPressure: "True" });
    const from = seen.seen.length;
    startController();
    await until("m1", State.UNHEALTHY);
    await new Promise((r) => setTimeout(r, 4 * testSettings.probeIntervalMs));
    // every cluster on m1 (m1, frozen, crd, refused-*) has a node under pressure now: one write each;
    // those on m2 (moving, unauthorized) are as they were: none
    const writes = seen.seen.slice(from).filter((s) => s.type === "update");
    const onM2 = [`${ns}/moving`, `${ns}/unauthorized`];
    expect(writes.filter((w) => onM2.includes(w.key)).map((w) => w.key), "no write for what is still right").to.deep.equal([]);
    expect(writes.map((w) => State[w.obj.status!.state])).to.satisfy((states: string[]) => states.every((s) => s === "UNHEALTHY"));
    expect(new Set(writes.map((w) => w.key)).size, "one write per cluster").to.equal(writes.length);
    expect(writes.map((w) => w.key)).to.include(`${ns}/m1`);
    await setNodeConditions(m1.kubeConfig(), "node-a", { MemoryPressure: "False" });
    await until("m1", State.ONLINE);
  });
});
