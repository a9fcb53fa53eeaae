import { GlobalMetric, Metric } from "../../../gen/krake/core/v1/metric.js";
import type { MetricSpec } from "../../../gen/krake/core/v1/metric.js";
import { GlobalMetricsProvider, MetricsProvider } from "../../../gen/krake/core/v1/metrics_provider.js";
import { Role } from "../../../gen/krake/core/v1/role.js";
import {
  Application,
  ApplicationStatus,
  applicationStatus_StateFromJSON,
  applicationStatus_StateToJSON,
} from "../../../gen/krake/kubernetes/v1/application.js";
import { Cluster, ClusterStatus, clusterStatus_StateFromJSON, clusterStatus_StateToJSON } from "../../../gen/krake/kubernetes/v1/cluster.js";
import type { KrakeObject } from "../../../src/apiserver/objects/kind.js";
import { startEtcd } from "../../fixtures/etcd.js";
import type { EtcdProcess } from "../../fixtures/etcd.js";
import { anyFixture, krakeDocument, registryConformance, requests } from "./conformance/index.js";
import type { KindFixture } from "./conformance/index.js";

/** A fixture document with its name and namespace replaced. */
function named<T extends KrakeObject>(parse: (json: unknown) => T, file: string, name: string, namespace: string, kind?: string): T {
  const doc = krakeDocument(file);
  if (kind) doc["kind"] = kind;
  const obj = parse(doc);
  obj.metadata!.name = name;
  obj.metadata!.namespace = namespace;
  return obj;
}

const application: KindFixture<Application> = {
  api: "kubernetes",
  kind: "Application",
  plural: "applications",
  namespaced: true,
  codec: Application,
  client: ({ applications: c }) => ({
    create: (namespace, application, blocking = "") => c.createApplication({ namespace, application, blocking }),
    get: (namespace, name) => c.getApplication({ namespace, name }),
    list: (namespace, p) => c.listApplications(requests.list(namespace, p)),
    update: (namespace, name, application) => c.updateApplication({ namespace, name, application }),
    updateStatus: (namespace, name, application) => c.updateApplicationStatus({ namespace, name, application }),
    delete: (namespace, name, p) => c.deleteApplication(requests.delete(namespace, name, p)),
    watch: (namespace, p) => c.watchApplications(requests.watch(namespace, p)),
  }),
  valid: (name, namespace) => named(Application.fromJSON, "application.json", name, namespace),
  changeSpec: (app) => {
    app.spec!.backoffLimit = (app.spec!.backoffLimit ?? -1) + 10;
  },
  invalid: {
    field: "spec.manifest[0].kind",
    mutate: (app) => {
      delete app.spec!.manifest[0]!["kind"];
    },
  },
  status: {
    initial: "PENDING",
    other: "RUNNING",
    state: (app) => (app.status ? applicationStatus_StateToJSON(app.status.state) : undefined),
    setState: (app, state) => {
      app.status ??= ApplicationStatus.fromPartial({});
      app.status.state = applicationStatus_StateFromJSON(state);
    },
  },
};

const cluster: KindFixture<Cluster> = {
  api: "kubernetes",
  kind: "Cluster",
  plural: "clusters",
  namespaced: true,
  codec: Cluster,
  client: ({ clusters: c }) => ({
    create: (namespace, cluster, blocking = "") => c.createCluster({ namespace, cluster, blocking }),
    get: (namespace, name) => c.getCluster({ namespace, name }),
    list: (namespace, p) => c.listClusters(requests.list(namespace, p)),
    update: (namespace, name, cluster) => c.updateCluster({ namespace, name, cluster }),
    updateStatus: (namespace, name, cluster) => c.updateClusterStatus({ namespace, name, cluster }),
    delete: (namespace, name, p) => c.deleteCluster(requests.delete(namespace, name, p)),
    watch: (namespace, p) => c.watchClusters(requests.watch(namespace, p)),
  }),
  valid: (name, namespace) => named(Cluster.fromJSON, "cluster.json", name, namespace),
  changeSpec: (c) => {
    c.spec!.inheritMetrics = !c.spec!.inheritMetrics;
  },
  invalid: {
    field: "spec.kubeconfig.users",
    mutate: (c) => {
      c.spec!.kubeconfig!["users"] = [];
    },
  },
  status: {
    initial: "PENDING",
    other: "ONLINE",
    state: (c) => (c.status ? clusterStatus_StateToJSON(c.status.state) : undefined),
    setState: (c, state) => {
      c.status ??= ClusterStatus.fromPartial({});
      c.status.state = clusterStatus_StateFromJSON(state);
    },
  },
};

const role: KindFixture<Role> = {
  api: "core",
  kind: "Role",
  plural: "roles",
  namespaced: false,
  codec: Role,
  client: ({ roles: c }) => ({
    create: (_ns, role) => c.createRole({ role }),
    get: (_ns, name) => c.getRole({ name }),
    list: (namespace, p) => c.listRoles(requests.list(namespace, p)),
    update: (_ns, name, role) => c.updateRole({ name, role }),
    delete: (namespace, name, p) => c.deleteRole(requests.delete(namespace, name, p)),
    watch: (namespace, p) => c.watchRoles(requests.watch(namespace, p)),
  }),
  valid: (name) => named(Role.fromJSON, "role.yaml", name, ""),
  changeSpec: (r) => {
    r.rules.push({ api: "core", resources: ["roles"], namespaces: [], verbs: ["get"] });
  },
  invalid: {
    field: "rules[0].verbs[0]",
    mutate: (r) => {
      r.rules[0]!.verbs = ["patch"];
    },
  },
};

const widenRange = (spec: MetricSpec | undefined) => {
  spec!.max += 1;
};
const invertRange = { field: "spec.max", mutate: (m: { spec?: MetricSpec | undefined }) => Object.assign(m.spec!, { min: 2, max: 1 }) };

const globalMetric: KindFixture<GlobalMetric> = {
  api: "core",
  kind: "GlobalMetric",
  plural: "globalmetrics",
  namespaced: false,
  codec: GlobalMetric,
  client: ({ globalMetrics: c }) => ({
    create: (_ns, globalMetric) => c.createGlobalMetric({ globalMetric }),
    get: (_ns, name) => c.getGlobalMetric({ name }),
    list: (namespace, p) => c.listGlobalMetrics(requests.list(namespace, p)),
    update: (_ns, name, globalMetric) => c.updateGlobalMetric({ name, globalMetric }),
    delete: (namespace, name, p) => c.deleteGlobalMetric(requests.delete(namespace, name, p)),
    watch: (namespace, p) => c.watchGlobalMetrics(requests.watch(namespace, p)),
  }),
  valid: (name) => named(GlobalMetric.fromJSON, "globalmetric.json", name, ""),
  changeSpec: (m) => widenRange(m.spec),
  invalid: invertRange,
};

const metric: KindFixture<Metric> = {
  api: "core",
  kind: "Metric",
  plural: "metrics",
  namespaced: true,
  codec: Metric,
  client: ({ metrics: c }) => ({
    create: (namespace, metric) => c.createMetric({ namespace, metric }),
    get: (namespace, name) => c.getMetric({ namespace, name }),
    list: (namespace, p) => c.listMetrics(requests.list(namespace, p)),
    update: (namespace, name, metric) => c.updateMetric({ namespace, name, metric }),
    delete: (namespace, name, p) => c.deleteMetric(requests.delete(namespace, name, p)),
    watch: (namespace, p) => c.watchMetrics(requests.watch(namespace, p)),
  }),
  valid: (name, namespace) => named(Metric.fromJSON, "globalmetric.json", name, namespace, "Metric"),
  changeSpec: (m) => widenRange(m.spec),
  invalid: invertRange,
};

const changeUrl = (p: GlobalMetricsProvider | MetricsProvider) => {
  p.spec!.prometheus!.url = `${p.spec!.prometheus!.url}/v2`;
};
const badUrl = {
  field: "spec.prometheus.url",
  mutate: (p: GlobalMetricsProvider | MetricsProvider) => {
    p.spec!.prometheus!.url = "ftp://prometheus.example";
  },
};

const globalMetricsProvider: KindFixture<GlobalMetricsProvider> = {
  api: "core",
  kind: "GlobalMetricsProvider",
  plural: "globalmetricsproviders",
  namespaced: false,
  codec: GlobalMetricsProvider,
  client: ({ globalMetricsProviders: c }) => ({
    create: (_ns, globalMetricsProvider) => c.createGlobalMetricsProvider({ globalMetricsProvider }),
    get: (_ns, name) => c.getGlobalMetricsProvider({ name }),
    list: (namespace, p) => c.listGlobalMetricsProviders(requests.list(namespace, p)),
    update: (_ns, name, globalMetricsProvider) => c.updateGlobalMetricsProvider({ name, globalMetricsProvider }),
    delete: (namespace, name, p) => c.deleteGlobalMetricsProvider(requests.delete(namespace, name, p)),
    watch: (namespace, p) => c.watchGlobalMetricsProviders(requests.watch(namespace, p)),
  }),
  valid: (name) => named(GlobalMetricsProvider.fromJSON, "globalmetricsprovider.json", name, ""),
  changeSpec: changeUrl,
  invalid: badUrl,
};

const metricsProvider: KindFixture<MetricsProvider> = {
  api: "core",
  kind: "MetricsProvider",
  plural: "metricsproviders",
  namespaced: true,
  codec: MetricsProvider,
  client: ({ metricsProviders: c }) => ({
    create: (namespace, metricsProvider) => c.createMetricsProvider({ namespace, metricsProvider }),
    get: (namespace, name) => c.getMetricsProvider({ namespace, name }),
    list: (namespace, p) => c.listMetricsProviders(requests.list(namespace, p)),
    update: (namespace, name, metricsProvider) => c.updateMetricsProvider({ namespace, name, metricsProvider }),
    delete: (namespace, name, p) => c.deleteMetricsProvider(requests.delete(namespace, name, p)),
    watch: (namespace, p) => c.watchMetricsProviders(requests.watch(namespace, p)),
  }),
  valid: (name, namespace) =>
    named(MetricsProvider.fromJSON, "globalmetricsprovider.json", name, namespace, "MetricsProvider"),
  changeSpec: changeUrl,
  invalid: badUrl,
};

describe("registry conformance over gRPC", () => {
  let etcd: EtcdProcess;
  before(async () => {
    etcd = await startEtcd();
  });
  after(async () => {
    await etcd?.remove();
  });

  registryConformance(
    [
      anyFixture(application),
      anyFixture(cluster),
      anyFixture(role),
      anyFixture(globalMetric),
      anyFixture(metric),
      anyFixture(globalMetricsProvider),
      anyFixture(metricsProvider),
    ],
    () => etcd,
  );
});
