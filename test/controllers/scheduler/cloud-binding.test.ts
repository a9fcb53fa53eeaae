/**
 * Krake's Cluster→Cloud scheduling with krake-scheduler as a real process
 * against a real krake-api (over a real etcd): a Cluster without a kubeconfig
 * (to be created from its TOSCA template) is bound through its `binding`
 * subresource to the best Cloud or GlobalCloud that matches its cloud
 * constraints, by the clouds' metrics (a static provider); one that fits
 * nowhere is DEGRADED with every cloud's reason, placed as soon as a cloud
 * that fits appears, and FAILED past its backoff_limit.
 */
import { readFileSync } from "node:fs";
import { expect } from "chai";
import { cloudKind, globalCloudKind, globalMetricKind, globalMetricsProviderKind } from "../../../gen/kinds.js";
import { GlobalMetric } from "../../../gen/krake/core/v1/metric.js";
import { GlobalMetricsProvider } from "../../../gen/krake/core/v1/metrics_provider.js";
import { Reason_Code } from "../../../gen/krake/core/v1/types.js";
import type { MetricRef } from "../../../gen/krake/core/v1/types.js";
import { Cloud, CloudStatus_State as CloudState, GlobalCloud } from "../../../gen/krake/infrastructure/v1/cloud.js";
import { Cluster, ClusterStatus_State as ClusterState } from "../../../gen/krake/kubernetes/v1/cluster.js";
import { clusterKind } from "../../../src/kinds/index.js";
import { needsCloud } from "../../../src/controllers/scheduler/cloud-binder.js";
import { useApi } from "../../fixtures/api.js";
import type { ApiHarness } from "../../fixtures/api.js";
import { spawnController } from "../../controller/support/controller-process.js";
import type { ControllerProcess } from "../../controller/support/controller-process.js";
import { poll } from "../../controller/support/observe.js";
import { timestampFromDate } from "../../../src/kinds/timestamp.js";

const ns = "cloudy";
const clusterDoc = JSON.parse(readFileSync("test/fixtures/krake/cluster.json", "utf8")) as unknown;
const cloudDoc = JSON.parse(readFileSync("test/fixtures/krake/cloud.json", "utf8")) as unknown;
const globalCloudDoc = JSON.parse(readFileSync("test/fixtures/krake/globalcloud.json", "utf8")) as unknown;
const TOSCA = { tosca_definitions_version: "tosca_simple_yaml_1_0", topology_template: { outputs: { kubeconfig: { value: "x" } } } };

/** A Cluster to be created from TOSCA (no kubeconfig), with cloud label constraints. */
function toBeCreated(name: string, labels: string[], backoffLimit = -1): Cluster {
  const c = Cluster.fromJSON(clusterDoc);
  c.metadata = { ...c.metadata!, name, namespace: ns, labels: {} };
  c.spec = { ...c.spec!, kubeconfig: {}, tosca: TOSCA, metrics: [], constraints: { cloud: { labels, metrics: [] } }, backoffLimit };
  return c;
}

const metric = (name: string, weight: number): MetricRef => ({ name, weight, namespaced: false });

function cloud(name: string, labels: Record<string, string>, metrics: MetricRef[]): Cloud {
  const c = Cloud.fromJSON(cloudDoc);
  c.metadata = { ...c.metadata!, name, namespace: ns, labels };
  c.spec!.openstack!.metrics = metrics;
  return c;
}

function globalCloud(name: string, labels: Record<string, string>, metrics: MetricRef[]): GlobalCloud {
  const c = GlobalCloud.fromJSON(globalCloudDoc);
  c.metadata = { ...c.metadata!, name, labels };
  c.spec!.openstack!.metrics = metrics;
  return c;
}

describe("krake-scheduler binds clusters without a kubeconfig to a cloud (real krake-api, real etcd)", function () {
  this.timeout(60_000);
  let api: ApiHarness;
  let scheduler: ControllerProcess;
  useApi((started) => (api = started.api));
  const clusters = () => api.connection.client(clusterKind);
  const getCluster = (name: string) => clusters().get(ns, name);

  before(async () => {
    const c = api.connection;
    await c.client(globalMetricsProviderKind).create("", GlobalMetricsProvider.fromPartial({
      api: "core", kind: "GlobalMetricsProvider", metadata: { name: "static" },
      spec: { type: "static", static: { metrics: { green: 0.9, grey: 0.3 } } },
    }));
    for (const m of ["green", "grey"]) {
      await c.client(globalMetricKind).create("", GlobalMetric.fromPartial({
        api: "core", kind: "GlobalMetric", metadata: { name: m }, spec: { min: 0, max: 1, allowedValues: [], provider: { name: "static", metric: m } },
      }));
    }
    await c.client(cloudKind).create(ns, cloud("os-grey", { location: "DE" }, [metric("grey", 1)]));
    await c.client(globalCloudKind).create("", globalCloud("os-green", { location: "DE" }, [metric("green", 1)]));
    await c.client(globalCloudKind).create("", globalCloud("os-paris", { location: "FR" }, [metric("green", 5)]));
    scheduler = spawnController("bin/krake-scheduler.js", [
      "--api_endpoint", api.address, "--http.port", "0", "--lease.enabled", "false", "--log.level", "info", "--scheduler.metrics_cycle_ms", "0",
    ]);
  });
  after(async () => {
    await scheduler?.stop();
  });

  it("binds it to the cloud with the best metrics among those its constraints allow, as its owner", async () => {
    await clusters().create(ns, toBeCreated("new-de", ["location = DE"]));
    await poll(async () => (await getCluster("new-de")).status?.scheduledTo?.name === "os-green", "new-de bound to os-green");
    const c = await getCluster("new-de");
    const ref = { api: "infrastructure", kind: "GlobalCloud", namespace: "", name: "os-green" };
    expect(c.status!.scheduledTo).to.deep.equal(ref);
    expect(c.status!.scheduled).to.have.all.keys("seconds", "nanos");
    expect(c.metadata!.owners).to.deep.include(ref);
  });

  it("leaves a cluster with a kubeconfig alone", async () => {
    const registered = Cluster.fromJSON(clusterDoc);
    registered.metadata = { ...registered.metadata!, name: "registered", namespace: ns };
    await clusters().create(ns, registered);
    // a cluster created after it is bound: the scheduler has seen both
    await clusters().create(ns, toBeCreated("later", []));
    await poll(async () => (await getCluster("later")).status?.scheduledTo?.name !== undefined, "later bound");
    expect((await getCluster("registered")).status?.scheduledTo).to.equal(undefined);
    expect(scheduler.logs.some((l) => l.msg === "cluster cloud placement" && l.cluster === `${ns}/registered`)).to.equal(false);
  });

  it("reports a cluster that fits no cloud as DEGRADED with every cloud's reason, and binds it once a cloud fits", async () => {
    await clusters().create(ns, toBeCreated("new-jp", ["location = JP"]));
    await poll(async () => (await getCluster("new-jp")).status?.state === ClusterState.DEGRADED, "new-jp DEGRADED");
    const degraded = await getCluster("new-jp");
    expect(degraded.status!.reason?.code).to.equal(Reason_Code.NO_SUITABLE_RESOURCE);
    for (const name of ["os-grey", "os-green", "os-paris"]) expect(degraded.status!.reason?.message).to.include(`cloud "${name}" does not match "location = JP"`);
    expect(degraded.status!.scheduledTo).to.equal(undefined);

    await api.connection.client(cloudKind).create(ns, cloud("os-tokyo", { location: "JP" }, []));
    await poll(async () => (await getCluster("new-jp")).status?.scheduledTo?.name === "os-tokyo", "new-jp bound to os-tokyo");
    await poll(async () => (await getCluster("new-jp")).status?.state === ClusterState.PENDING, "new-jp PENDING again");
    const bound = await getCluster("new-jp");
    expect(bound.status!.reason).to.equal(undefined);
    expect(bound.status!.retries).to.equal(0);
  });

  it("sets a cloud whose metric fails FAILING_METRICS with the reason, leaves it out, and returns it to ONLINE once the metric reads", async () => {
    const globals = api.connection.client(globalCloudKind);
    // the only cloud this cluster accepts, with a metric whose provider does not exist yet
    await api.connection.client(globalMetricKind).create("", GlobalMetric.fromPartial({
      api: "core", kind: "GlobalMetric", metadata: { name: "broken" }, spec: { min: 0, max: 1, allowedValues: [], provider: { name: "late", metric: "broken" } },
    }));
    await globals.create("", globalCloud("os-spare", { tier: "spare" }, [metric("broken", 1)]));
    await clusters().create(ns, toBeCreated("spare", ["tier = spare"]));
    // (whichever of the metric, the cloud and the cluster the scheduler sees first, each arrival brings the waiting cluster back)
    await poll(async () => (await globals.get("", "os-spare")).status?.metricsReasons.broken?.code === Reason_Code.UNKNOWN_METRICS_PROVIDER, "os-spare failing (94)");
    expect((await globals.get("", "os-spare")).status?.state).to.equal(CloudState.FAILING_METRICS);
    await poll(async () => (await getCluster("spare")).status?.state === ClusterState.DEGRADED, "spare DEGRADED");
    expect((await getCluster("spare")).status?.reason?.message).to.include('cloud "os-spare" is FAILING_METRICS, not ONLINE (broken: ');

    await api.connection.client(globalMetricsProviderKind).create("", GlobalMetricsProvider.fromPartial({
      api: "core", kind: "GlobalMetricsProvider", metadata: { name: "late" }, spec: { type: "static", static: { metrics: { broken: 0.5 } } },
    }));
    await poll(async () => (await getCluster("spare")).status?.scheduledTo?.name === "os-spare", "spare bound to os-spare");
    const repaired = await globals.get("", "os-spare");
    expect([repaired.status?.state, repaired.status?.metricsReasons]).to.deep.equal([CloudState.ONLINE, {}]);
  });

  it("sets a cluster FAILED once its retries pass backoff_limit", async () => {
    await clusters().create(ns, toBeCreated("nowhere", ["location = XX"], 0));
    await poll(async () => (await getCluster("nowhere")).status?.state === ClusterState.FAILED, "nowhere FAILED");
    const failed = await getCluster("nowhere");
    expect([failed.status!.retries, failed.status!.reason?.code]).to.deep.equal([1, Reason_Code.NO_SUITABLE_RESOURCE]);
  });
});

describe("scheduler: which clusters get a cloud", () => {
  const base = () => toBeCreated("c", []);
  const cases: [string, (c: Cluster) => void, boolean][] = [
    ["no kubeconfig, unbound", () => {}, true],
    ["a kubeconfig", (c) => (c.spec!.kubeconfig = { apiVersion: "v1" }), false],
    ["bound already", (c) => (c.status = { ...c.status!, scheduledTo: { api: "infrastructure", kind: "Cloud", namespace: ns, name: "x" } }), false],
    ["in deletion", (c) => (c.metadata!.deleted = timestampFromDate(new Date())), false],
    ["FAILED", (c) => (c.status = { ...c.status!, state: ClusterState.FAILED }), false],
    ["DEGRADED (retried)", (c) => (c.status = { ...c.status!, state: ClusterState.DEGRADED }), true],
  ];
  for (const [what, change, expected] of cases) {
    it(`${what}: ${expected ? "yes" : "no"}`, () => {
      const c = base();
      c.status = Cluster.fromPartial({ status: {} }).status;
      change(c);
      expect(needsCloud(c)).to.equal(expected);
    });
  }
});
