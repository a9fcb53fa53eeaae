import { readFileSync } from "node:fs";
import { Writable } from "node:stream";
import { expect } from "chai";
import { pino } from "pino";
import { Registry } from "prom-client";
import { parseAllDocuments } from "yaml";
import { GlobalMetric } from "../../../gen/krake/core/v1/metric.js";
import { GlobalMetricsProvider } from "../../../gen/krake/core/v1/metrics_provider.js";
import { Role } from "../../../gen/krake/core/v1/role.js";
import { RoleBinding } from "../../../gen/krake/core/v1/role_binding.js";
import { Reason_Code } from "../../../gen/krake/core/v1/types.js";
import { cloudKind } from "../../../gen/kinds.js";
import { Cloud, CloudStatus_State as CloudState, GlobalCloud } from "../../../gen/krake/infrastructure/v1/cloud.js";
import type { Application } from "../../../gen/krake/kubernetes/v1/application.js";
import { ClusterStatus_State as State } from "../../../gen/krake/kubernetes/v1/cluster.js";
import type { Cluster } from "../../../gen/krake/kubernetes/v1/cluster.js";
import type { KrakeObject } from "../../../src/apiserver/objects/kind.js";
import type { RequestContext } from "../../../src/apiserver/registry/request-context.js";
import { ApiConnection } from "../../../src/client/kind-client.js";
import { Manager } from "../../../src/controller/manager.js";
import { defaultSchedulerSettings, setupScheduler } from "../../../src/controllers/scheduler/setup.js";
import { applicationKind, clusterKind } from "../../../src/kinds/index.js";
import { startApi } from "../../fixtures/api.js";
import { startEtcd } from "../../fixtures/etcd.js";
import { application, cluster } from "../../controller/support/objects.js";
import { Observer } from "../../controller/support/observe.js";

describe("scheduler under RBAC with the system:scheduler role of config/base-roles.yaml", function () {
  this.timeout(60_000);

  it("binds an Application and a cluster without a kubeconfig, and sets a cluster and a cloud whose metric fails FAILING_METRICS, with the writes its role allows", async () => {
    const etcd = await startEtcd();
    // Every caller is system:scheduler; the test's objects are written through the registries (no authorization there).
    const api = await startApi(etcd, {
      authorization: "rbac",
      authentication: { allowAnonymous: false, allowStaticOnNetwork: false, providers: [{ type: "static", name: "system:scheduler" }] },
    });
    const admin: RequestContext = { user: "system:admin", requestId: "test" };
    const registry = (group: string, plural: string) => api.server.registry(group, plural);
    for (const doc of parseAllDocuments(readFileSync("config/base-roles.yaml", "utf8"))) {
      const value = doc.toJSON() as { kind?: string };
      if (value?.kind === "Role") await registry("core", "roles").create(admin, "", Role.fromJSON(value) as unknown as KrakeObject);
      if (value?.kind === "RoleBinding") await registry("core", "rolebindings").create(admin, "", RoleBinding.fromJSON(value) as unknown as KrakeObject);
    }
    await registry("core", "globalmetricsproviders").create(admin, "", GlobalMetricsProvider.fromPartial({
      api: "core", kind: "GlobalMetricsProvider", metadata: { name: "static" }, spec: { type: "static", static: { metrics: { good: 0.5 } } },
    }) as unknown as KrakeObject);
    for (const [name, metric] of [["good", "good"], ["bad", "absent-from-the-provider"]]) {
      await registry("core", "globalmetrics").create(admin, "", GlobalMetric.fromPartial({
        api: "core", kind: "GlobalMetric", metadata: { name }, spec: { min: 0, max: 1, provider: { name: "static", metric } },
      }) as unknown as KrakeObject);
    }
    const clusters = registry("kubernetes", "clusters");
    for (const [name, metric] of [["ok", "good"], ["failing", "bad"]]) {
      const c = cluster("rbac", name);
      c.spec!.metrics = [{ name: metric, weight: 1, namespaced: false }];
      const created = (await clusters.create(admin, "rbac", c as unknown as KrakeObject)).object as unknown as Cluster;
      await clusters.updateStatus(admin, "rbac", name, { ...created, status: { ...created.status!, state: State.ONLINE } } as unknown as KrakeObject);
    }

    // a cluster to be created on a cloud: the namespace's cloud fails its metric, the global one reads
    const clouds = registry("infrastructure", "clouds");
    const globalClouds = registry("infrastructure", "globalclouds");
    const nsCloud = Cloud.fromJSON(JSON.parse(readFileSync("test/fixtures/krake/cloud.json", "utf8")));
    nsCloud.metadata = { ...nsCloud.metadata!, name: "ns-bad", namespace: "rbac" };
    nsCloud.spec!.openstack!.metrics = [{ name: "bad", weight: 1, namespaced: false }];
    await clouds.create(admin, "rbac", nsCloud as unknown as KrakeObject);
    const gCloud = GlobalCloud.fromJSON(JSON.parse(readFileSync("test/fixtures/krake/globalcloud.json", "utf8")));
    gCloud.metadata = { ...gCloud.metadata!, name: "g-good" };
    gCloud.spec!.openstack!.metrics = [{ name: "good", weight: 1, namespaced: false }];
    await globalClouds.create(admin, "", gCloud as unknown as KrakeObject);
    const toCreate = cluster("rbac", "to-create");
    toCreate.spec = { ...toCreate.spec!, kubeconfig: {}, tosca: { tosca_definitions_version: "tosca_simple_yaml_1_0", topology_template: { outputs: { kubeconfig: { value: "x" } } } } };
    await clusters.create(admin, "rbac", toCreate as unknown as KrakeObject);

    const lines: { level?: number; msg?: string }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as (typeof lines)[number]);
        done();
      },
    });
    const manager = new Manager({ api: new ApiConnection(api.address), log: pino({ level: "info" }, sink) });
    setupScheduler(manager, { settings: { ...defaultSchedulerSettings, metricsCycleMs: 0 }, workers: 2, registry: new Registry() });
    const watcher = new ApiConnection(api.address);
    const seenClusters = await new Observer<Cluster>(watcher.client(clusterKind), "rbac").start();
    const seenApps = await new Observer<Application>(watcher.client(applicationKind), "rbac").start();
    manager.start();
    try {
      const app = application("rbac", "app");
      app.spec!.constraints = { migration: true, cluster: { labels: [], customResources: [], metrics: [] } };
      await registry("kubernetes", "applications").create(admin, "rbac", app as unknown as KrakeObject);
      await seenApps.until(() => seenApps.get("rbac/app")?.status?.scheduling?.chosen?.name === "ok", "app bound to ok, the decision stored");
      await seenClusters.until(() => seenClusters.get("rbac/failing")?.status?.state === State.FAILING_METRICS, "failing is FAILING_METRICS");
      expect(seenClusters.get("rbac/failing")!.status!.metricsReasons.bad?.code).to.equal(Reason_Code.INVALID_METRIC);
      expect(seenClusters.get("rbac/ok")!.status!.state).to.equal(State.ONLINE);
      expect(seenApps.get("rbac/app")!.status!.scheduledTo?.name).to.equal("ok");
      await seenClusters.until(() => seenClusters.get("rbac/to-create")?.status?.scheduledTo?.name === "g-good", "to-create bound to g-good");
      const cloudNow = await watcher.client(cloudKind).get("rbac", "ns-bad");
      expect([cloudNow.status?.state, cloudNow.status?.metricsReasons.bad?.code]).to.deep.equal([CloudState.FAILING_METRICS, Reason_Code.INVALID_METRIC]);
      expect(lines.filter((l) => (l.level ?? 0) >= 40).map((l) => l.msg), "nothing refused").to.deep.equal([]);
    } finally {
      if (process.env.DUMP) for (const l of lines) console.log(JSON.stringify(l).slice(0, 600));
      await seenClusters.stop();
      await seenApps.stop();
      watcher.close();
      await manager.stop(1_000);
      await api.stop();
      await etcd.remove();
    }
  });
});
