import { GlobalMetric, Metric } from "../../../gen/krake/core/v1/metric.js";
import type { MetricSpec } from "../../../gen/krake/core/v1/metric.js";
import { GlobalMetricsProvider, MetricsProvider } from "../../../gen/krake/core/v1/metrics_provider.js";
import { Role } from "../../../gen/krake/core/v1/role.js";
import { Application } from "../../../gen/krake/kubernetes/v1/application.js";
import { Cluster } from "../../../gen/krake/kubernetes/v1/cluster.js";
import {
  applicationKind,
  clusterKind,
  globalMetricKind,
  globalMetricsProviderKind,
  metricKind,
  metricsProviderKind,
  roleKind,
} from "../../../src/kinds/index.js";
import type { KrakeObject } from "../../../src/kinds/index.js";
import { startEtcd } from "../../fixtures/etcd.js";
import type { EtcdProcess } from "../../fixtures/etcd.js";
import { anyFixture, krakeDocument, registryConformance } from "./conformance/index.js";
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
  type: applicationKind,
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
  status: { initial: "PENDING", other: "RUNNING" },
};

const cluster: KindFixture<Cluster> = {
  type: clusterKind,
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
  status: { initial: "PENDING", other: "ONLINE" },
};

const role: KindFixture<Role> = {
  type: roleKind,
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
  type: globalMetricKind,
  valid: (name) => named(GlobalMetric.fromJSON, "globalmetric.json", name, ""),
  changeSpec: (m) => widenRange(m.spec),
  invalid: invertRange,
};

const metric: KindFixture<Metric> = {
  type: metricKind,
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
  type: globalMetricsProviderKind,
  valid: (name) => named(GlobalMetricsProvider.fromJSON, "globalmetricsprovider.json", name, ""),
  changeSpec: changeUrl,
  invalid: badUrl,
};

const metricsProvider: KindFixture<MetricsProvider> = {
  type: metricsProviderKind,
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
