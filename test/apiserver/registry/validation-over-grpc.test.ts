/**
 * Every class of validation rule, sent through the real gRPC API: the call
 * fails with INVALID_ARGUMENT and the `krake-field-errors` trailer (a JSON list
 * of {field, message}) names the field path. The rules themselves are unit
 * tested in validation.test.ts; this checks that they reach the wire, for
 * Create and for Update.
 */
import { expect } from "chai";
import { status as Status } from "@grpc/grpc-js";
import { GlobalMetric, Metric } from "../../../gen/krake/core/v1/metric.js";
import { GlobalMetricsProvider, MetricsProvider } from "../../../gen/krake/core/v1/metrics_provider.js";
import { Role } from "../../../gen/krake/core/v1/role.js";
import { RoleBinding } from "../../../gen/krake/core/v1/role_binding.js";
import { Application } from "../../../gen/krake/kubernetes/v1/application.js";
import { Cluster } from "../../../gen/krake/kubernetes/v1/cluster.js";
import type { KrakeClients } from "../../../src/client/clients.js";
import type { EtcdProcess } from "../../fixtures/etcd.js";
import { expectCode, useApi } from "../../fixtures/api.js";
import type { ApiHarness } from "../../fixtures/api.js";
import { krakeDocument, uniqueId } from "./conformance/index.js";

type Json = Record<string, unknown>;

interface Case {
  name: string;
  mutate(doc: Json): void;
  /** The field paths of the trailer, in order. */
  fields: string[];
}

interface KindCases {
  kind: string;
  file: string;
  /** Creates the document (namespace from its metadata). */
  create(c: KrakeClients, doc: Json): Promise<unknown>;
  /** Creates the valid document, then updates it with the invalid one. */
  update(c: KrakeClients, valid: Json, invalid: Json): Promise<unknown>;
  cases: Case[];
}

const metadataOf = (doc: Json) => doc["metadata"] as Json;
const specOf = (doc: Json) => doc["spec"] as Json;
const nsOf = (doc: Json) => String(metadataOf(doc)["namespace"] ?? "");
const nameOf = (doc: Json) => String(metadataOf(doc)["name"] ?? "");
const rule = (doc: Json, i = 0) => (doc["rules"] as Json[])[i]!;
const kubeconfig = (doc: Json) => specOf(doc)["kubeconfig"] as Json;

const metadataCases: Case[] = [
  { name: "a missing name", mutate: (d) => delete metadataOf(d)["name"], fields: ["metadata.name"] },
  { name: "a name with a space", mutate: (d) => (metadataOf(d)["name"] = "bad name"), fields: ["metadata.name"] },
  { name: "a name of 256 characters", mutate: (d) => (metadataOf(d)["name"] = "a".repeat(256)), fields: ["metadata.name"] },
  {
    name: "an invalid generate_name",
    mutate: (d) => Object.assign(metadataOf(d), { name: "", generate_name: "-x" }),
    fields: ["metadata.generate_name"],
  },
  {
    name: "an invalid label key and value",
    mutate: (d) => (metadataOf(d)["labels"] = { "a/b/c": "x", ok: "-bad" }),
    fields: ['metadata.labels["a/b/c"]', 'metadata.labels["ok"]'],
  },
  { name: "an invalid finalizer", mutate: (d) => (metadataOf(d)["finalizers"] = ["ok", "bad name"]), fields: ["metadata.finalizers[1]"] },
  {
    name: "an incomplete owner",
    mutate: (d) => (metadataOf(d)["owners"] = [{ namespace: "team-a" }]),
    fields: ["metadata.owners[0].api", "metadata.owners[0].kind", "metadata.owners[0].name"],
  },
];

const namespacedMetadataCases: Case[] = [
  ...metadataCases,
  { name: "an invalid namespace", mutate: (d) => (metadataOf(d)["namespace"] = "team a"), fields: ["metadata.namespace"] },
];

const metricCases: Case[] = [
  { name: "min not below max", mutate: (d) => Object.assign(specOf(d), { min: 1, max: 1 }), fields: ["spec.max"] },
  { name: "no provider", mutate: (d) => delete specOf(d)["provider"], fields: ["spec.provider"] },
  { name: "an invalid provider", mutate: (d) => (specOf(d)["provider"] = { name: "bad name", metric: "" }), fields: ["spec.provider.name", "spec.provider.metric"] },
  { name: "no spec", mutate: (d) => delete d["spec"], fields: ["spec"] },
];

const providerCases: Case[] = [
  { name: "an unknown type", mutate: (d) => (d["spec"] = { type: "graphite" }), fields: ["spec.type"] },
  { name: "a type without its variant", mutate: (d) => (d["spec"] = { type: "prometheus" }), fields: ["spec.prometheus"] },
  {
    name: "another variant set too",
    mutate: (d) => (d["spec"] = { type: "prometheus", prometheus: { url: "http://p:9090" }, static: { metrics: {} } }),
    fields: ["spec.static"],
  },
  { name: "a Prometheus URL with another scheme", mutate: (d) => (d["spec"] = { type: "prometheus", prometheus: { url: "ftp://p" } }), fields: ["spec.prometheus.url"] },
  {
    name: "an incomplete InfluxDB provider",
    mutate: (d) => (d["spec"] = { type: "influx", influx: { url: "https://influx.example" } }),
    fields: ["spec.influx.token", "spec.influx.org", "spec.influx.bucket"],
  },
  {
    name: "a Kafka provider without table",
    mutate: (d) => (d["spec"] = { type: "kafka", kafka: { url: "http://k:8088", comparison_column: "n", value_column: "v", table: "" } }),
    fields: ["spec.kafka.table"],
  },
  { name: "a static metric without name", mutate: (d) => (d["spec"] = { type: "static", static: { metrics: { "": 1 } } }), fields: ['spec.static.metrics[""]'] },
];

const kinds: KindCases[] = [
  {
    kind: "Application",
    file: "application.json",
    create: (c, d) => c.applications.createApplication({ namespace: nsOf(d), application: Application.fromJSON(d), blocking: "" }),
    update: async (c, v, d) => {
      const created = await c.applications.createApplication({ namespace: nsOf(v), application: Application.fromJSON(v), blocking: "" });
      const body = Application.fromJSON(d);
      body.metadata = { ...created.metadata!, labels: body.metadata!.labels };
      return c.applications.updateApplication({ namespace: nsOf(v), name: nameOf(v), application: body });
    },
    cases: [
      ...namespacedMetadataCases,
      { name: "no spec", mutate: (d) => delete d["spec"], fields: ["spec"] },
      { name: "no manifest, tosca or csar", mutate: (d) => (specOf(d)["manifest"] = []), fields: ["spec"] },
      { name: "a TOSCA URL with another suffix", mutate: (d) => Object.assign(specOf(d), { manifest: [], tosca: "https://x.example/a.json" }), fields: ["spec.tosca"] },
      {
        name: "a TOSCA template without version",
        mutate: (d) => Object.assign(specOf(d), { manifest: [], tosca: { topology_template: {} } }),
        fields: ["spec.tosca.tosca_definitions_version"],
      },
      { name: "a CSAR URL with another suffix", mutate: (d) => Object.assign(specOf(d), { manifest: [], csar: "https://x.example/a.tar" }), fields: ["spec.csar"] },
      { name: "a manifest resource without kind", mutate: (d) => delete (specOf(d)["manifest"] as Json[])[1]!["kind"], fields: ["spec.manifest[1].kind"] },
      {
        name: "a duplicate manifest resource",
        mutate: (d) => (specOf(d)["manifest"] as Json[]).push(structuredClone((specOf(d)["manifest"] as Json[])[0]!)),
        fields: ["spec.manifest[2]"],
      },
      {
        name: "an observer schema for an unknown resource",
        mutate: (d) => (specOf(d)["observer_schema"] = [{ apiVersion: "apps/v1", kind: "StatefulSet", metadata: { name: "echo" } }]),
        fields: ["spec.observer_schema[0]"],
      },
      {
        name: "an observed field with a value",
        mutate: (d) => (specOf(d)["observer_schema"] = [{ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "echo" }, spec: { replicas: 2 } }]),
        fields: ["spec.observer_schema[0].spec.replicas"],
      },
      {
        name: "invalid label and metric constraints",
        mutate: (d) => Object.assign((specOf(d)["constraints"] as Json)["cluster"] as Json, { labels: ["location"], metrics: ["load < high"] }),
        fields: ["spec.constraints.cluster.labels[0]", "spec.constraints.cluster.metrics[0]"],
      },
      {
        name: "an invalid custom resource constraint",
        mutate: (d) => (((specOf(d)["constraints"] as Json)["cluster"] as Json)["custom_resources"] = ["crontabs"]),
        fields: ["spec.constraints.cluster.custom_resources[0]"],
      },
      { name: "an unknown hook", mutate: (d) => (specOf(d)["hooks"] = ["restart"]), fields: ["spec.hooks[0]"] },
      { name: "a duplicate hook", mutate: (d) => (specOf(d)["hooks"] = ["complete", "complete"]), fields: ["spec.hooks[1]"] },
      { name: "an unknown shutdown_failure_strategy", mutate: (d) => (specOf(d)["shutdown_failure_strategy"] = "retry"), fields: ["spec.shutdown_failure_strategy"] },
      { name: "a negative shutdown_grace_time", mutate: (d) => (specOf(d)["shutdown_grace_time"] = -1), fields: ["spec.shutdown_grace_time"] },
      {
        name: "invalid backoff fields",
        mutate: (d) => Object.assign(specOf(d), { backoff: -1, backoff_delay: -1, backoff_limit: -2 }),
        fields: ["spec.backoff", "spec.backoff_delay", "spec.backoff_limit"],
      },
    ],
  },
  {
    kind: "Cluster",
    file: "cluster.json",
    create: (c, d) => c.clusters.createCluster({ namespace: nsOf(d), cluster: Cluster.fromJSON(d), blocking: "" }),
    update: async (c, v, d) => {
      const created = await c.clusters.createCluster({ namespace: nsOf(v), cluster: Cluster.fromJSON(v), blocking: "" });
      const body = Cluster.fromJSON(d);
      body.metadata = { ...created.metadata!, labels: body.metadata!.labels };
      return c.clusters.updateCluster({ namespace: nsOf(v), name: nameOf(v), cluster: body });
    },
    cases: [
      ...namespacedMetadataCases,
      { name: "neither kubeconfig nor tosca", mutate: (d) => delete specOf(d)["kubeconfig"], fields: ["spec"] },
      {
        name: "two contexts",
        mutate: (d) => (kubeconfig(d)["contexts"] as Json[]).push({ name: "b", context: { cluster: "edge-1" } }),
        fields: ["spec.kubeconfig.contexts"],
      },
      { name: "a current-context naming another context", mutate: (d) => (kubeconfig(d)["current-context"] = "other"), fields: ['spec.kubeconfig["current-context"]'] },
      {
        name: "a cluster entry without server",
        mutate: (d) => delete ((kubeconfig(d)["clusters"] as Json[])[0]!["cluster"] as Json)["server"],
        fields: ["spec.kubeconfig.clusters[0].cluster.server"],
      },
      {
        name: "a TOSCA template without the kubeconfig output",
        mutate: (d) => Object.assign(specOf(d), { kubeconfig: {}, tosca: { tosca_definitions_version: "v", topology_template: { outputs: {} } } }),
        fields: ["spec.tosca.topology_template.outputs.kubeconfig"],
      },
      { name: "an invalid custom resource", mutate: (d) => (specOf(d)["custom_resources"] = ["crontabs"]), fields: ["spec.custom_resources[0]"] },
      {
        name: "metric references without name or weight",
        mutate: (d) => (specOf(d)["metrics"] = [{ weight: 1 }, { name: "load", weight: -2 }]),
        fields: ["spec.metrics[0].name", "spec.metrics[1].weight"],
      },
      {
        name: "invalid cloud constraints",
        mutate: (d) => (specOf(d)["constraints"] = { cloud: { labels: ["location is"], metrics: ["load is high"] } }),
        fields: ["spec.constraints.cloud.labels[0]", "spec.constraints.cloud.metrics[0]"],
      },
    ],
  },
  {
    kind: "Role",
    file: "role.yaml",
    create: (c, d) => c.roles.createRole({ role: Role.fromJSON(d) }),
    update: async (c, v, d) => {
      const created = await c.roles.createRole({ role: Role.fromJSON(v) });
      const body = Role.fromJSON(d);
      body.metadata = { ...created.metadata!, labels: body.metadata!.labels };
      return c.roles.updateRole({ name: nameOf(v), role: body });
    },
    cases: [
      ...metadataCases,
      { name: "a rule without verbs", mutate: (d) => (rule(d)["verbs"] = []), fields: ["rules[0].verbs"] },
      { name: "unknown verbs", mutate: (d) => (rule(d, 1)["verbs"] = ["get", "patch"]), fields: ["rules[1].verbs[1]"] },
      { name: "a rule without resources", mutate: (d) => (rule(d)["resources"] = []), fields: ["rules[0].resources"] },
      { name: "an invalid resource", mutate: (d) => (rule(d)["resources"] = ["applications/status/x"]), fields: ["rules[0].resources[0]"] },
      { name: "an invalid api", mutate: (d) => (rule(d)["api"] = "bad api"), fields: ["rules[0].api"] },
      { name: "an invalid namespace", mutate: (d) => (rule(d, 1)["namespaces"] = ["team-a", "bad ns"]), fields: ["rules[1].namespaces[1]"] },
    ],
  },
  {
    kind: "RoleBinding",
    file: "rolebinding.yaml",
    create: (c, d) => c.roleBindings.createRoleBinding({ roleBinding: RoleBinding.fromJSON(d) }),
    update: async (c, v, d) => {
      const created = await c.roleBindings.createRoleBinding({ roleBinding: RoleBinding.fromJSON(v) });
      const body = RoleBinding.fromJSON(d);
      body.metadata = { ...created.metadata!, labels: body.metadata!.labels };
      return c.roleBindings.updateRoleBinding({ name: nameOf(v), roleBinding: body });
    },
    cases: [
      { name: "no users", mutate: (d) => (d["users"] = []), fields: ["users"] },
      { name: "an empty user", mutate: (d) => (d["users"] = ["alice", " "]), fields: ["users[1]"] },
      { name: "no roles", mutate: (d) => delete d["roles"], fields: ["roles"] },
      { name: "an invalid role name", mutate: (d) => (d["roles"] = ["ok", "bad role"]), fields: ["roles[1]"] },
    ],
  },
  {
    kind: "GlobalMetric",
    file: "globalmetric.json",
    create: (c, d) => c.globalMetrics.createGlobalMetric({ globalMetric: GlobalMetric.fromJSON(d) }),
    update: async (c, v, d) => {
      const created = await c.globalMetrics.createGlobalMetric({ globalMetric: GlobalMetric.fromJSON(v) });
      const body = GlobalMetric.fromJSON(d);
      body.metadata = { ...created.metadata!, labels: body.metadata!.labels };
      return c.globalMetrics.updateGlobalMetric({ name: nameOf(v), globalMetric: body });
    },
    cases: [...metadataCases, ...metricCases],
  },
  {
    kind: "Metric",
    file: "globalmetric.json",
    create: (c, d) => c.metrics.createMetric({ namespace: nsOf(d), metric: Metric.fromJSON({ ...d, kind: "Metric" }) }),
    update: async (c, v, d) => {
      const created = await c.metrics.createMetric({ namespace: nsOf(v), metric: Metric.fromJSON({ ...v, kind: "Metric" }) });
      const body = Metric.fromJSON({ ...d, kind: "Metric" });
      body.metadata = { ...created.metadata!, labels: body.metadata!.labels };
      return c.metrics.updateMetric({ namespace: nsOf(v), name: nameOf(v), metric: body });
    },
    cases: [
      { name: "no namespace", mutate: (d) => (metadataOf(d)["namespace"] = ""), fields: ["metadata.namespace"] },
      ...metricCases,
    ],
  },
  {
    kind: "GlobalMetricsProvider",
    file: "globalmetricsprovider.json",
    create: (c, d) => c.globalMetricsProviders.createGlobalMetricsProvider({ globalMetricsProvider: GlobalMetricsProvider.fromJSON(d) }),
    update: async (c, v, d) => {
      const created = await c.globalMetricsProviders.createGlobalMetricsProvider({ globalMetricsProvider: GlobalMetricsProvider.fromJSON(v) });
      const body = GlobalMetricsProvider.fromJSON(d);
      body.metadata = { ...created.metadata!, labels: body.metadata!.labels };
      return c.globalMetricsProviders.updateGlobalMetricsProvider({ name: nameOf(v), globalMetricsProvider: body });
    },
    cases: [...metadataCases, ...providerCases],
  },
  {
    kind: "MetricsProvider",
    file: "globalmetricsprovider-static.json",
    create: (c, d) =>
      c.metricsProviders.createMetricsProvider({ namespace: nsOf(d), metricsProvider: MetricsProvider.fromJSON({ ...d, kind: "MetricsProvider" }) }),
    update: async (c, v, d) => {
      const created = await c.metricsProviders.createMetricsProvider({
        namespace: nsOf(v),
        metricsProvider: MetricsProvider.fromJSON({ ...v, kind: "MetricsProvider" }),
      });
      const body = MetricsProvider.fromJSON({ ...d, kind: "MetricsProvider" });
      body.metadata = { ...created.metadata!, labels: body.metadata!.labels };
      return c.metricsProviders.updateMetricsProvider({ namespace: nsOf(v), name: nameOf(v), metricsProvider: body });
    },
    cases: providerCases,
  },
];

describe("validation over gRPC", () => {
  let etcd: EtcdProcess;
  let api: ApiHarness;
  useApi((started) => ({ etcd, api } = started));

  /** The trailer exactly as it travels: a JSON list of {field, message}. */
  function fieldErrors(err: { metadata?: { get(key: string): unknown[] } }): { field: string; message: string }[] {
    const raw = err.metadata?.get("krake-field-errors")[0];
    expect(raw, "krake-field-errors trailer").to.be.a("string");
    const parsed = JSON.parse(raw as string) as unknown;
    expect(parsed).to.be.an("array");
    for (const e of parsed as Json[]) {
      expect(Object.keys(e).sort()).to.deep.equal(["field", "message"]);
      expect(e["message"]).to.be.a("string").and.not.equal("");
    }
    return parsed as { field: string; message: string }[];
  }

  /** The fixture with a unique name and namespace (global kinds drop the namespace). */
  function document(file: string): Json {
    const doc = krakeDocument(file);
    const m = metadataOf(doc);
    m["name"] = `v-${uniqueId()}`;
    m["namespace"] = `ns-${uniqueId()}`;
    return doc;
  }

  for (const k of kinds) {
    describe(k.kind, () => {
      it("accepts the valid fixture", async () => {
        await k.create(api.clients, document(k.file));
      });

      for (const c of k.cases) {
        it(`rejects ${c.name} on create`, async () => {
          const doc = document(k.file);
          c.mutate(doc);
          const err = await expectCode(k.create(api.clients, doc), Status.INVALID_ARGUMENT);
          expect(fieldErrors(err).map((e) => e.field)).to.deep.equal(c.fields);
          expect(err.metadata.get("krake-reason")).to.deep.equal(["Invalid"]);
          for (const field of c.fields) expect(err.details).to.contain(field);
        });
      }

      const specCase = k.cases.find((c) => c.fields.every((f) => !f.startsWith("metadata.")));
      if (specCase) {
        it(`rejects ${specCase.name} on update`, async () => {
          const valid = document(k.file);
          const invalid = structuredClone(valid);
          specCase.mutate(invalid);
          const err = await expectCode(k.update(api.clients, valid, invalid), Status.INVALID_ARGUMENT);
          expect(fieldErrors(err).map((e) => e.field)).to.deep.equal(specCase.fields);
        });
      }
    });
  }
});
