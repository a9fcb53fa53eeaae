/**
 * krake-scheduler as a real process against a real krake-api (over a real
 * etcd): it places Applications on the best cluster by its metrics (a static
 * provider, so that the values are the test's), explains the decision in
 * status.scheduling, moves an Application off a cluster that goes OFFLINE,
 * and reports an Application that fits nowhere as DEGRADED.
 */
import { readFileSync } from "node:fs";
import { expect } from "chai";
import { GlobalMetric } from "../../../gen/krake/core/v1/metric.js";
import { GlobalMetricsProvider } from "../../../gen/krake/core/v1/metrics_provider.js";
import { Reason_Code } from "../../../gen/krake/core/v1/types.js";
import { Application, ApplicationStatus_State as AppState } from "../../../gen/krake/kubernetes/v1/application.js";
import { Cluster, ClusterStatus, ClusterStatus_State as ClusterState } from "../../../gen/krake/kubernetes/v1/cluster.js";
import { useApi } from "../../fixtures/api.js";
import type { ApiHarness } from "../../fixtures/api.js";
import { spawnController } from "../../controller/support/controller-process.js";
import type { ControllerProcess } from "../../controller/support/controller-process.js";
import { poll } from "../../controller/support/observe.js";

const ns = "sched";
const clusterDoc = JSON.parse(readFileSync("test/fixtures/krake/cluster.json", "utf8")) as unknown;
const appDoc = JSON.parse(readFileSync("test/fixtures/krake/application.json", "utf8")) as unknown;

function cluster(name: string, metric: string, labels: Record<string, string> = {}): Cluster {
  const c = Cluster.fromJSON(clusterDoc);
  c.metadata = { ...c.metadata!, name, namespace: ns, labels };
  c.spec!.metrics = [{ name: metric, weight: 1, namespaced: false }];
  return c;
}

function application(name: string, labelConstraints: string[] = []): Application {
  const a = Application.fromJSON(appDoc);
  a.metadata = { ...a.metadata!, name, namespace: ns };
  a.spec!.constraints = { migration: true, cluster: { labels: labelConstraints, customResources: [], metrics: [] } };
  return a;
}

describe("krake-scheduler as a process (real krake-api, real etcd)", function () {
  this.timeout(60_000);
  let api: ApiHarness;
  let scheduler: ControllerProcess;
  useApi((started) => (api = started.api));

  const setState = async (name: string, state: ClusterState) => {
    const c = await api.clients.clusters.getCluster({ namespace: ns, name });
    c.status = ClusterStatus.fromPartial({ ...c.status, state });
    await api.clients.clusters.updateClusterStatus({ namespace: ns, name, cluster: c });
  };
  const getApp = (name: string) => api.clients.applications.getApplication({ namespace: ns, name });

  before(async () => {
    await api.clients.globalMetricsProviders.createGlobalMetricsProvider({
      globalMetricsProvider: GlobalMetricsProvider.fromPartial({
        api: "core", kind: "GlobalMetricsProvider", metadata: { name: "static" },
        spec: { type: "static", static: { metrics: { fast: 0.9, slow: 0.2 } } },
      }),
    });
    for (const m of ["fast", "slow"]) {
      await api.clients.globalMetrics.createGlobalMetric({
        globalMetric: GlobalMetric.fromPartial({
          api: "core", kind: "GlobalMetric", metadata: { name: m }, spec: { min: 0, max: 1, allowedValues: [], provider: { name: "static", metric: m } },
        }),
      });
    }
    for (const [name, metric] of [["c-fast", "fast"], ["c-slow", "slow"]] as const) {
      await api.clients.clusters.createCluster({ namespace: ns, cluster: cluster(name, metric, { tier: name }), blocking: "" });
      await setState(name, ClusterState.ONLINE);
    }
    scheduler = spawnController("bin/krake-scheduler.js", [
      "--api_endpoint", api.address, "--http.port", "0", "--lease.enabled", "false", "--log.level", "debug",
      "--scheduler.metrics_cycle_ms", "0", "--scheduler.min_dwell_ms", "0",
    ]);
  });
  after(async () => {
    if (process.env.DUMP) for (const l of scheduler.logs) if ((l.level ?? 0) >= 40 || /scheduled|reconcil/.test(String(l.msg))) console.log(JSON.stringify(l).slice(0, 400));
    await scheduler?.stop();
  });

  it("binds a new Application to the cluster with the best metrics and explains why", async () => {
    await api.clients.applications.createApplication({ namespace: ns, application: application("a1"), blocking: "" });
    await poll(async () => (await getApp("a1")).status?.scheduledTo?.name === "c-fast", "a1 bound to c-fast");
    await poll(async () => (await getApp("a1")).status?.scheduling?.reasonCode === "Placed", "the decision stored");
    const s = (await getApp("a1")).status!.scheduling!;
    expect([s.action, s.chosen?.name]).to.deep.equal(["place", "c-fast"]);
    expect(s.score, "(0.9·1 + 0·0.1) / (1 + 0.1): not bound yet, so no stickiness").to.be.closeTo(0.9 / 1.1, 1e-9);
    expect(s.components.find((c) => c.kind === "stickiness")).to.deep.include({ value: 0, weight: 0.1 });
    const fast = s.components.find((c) => c.kind === "metric")!;
    expect([fast.name, fast.value, fast.normalized, fast.weight, fast.status]).to.deep.equal(["fast", 0.9, 0.9, 1, "ok"]);
    expect(s.scored.map((c) => c.cluster?.name)).to.deep.equal(["c-fast", "c-slow"]);
    expect(s.scored[1]!.score).to.be.closeTo(0.2 / 1.1, 1e-9);
  });

  it("decides an Application once: its own binding and status writes do not bring it back, a spec change does", async () => {
    const decisionsOf = (name: string) => scheduler.logs.filter((l) => l.msg === "scheduled" && l.app === `${ns}/${name}`).map((l) => l.action);
    await api.clients.applications.createApplication({ namespace: ns, application: application("once"), blocking: "" });
    await poll(async () => (await getApp("once")).status?.scheduling?.reasonCode === "Placed", "once placed and its decision stored");
    const app = await getApp("once");
    app.spec!.backoff = 2;
    await api.clients.applications.updateApplication({ namespace: ns, name: "once", application: app });
    // the spec change's decision is logged after every decision the writes before it could have caused
    await scheduler.waitForLog((l) => l.msg === "scheduled" && l.app === `${ns}/once` && l.action === "stay");
    expect(decisionsOf("once")).to.deep.equal(["place", "stay"]);
    await poll(async () => (await getApp("once")).status?.scheduling?.reasonCode === "CurrentIsBest", "the new decision stored");
    expect((await getApp("once")).status!.scheduling!.chosen?.name).to.equal("c-fast");
  });

  it("moves the Application when its cluster goes OFFLINE, and says so", async () => {
    await setState("c-fast", ClusterState.OFFLINE);
    await poll(async () => (await getApp("a1")).status?.scheduledTo?.name === "c-slow", "a1 moved to c-slow");
    await poll(async () => (await getApp("a1")).status?.scheduling?.chosen?.name === "c-slow", "the decision stored");
    const s = (await getApp("a1")).status!.scheduling!;
    expect(s.reasonCode).to.be.oneOf(["Evacuated", "CurrentIsBest"]);
    const off = s.filtered.find((f) => f.cluster?.name === "c-fast")!;
    expect([off.filter, off.detail]).to.deep.include.members(["state"]);
    expect(off.detail).to.include("OFFLINE");
    expect((await getApp("a1")).status!.migrations).to.have.length(1);
    await setState("c-fast", ClusterState.ONLINE);
  });

  it("reports an Application that fits no cluster as DEGRADED with every cluster's failed filter", async () => {
    await api.clients.applications.createApplication({ namespace: ns, application: application("nowhere", ["tier=gpu"]), blocking: "" });
    await poll(async () => (await getApp("nowhere")).status?.state === AppState.DEGRADED, "nowhere DEGRADED");
    // (c-fast came back ONLINE just before: the decision follows once the scheduler has seen it)
    await poll(async () => (await getApp("nowhere")).status?.scheduling?.filtered.every((f) => f.filter === "label") === true, "label filters");
    const status = (await getApp("nowhere")).status!;
    expect(status.reason?.code).to.equal(Reason_Code.NO_SUITABLE_RESOURCE);
    expect(status.scheduledTo).to.equal(undefined);
    expect(status.scheduling?.action).to.equal("none");
    expect(status.scheduling?.reasonCode).to.equal("NoClusterFound");
    expect(status.scheduling?.filtered.map((f) => [f.cluster?.name, f.filter]).sort()).to.deep.equal([
      ["c-fast", "label"],
      ["c-slow", "label"],
    ]);
  });

  it("tells an Application asking for automatic cluster creation that fits no cluster why it waits, in status.reason", async () => {
    const auto = application("auto", ["tier=gpu"]);
    auto.spec!.autoClusterCreate = true;
    await api.clients.applications.createApplication({ namespace: ns, application: auto, blocking: "" });
    await poll(async () => (await getApp("auto")).status?.state === AppState.DEGRADED, "auto DEGRADED");
    const status = (await getApp("auto")).status!;
    expect(status.scheduling?.reasonCode).to.equal("ClusterCreationRequired");
    expect(status.reason?.code).to.equal(Reason_Code.NO_SUITABLE_RESOURCE);
    expect(status.reason?.message).to.include("infrastructure controller");
    expect(status.scheduledTo).to.equal(undefined);
  });

  it("counts its decisions in /metrics", async () => {
    const port = await scheduler.httpPort();
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(text).to.match(/krake_scheduler_decisions_total\{action="place",reason="Placed"\} [1-9]/);
    // a1 and once, off c-fast when it went OFFLINE: one decision each
    expect(text).to.match(/krake_scheduler_decisions_total\{action="move",reason="Evacuated"\} 2\n/);
    expect(text).to.match(/krake_scheduler_provider_queries_total\{provider="static",metric="fast"\} [1-9]/);
    expect(text).to.include("krake_scheduler_decision_seconds_bucket");
  });
});
