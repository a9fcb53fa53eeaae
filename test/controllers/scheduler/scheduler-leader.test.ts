/**
 * Two krake-scheduler replicas against one real krake-api (over a real
 * etcd): exactly one holds the Lease and decides; each Application is placed
 * once; when the leader is killed (-9), the other takes the Lease over and
 * places a new Application.
 */
import { readFileSync } from "node:fs";
import { expect } from "chai";
import { GlobalMetric } from "../../../gen/krake/core/v1/metric.js";
import { GlobalMetricsProvider } from "../../../gen/krake/core/v1/metrics_provider.js";
import { Application } from "../../../gen/krake/kubernetes/v1/application.js";
import { Cluster, ClusterStatus, ClusterStatus_State as ClusterState } from "../../../gen/krake/kubernetes/v1/cluster.js";
import { useApi } from "../../fixtures/api.js";
import type { ApiHarness } from "../../fixtures/api.js";
import { spawnController } from "../../controller/support/controller-process.js";
import type { ControllerProcess, LogLine } from "../../controller/support/controller-process.js";
import { poll } from "../../controller/support/observe.js";

const ns = "sched-ha";
const LEASE = "krake-scheduler-ha";
const clusterDoc = JSON.parse(readFileSync("test/fixtures/krake/cluster.json", "utf8")) as unknown;
const appDoc = JSON.parse(readFileSync("test/fixtures/krake/application.json", "utf8")) as unknown;
const acquired = (l: LogLine) => l.msg === "leader election: acquired the lease; leading";

describe("krake-scheduler: two replicas behind one Lease (real krake-api, real etcd)", function () {
  this.timeout(90_000);
  let api: ApiHarness;
  const replicas: ControllerProcess[] = [];
  useApi((started) => (api = started.api));
  const getApp = (name: string) => api.clients.applications.getApplication({ namespace: ns, name });
  const createApp = async (name: string) => {
    const a = Application.fromJSON(appDoc);
    a.metadata = { ...a.metadata!, name, namespace: ns };
    a.spec!.constraints = { migration: true, cluster: { labels: [], customResources: [], metrics: [] } };
    await api.clients.applications.createApplication({ namespace: ns, application: a, blocking: "" });
  };
  const placed = (name: string) => poll(async () => (await getApp(name)).status?.scheduling?.reasonCode === "Placed", `${name} placed`, 30_000);
  /** The decisions a replica logged about an Application: its "scheduled" lines' actions. */
  const decisions = (p: ControllerProcess, app: string) => p.logs.filter((l) => l.msg === "scheduled" && l.app === `${ns}/${app}`).map((l) => l.action);
  const replica = (identity: string) =>
    spawnController("bin/krake-scheduler.js", [
      "--api_endpoint", api.address, "--http.port", "0", "--log.level", "debug", "--scheduler.metrics_cycle_ms", "0",
      "--lease.name", LEASE, "--lease.identity", identity,
      "--lease.duration_ms", "3000", "--lease.renew_deadline_ms", "2000", "--lease.retry_period_ms", "500",
    ]);

  before(async () => {
    await api.clients.globalMetricsProviders.createGlobalMetricsProvider({
      globalMetricsProvider: GlobalMetricsProvider.fromPartial({
        api: "core", kind: "GlobalMetricsProvider", metadata: { name: "static" }, spec: { type: "static", static: { metrics: { fast: 0.9, slow: 0.2 } } },
      }),
    });
    for (const m of ["fast", "slow"]) {
      await api.clients.globalMetrics.createGlobalMetric({
        globalMetric: GlobalMetric.fromPartial({ api: "core", kind: "GlobalMetric", metadata: { name: m }, spec: { min: 0, max: 1, allowedValues: [], provider: { name: "static", metric: m } } }),
      });
    }
    for (const [name, metric] of [["c-fast", "fast"], ["c-slow", "slow"]] as const) {
      const c = Cluster.fromJSON(clusterDoc);
      c.metadata = { ...c.metadata!, name, namespace: ns };
      c.spec!.metrics = [{ name: metric, weight: 1, namespaced: false }];
      await api.clients.clusters.createCluster({ namespace: ns, cluster: c, blocking: "" });
      const stored = await api.clients.clusters.getCluster({ namespace: ns, name });
      stored.status = ClusterStatus.fromPartial({ ...stored.status, state: ClusterState.ONLINE });
      await api.clients.clusters.updateClusterStatus({ namespace: ns, name, cluster: stored });
    }
  });
  after(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
  });

  it("one replica leads and decides each Application once; killed, the other takes over and places a new one", async () => {
    const a = replica("replica-a");
    const b = replica("replica-b");
    replicas.push(a, b);
    const first = await Promise.race([a.waitForLog(acquired).then(() => a), b.waitForLog(acquired).then(() => b)]);
    const [leader, standby] = first === a ? [a, b] : [b, a];
    const lease = await api.clients.leases.getLease({ namespace: "krake-system", name: LEASE });
    expect(lease.spec!.holderIdentity).to.equal(first === a ? "replica-a" : "replica-b");

    for (const name of ["app-1", "app-2", "app-3"]) await createApp(name);
    for (const name of ["app-1", "app-2", "app-3"]) await placed(name);
    for (const name of ["app-1", "app-2", "app-3"]) {
      expect(decisions(leader, name), `${name} by the leader`).to.deep.equal(["place"]);
      expect(decisions(standby, name), `${name} by the standby`).to.deep.equal([]);
      expect((await getApp(name)).status!.scheduledTo?.name).to.equal("c-fast");
    }
    expect(standby.logs.some(acquired), "the standby never led meanwhile").to.equal(false);

    const killedAt = Date.now();
    await leader.kill();
    const takeover = await standby.waitForLog(acquired, 30_000);
    expect(Number(takeover.time)).to.be.at.least(killedAt);
    await createApp("app-4");
    await placed("app-4");
    expect(decisions(standby, "app-4")).to.deep.equal(["place"]);
    expect((await getApp("app-4")).status!.scheduledTo?.name).to.equal("c-fast");
    expect((await api.clients.leases.getLease({ namespace: "krake-system", name: LEASE })).spec!.holderIdentity).to.equal(
      standby === a ? "replica-a" : "replica-b",
    );
    // the new leader looks at the others again (level-based) but places none of them a second time
    for (const name of ["app-1", "app-2", "app-3"]) {
      expect(decisions(standby, name).filter((d) => d !== "stay"), name).to.deep.equal([]);
      expect((await getApp(name)).status!.migrations).to.deep.equal([]);
    }
  });
});
