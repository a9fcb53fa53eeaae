/**
 * krake-controller-kubernetes-cluster as real processes (bin/), two replicas behind a lease,
 * authenticated as system:kubernetes-cluster under RBAC with the role of config/base-roles.yaml,
 * against the real API and a real member cluster. The member cluster ends every Node watch after
 * one second (--cluster.watch_timeout_ms 1000), so the replicas renew their watch all along.
 */
import { readFileSync } from "node:fs";
import { expect } from "chai";
import { parseAllDocuments } from "yaml";
import { Role } from "../../../gen/krake/core/v1/role.js";
import { RoleBinding } from "../../../gen/krake/core/v1/role_binding.js";
import { ClusterStatus_State as State } from "../../../gen/krake/kubernetes/v1/cluster.js";
import type { Cluster } from "../../../gen/krake/kubernetes/v1/cluster.js";
import type { KrakeObject } from "../../../src/apiserver/objects/kind.js";
import type { RequestContext } from "../../../src/apiserver/registry/request-context.js";
import { clusterKind } from "../../../src/kinds/index.js";
import { startApi } from "../../fixtures/api.js";
import type { ApiHarness } from "../../fixtures/api.js";
import { startEtcd } from "../../fixtures/etcd.js";
import type { EtcdProcess } from "../../fixtures/etcd.js";
import { startKubeCluster } from "../../fixtures/kube-cluster.js";
import type { KubeCluster } from "../../fixtures/kube-cluster.js";
import { spawnController } from "../../controller/support/controller-process.js";
import type { ControllerProcess, LogLine } from "../../controller/support/controller-process.js";
import { cluster as clusterFixture } from "../../controller/support/objects.js";
import { Observer } from "../../controller/support/observe.js";
import { registerNode, setNodeConditions } from "./support.js";

const bin = "bin/krake-controller-kubernetes-cluster.js";
const acquired = (l: LogLine) => l.msg === "leader election: acquired the lease; leading";
const observing = (l: LogLine) => l.msg === "watching the cluster's nodes";

describe("krake-controller-kubernetes-cluster as processes (two replicas, RBAC, real member cluster)", function () {
  this.timeout(120_000);
  let etcd: EtcdProcess;
  let api: ApiHarness;
  let member: KubeCluster;
  let seen: Observer<Cluster>;
  const procs: ControllerProcess[] = [];

  const spawn = () => {
    const p = spawnController(bin, [
      "--api_endpoint", api.address, "--http.port", "0", "--log.level", "debug",
      "--lease.duration_ms", "3000", "--lease.renew_deadline_ms", "2000", "--lease.retry_period_ms", "500",
      "--cluster.probe_interval_ms", "500", "--cluster.timeout_ms", "1000",
      "--cluster.reconnect_initial_ms", "100", "--cluster.reconnect_max_ms", "500", "--cluster.watch_timeout_ms", "1000",
    ]);
    procs.push(p);
    return p;
  };
  const state = () => State[seen.get("rbac/p1")?.status?.state ?? State.PENDING];
  const until = (s: State, timeoutMs = 20_000) => seen.until(() => seen.get("rbac/p1")?.status?.state === s, `p1 ${State[s]} (is ${state()})`, timeoutMs);

  before(async () => {
    etcd = await startEtcd();
    // Every caller is system:kubernetes-cluster; the test's own objects are written through the registries.
    api = await startApi(etcd, {
      authorization: "rbac",
      authentication: { allowAnonymous: false, allowStaticOnNetwork: false, providers: [{ type: "static", name: "system:kubernetes-cluster" }] },
    });
    const admin: RequestContext = { user: "system:admin", requestId: "test" };
    for (const doc of parseAllDocuments(readFileSync("config/base-roles.yaml", "utf8"))) {
      const value = doc.toJSON() as { kind?: string };
      if (value?.kind === "Role") await api.server.registry("core", "roles").create(admin, "", Role.fromJSON(value) as unknown as KrakeObject);
      if (value?.kind === "RoleBinding") await api.server.registry("core", "rolebindings").create(admin, "", RoleBinding.fromJSON(value) as unknown as KrakeObject);
    }
    member = await startKubeCluster({ name: "proc" });
    await registerNode(member.kubeConfig(), "node-1");
    const c = clusterFixture("rbac", "p1");
    c.spec!.kubeconfig = member.kubeconfig;
    await api.server.registry("kubernetes", "clusters").create(admin, "rbac", c as unknown as KrakeObject);
    seen = await new Observer<Cluster>(api.connection.client(clusterKind), "rbac").start();
  });
  after(async () => {
    for (const p of procs) await p.kill();
    await seen?.stop();
    await member?.remove();
    await api?.stop();
    await etcd?.remove();
  });

  it("the leader observes the cluster (the standby holds no watch); killed, the other takes over and keeps the status right", async () => {
    const [a, b] = [spawn(), spawn()];
    const first = await Promise.race([a.waitForLog(acquired).then(() => a), b.waitForLog(acquired).then(() => b)]);
    const [leader, standby] = first === a ? [a, b] : [b, a];
    await until(State.ONLINE);
    expect(seen.get("rbac/p1")!.status!.nodes.map((n) => n.metadata?.name)).to.deep.equal(["node-1"]);

    // watches end every second and are renewed: the status is not rewritten meanwhile
    const from = seen.seen.length;
    await new Promise((r) => setTimeout(r, 3_500));
    expect(seen.seen.slice(from).map((s) => s.key), "no write while nothing changes").to.deep.equal([]);
    expect(leader.logs.filter((l) => l.msg === "member cluster unreachable; reconnecting with backoff")).to.deep.equal([]);

    const metrics = async (p: ControllerProcess) => (await fetch(`http://127.0.0.1:${await p.httpPort()}/metrics`)).text();
    expect(await metrics(leader)).to.include('krake_cluster_observers{phase="watching"} 1');
    expect(await metrics(standby)).to.not.include('krake_cluster_observers{phase="watching"} 1');

    await setNodeConditions(member.kubeConfig(), "node-1", { MemoryPressure: "True" });
    await until(State.UNHEALTHY);
    expect(standby.logs.some(observing), "the standby observes nothing").to.equal(false);

    await leader.kill();
    await standby.waitForLog(acquired, 30_000);
    await standby.waitForLog(observing, 10_000);
    await setNodeConditions(member.kubeConfig(), "node-1", { MemoryPressure: "False" });
    await until(State.ONLINE);

    await member.stopApiServer();
    await until(State.OFFLINE);
    await member.startApiServer();
    await until(State.ONLINE);

    const exit = await standby.stop();
    expect(exit.code).to.equal(0);
    expect(standby.logs.some((l) => l.msg === "leader election: released the lease")).to.equal(true);
    expect(standby.logs.filter((l) => (l.level ?? 0) >= 50).map((l) => l.msg), "no errors logged").to.deep.equal([]);
  });

  it("refuses settings out of range with exit code 2, naming the setting", async () => {
    const p = spawnController(bin, ["--api_endpoint", api.address, "--cluster.timeout_ms", "0"]);
    procs.push(p);
    const exit = await p.exited;
    expect(exit.code).to.equal(2);
    expect(exit.stderr).to.include("cluster.timeout_ms must be a positive integer");
  });
});
