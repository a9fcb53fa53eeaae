/**
 * `krakectl kube cluster …`, `core …` and `apply` as a child process against a
 * real krake-api and etcd.
 */
import { expect } from "chai";
import { readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { startApi } from "../fixtures/api.js";
import type { ApiHarness } from "../fixtures/api.js";
import { startEtcd } from "../fixtures/etcd.js";
import type { EtcdProcess } from "../fixtures/etcd.js";
import { runCli, show, Workdir } from "./harness.js";
import type { RunOptions, RunResult } from "./harness.js";

type Wire = Record<string, any>;

const kubeconfig = `apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev-cluster
  cluster: {server: "https://127.0.0.1:6443", certificate-authority: certs/ca.crt}
- name: edge-1
  cluster: {server: "https://10.0.0.1:6443", certificate-authority-data: ZWRnZQ==}
contexts:
- name: dev
  context: {cluster: dev-cluster, user: dev-user}
- name: edge
  context: {cluster: edge-1, user: edge-user}
users:
- name: dev-user
  user: {token: dev-token}
- name: edge-user
  user: {client-certificate-data: Y2VydA==, client-key-data: a2V5}
`;

describe("krakectl kube cluster, core and apply", function () {
  this.timeout(60_000);
  let etcd: EtcdProcess;
  let api: ApiHarness;
  let work: Workdir;

  const cli = (args: string[], options: RunOptions = {}): Promise<RunResult> =>
    runCli(work, args, { ...options, env: { KRAKECTL_API_URL: api.address, KRAKECTL_USER: "team-a", ...options.env } });
  const ok = async (args: string[], options: RunOptions = {}): Promise<RunResult> => {
    const r = await cli(args, options);
    expect(r.code, show(r)).to.equal(0);
    return r;
  };
  const json = async (args: string[]): Promise<Wire> => JSON.parse((await ok([...args, "-o", "json"])).stdout) as Wire;

  before(async () => {
    etcd = await startEtcd();
    api = await startApi(etcd);
    work = await Workdir.create();
    await work.write("kubeconfig.yaml", kubeconfig);
    await mkdir(work.path("certs"));
    await work.write("certs/ca.crt", "-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n");
  });
  after(async () => {
    await api?.stop();
    await etcd?.remove();
    await work?.remove();
  });

  describe("kube cluster", () => {
    it("registers a cluster from a kubeconfig: one context, certificates inlined, Krake's flags", async () => {
      const c = await json([
        "kube", "cluster", "register", "-k", "kubeconfig.yaml",
        "-l", "location=DE", "-m", "heat-demand", "0.5", "--global-metric", "load", "1", "-R", "crontabs.stable.example.com",
      ]);
      expect(c.metadata).to.include({ name: "dev-cluster", namespace: "team-a" });
      expect(c.metadata.labels).to.deep.equal({ location: "DE" });
      expect(c.spec.metrics).to.deep.equal([
        { name: "heat-demand", weight: 0.5, namespaced: true },
        { name: "load", weight: 1, namespaced: false },
      ]);
      expect(c.spec.custom_resources).to.deep.equal(["crontabs.stable.example.com"]);
      const kc = c.spec.kubeconfig as Wire;
      expect(kc["current-context"]).to.equal("dev");
      expect(kc.contexts.map((x: Wire) => x.name)).to.deep.equal(["dev"]);
      expect(kc.users.map((x: Wire) => x.name)).to.deep.equal(["dev-user"]);
      expect(kc.clusters[0].cluster).to.deep.equal({
        server: "https://127.0.0.1:6443",
        "certificate-authority-data": readFileSync(work.path("certs/ca.crt")).toString("base64"),
      });
      expect(c.status.state).to.equal("PENDING");
      const stored = await api.clients.clusters.getCluster({ namespace: "team-a", name: "dev-cluster" });
      expect(stored.spec!.kubeconfig!.contexts).to.have.length(1);
    });

    it("registers another context under another name, and refuses a context that is not there", async () => {
      const c = await json(["kube", "cluster", "register", "-k", "kubeconfig.yaml", "-c", "edge", "-n", "team-b"]);
      expect(c.metadata.name).to.equal("edge-1");
      expect(c.spec.kubeconfig.users[0].user).to.deep.equal({ "client-certificate-data": "Y2VydA==", "client-key-data": "a2V5" });
      const named = await json(["kube", "cluster", "register", "-k", "kubeconfig.yaml", "-c", "edge", "--name", "edge-2", "-n", "team-b"]);
      expect(named.metadata.name).to.equal("edge-2");
      const r = await cli(["kube", "cluster", "register", "-k", "kubeconfig.yaml", "-c", "prod"]);
      expect(r.code, show(r)).to.equal(2);
      expect(r.stderr).to.equal("error: the context 'prod' is not in kubeconfig.yaml (contexts: dev, edge)\n");
    });

    it("creates a cluster from a TOSCA template with cloud constraints", async () => {
      const tosca = await work.write("cluster-tosca.yaml", "tosca_definitions_version: tosca_simple_yaml_1_0\ntopology_template:\n  outputs:\n    kubeconfig: {value: x}\n");
      const c = await json(["kube", "cluster", "create", "made", "-f", tosca, "-L", "location=DE", "-M", "green > 0.5", "--inherit-metrics", "--inherit-labels"]);
      expect(c.spec.constraints).to.deep.equal({ cloud: { labels: ["location=DE"], metrics: ["green > 0.5"] } });
      expect(c.spec.inherit_metrics).to.equal(true);
      expect(c.metadata.inherit_labels).to.equal(true);
      expect(c.spec.tosca.topology_template.outputs.kubeconfig).to.deep.equal({ value: "x" });
    });

    it("lists, gets and updates clusters", async () => {
      const list = (await ok(["kube", "cluster", "list"])).stdout;
      expect(list.split("\n")[0]).to.match(/^NAME\s+NAMESPACE\s+STATE\s+NODES\s+AGE$/);
      expect(list).to.match(/^dev-cluster\s+team-a\s+PENDING\s+<none>\s+\d+s$/m);
      expect(list).not.to.contain("edge-1");
      const all = (await json(["kube", "cluster", "list", "-a"])) as unknown as Wire[];
      expect(all.map((c) => c.metadata.name).sort()).to.deep.equal(["dev-cluster", "edge-1", "edge-2", "made"]);
      const detail = (await ok(["kube", "cluster", "get", "dev-cluster"])).stdout;
      expect(detail).to.match(/^metrics:\s+heat-demand \(weight 0\.5\)\n\s+load \(weight 1, global\)$/m);
      const updated = await json(["kube", "cluster", "update", "dev-cluster", "-l", "tier=gold", "--remove-existing-metrics", "-m", "green", "2"]);
      expect(updated.metadata.labels).to.deep.equal({ location: "DE", tier: "gold" });
      expect(updated.spec.metrics).to.deep.equal([{ name: "green", weight: 2, namespaced: true }]);
      const yaml = parseYaml((await ok(["kube", "cluster", "get", "dev-cluster", "-o", "yaml"])).stdout) as Wire;
      expect(yaml.spec.metrics).to.deep.equal(updated.spec.metrics);
    });

    it("deletes clusters, with --force at once", async () => {
      await ok(["kube", "cluster", "delete", "edge-2", "-n", "team-b", "--force"]);
      const r = await cli(["kube", "cluster", "get", "edge-2", "-n", "team-b"]);
      expect(r.code, show(r)).to.equal(3);
      const marked = await json(["kube", "cluster", "delete", "made"]);
      expect(marked.metadata.deleted).to.be.a("string");
    });
  });

  describe("core", () => {
    it("manages global metrics providers and global metrics with Krake's flags", async () => {
      const p = await json(["core", "gmp", "create", "prometheus", "--type", "prometheus", "--url", "http://prometheus:9090"]);
      expect(p.spec).to.deep.equal({ type: "prometheus", prometheus: { url: "http://prometheus:9090" } });
      expect(p.metadata.namespace).to.equal("");
      const influx = await cli(["core", "gmp", "create", "influx", "--type", "influx", "--url", "http://influx"]);
      expect(influx.code, show(influx)).to.equal(2);
      expect(influx.stderr).to.equal("error: metrics provider type 'influx' requires --token\n");
      await ok(["core", "globalmetricsprovider", "create", "influx", "--type", "influx", "--url", "http://influx", "--token", "t", "--org", "o", "--bucket", "b"]);
      const m = await json(["core", "gm", "create", "load", "--gmp-name", "prometheus", "--min", "0", "--max", "10", "--allowed-values", "5", "1"]);
      expect(m.spec).to.deep.equal({ allowed_values: [1, 5], min: 0, max: 10, provider: { name: "prometheus", metric: "load" } });
      const list = (await ok(["core", "globalmetric", "list"])).stdout;
      expect(list).to.match(/^NAME\s+PROVIDER\s+METRIC\s+MIN\s+MAX\s+AGE\nload\s+prometheus\s+load\s+0\s+10\s+\d+s\n$/);
      const updated = await json(["core", "gmetric", "update", "load", "--max", "20", "--metric-name", "node_load1"]);
      expect(updated.spec).to.include({ max: 20, min: 0 });
      expect(updated.spec.provider.metric).to.equal("node_load1");
      const nothing = await cli(["core", "gm", "update", "load"]);
      expect(nothing.code, show(nothing)).to.equal(2);
      const providers = (await json(["core", "gmp", "list"])) as unknown as Wire[];
      expect(providers.map((x) => x.metadata.name).sort()).to.deep.equal(["influx", "prometheus"]);
      const detail = (await ok(["core", "gmp", "get", "influx"])).stdout;
      expect(detail).to.match(/^type:\s+influx$/m).and.match(/^bucket:\s+b$/m).and.not.match(/^table:/m);
      // Without a garbage collector, deletion only marks the objects.
      const deleted = await json(["core", "gm", "delete", "load"]);
      expect(deleted.metadata.deleted).to.be.a("string");
      expect(deleted.metadata.finalizers).to.deep.equal(["cascade_deletion"]);
      expect((await ok(["core", "gmp", "delete", "influx"])).stdout).to.match(/^deleted:\s+\d{4}-/m);
    });

    it("manages namespaced metrics providers and metrics", async () => {
      // Krake's order: the name after a two-value option.
      const p = await json(["core", "mp", "create", "--type", "static", "-m", "heat", "0.4", "--static-metric", "load=0.1", "static-1"]);
      expect(p.metadata).to.include({ name: "static-1", namespace: "team-a" });
      expect(p.spec.static.metrics).to.deep.equal({ heat: 0.4, load: 0.1 });
      const bad = await cli(["core", "mp", "update", "static-1", "--url", "http://nope"]);
      expect(bad.code, show(bad)).to.equal(2);
      expect(bad.stderr).to.equal("error: --url is not a valid flag for metrics providers of type static\n");
      const u = await json(["core", "mp", "update", "static-1", "-m", "heat", "0.9"]);
      expect(u.spec.static.metrics).to.deep.equal({ heat: 0.9 });
      const kafka = await json(["core", "metricsprovider", "create", "k", "--type", "kafka", "--url", "http://ksql", "--table", "t", "--comparison-column", "c", "--value-column", "v", "-n", "team-b"]);
      expect(kafka.spec.kafka).to.deep.equal({ comparison_column: "c", value_column: "v", table: "t", url: "http://ksql" });
      const m = await json(["core", "metric", "create", "heat", "--mp-name", "static-1", "--min", "0", "--max", "1"]);
      expect(m.spec.provider).to.deep.equal({ name: "static-1", metric: "heat" });
      const list = (await ok(["core", "metric", "list", "-a"])).stdout;
      expect(list).to.match(/^heat\s+team-a\s+static-1\s+heat\s+0\s+1\s+\d+s$/m);
      const mps = (await ok(["core", "mp", "list", "-a"])).stdout;
      expect(mps).to.match(/^static-1\s+team-a\s+static\s+heat=0\.9\s/m).and.match(/^k\s+team-b\s+kafka\s+http:\/\/ksql\s/m);
      await ok(["core", "metric", "update", "heat", "--min", "-1"]);
      expect((await api.clients.metrics.getMetric({ namespace: "team-a", name: "heat" })).spec!.min).to.equal(-1);
      await ok(["core", "metric", "delete", "heat"]);
      await ok(["core", "mp", "delete", "k", "-n", "team-b"]);
    });

    it("manages roles and role bindings", async () => {
      const role = await json(["core", "role", "create", "viewer", "--api", "kubernetes", "--resource", "applications,clusters", "--verb", "get", "--verb", "list", "--rule-namespace", "team-a"]);
      expect(role.rules).to.deep.equal([{ api: "kubernetes", resources: ["applications", "clusters"], namespaces: ["team-a"], verbs: ["get", "list"] }]);
      const bad = await cli(["core", "role", "create", "bad", "--resource", "applications", "--verb", "fly"]);
      expect(bad.code, show(bad)).to.equal(7);
      expect(bad.stderr).to.match(/^error: .*rules\[0\]\.verbs\[0\]/);
      const rb = await json(["core", "rolebinding", "create", "viewers", "--users", "alice,bob", "--roles", "viewer"]);
      expect(rb).to.include.keys("users", "roles");
      expect(rb.users).to.deep.equal(["alice", "bob"]);
      expect((await ok(["core", "role", "list"])).stdout).to.match(/^viewer\s+1\s+\d+s$/m);
      expect((await ok(["core", "rb", "list"])).stdout).to.match(/^viewers\s+alice,bob\s+<none>\s+viewer\s+\d+s$/m);
      expect((await ok(["core", "role", "get", "viewer"])).stdout).to.match(
        /^rules:\s+api=kubernetes resources=applications,clusters namespaces=team-a verbs=get,list$/m,
      );
      expect((await json(["core", "rolebinding", "delete", "viewers"])).metadata.deleted).to.be.a("string");
      await ok(["core", "role", "delete", "viewer", "--force"]);
      expect((await api.clients.roles.listRoles({ labelSelector: "", limit: 0, continue: "" })).items).to.have.length(0);
    });

    it("lists, gets and deletes a kind no command group names (Lease), with the common columns", async () => {
      const file = await work.write("lease.yaml", "api: core\nkind: Lease\nmetadata: {name: leader}\nspec: {holder_identity: replica-1, lease_duration_seconds: 15}\n");
      await ok(["apply", "-f", file]);
      const list = (await ok(["core", "lease", "list"])).stdout.split("\n");
      expect(list[0]).to.match(/^NAME\s+NAMESPACE\s+AGE$/);
      expect(list[1]).to.match(/^leader\s+team-a\s+\d+s$/);
      expect((await ok(["core", "lease", "get", "leader"])).stdout).to.match(/^namespace:\s+team-a$/m);
      expect((await json(["core", "lease", "get", "leader"])).spec).to.include({ holder_identity: "replica-1", lease_duration_seconds: 15 });
      expect((await json(["core", "lease", "delete", "leader"])).metadata.deleted).to.be.a("string");
      await ok(["core", "lease", "delete", "leader", "--force"]);
      const gone = await cli(["core", "lease", "get", "leader"]);
      expect(gone.code, show(gone)).to.equal(3);
    });
  });

  describe("apply", () => {
    const objects = (replicas: number, users: string) => `api: core
kind: Role
metadata:
  name: app-operator
rules:
- api: kubernetes
  namespaces: [team-a]
  resources: [applications, applications/status]
  verbs: [create, list, get, update, delete]
---
api: core
kind: RoleBinding
metadata:
  name: app-operator-binding
users: [${users}]
roles: [app-operator]
---
# Krake's wire shape, as krakectl -o yaml prints it
api: kubernetes
kind: Application
metadata:
  name: web
  labels: {app: web}
spec:
  manifest:
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web}
    spec:
      replicas: ${replicas}
      selector: {matchLabels: {app: web}}
      template:
        metadata: {labels: {app: web}}
        spec: {containers: [{name: web, image: nginx}]}
  tosca: {}
  csar: null
  constraints: {migration: true, cluster: {labels: [], custom_resources: [], metrics: []}}
status:
  state: RUNNING
---
api: core
kind: GlobalMetric
metadata: {name: green}
spec: {allowed_values: [], min: 0, max: 1, provider: {name: prometheus, metric: green}}
`;

    it("creates every object of a multi-document file, then updates what changed", async () => {
      const file = await work.write("objects.yaml", objects(2, "alice"));
      const first = await ok(["apply", "-f", file]);
      expect(first.stdout).to.equal(
        "Role app-operator created\nRoleBinding app-operator-binding created\nApplication team-a/web created\nGlobalMetric green created\n",
      );
      const web = await api.clients.applications.getApplication({ namespace: "team-a", name: "web" });
      expect(web.spec!.manifest[0].spec.replicas).to.equal(2);
      expect(web.status!.state).to.equal(0); // status is the server's: PENDING, not the document's RUNNING
      const again = await ok(["apply", "-f", file]);
      expect(again.stdout).to.equal(
        "Role app-operator unchanged\nRoleBinding app-operator-binding unchanged\nApplication team-a/web unchanged\nGlobalMetric green unchanged\n",
      );
      await work.write("objects.yaml", objects(3, "alice, bob"));
      const changed = await ok(["apply", "-f", file, "-o", "json"]);
      const results = JSON.parse(changed.stdout) as Wire[];
      expect(results.map((o) => o.kind)).to.deep.equal(["Role", "RoleBinding", "Application", "GlobalMetric"]);
      expect(results[1].users).to.deep.equal(["alice", "bob"]);
      expect(results[2].spec.manifest[0].spec.replicas).to.equal(3);
      const after = await api.clients.applications.getApplication({ namespace: "team-a", name: "web" });
      expect(after.metadata!.uid).to.equal(web.metadata!.uid);
      expect(after.spec!.manifest[0].spec.replicas).to.equal(3);
      expect(after.spec!.shutdownFailureStrategy).to.equal(web.spec!.shutdownFailureStrategy); // server defaults survive
      const bindings = await api.clients.roleBindings.getRoleBinding({ name: "app-operator-binding" });
      expect(bindings.users).to.deep.equal(["alice", "bob"]);
    });

    it("reads stdin and JSON, and puts namespaced objects in -n", async () => {
      const doc = JSON.stringify({ api: "core", kind: "Metric", metadata: { name: "m1" }, spec: { min: 0, max: 2, provider: { name: "p", metric: "m" } } });
      const r = await ok(["apply", "-f", "-", "-n", "team-c", "-o", "yaml"], { input: doc });
      const [metric] = parseYaml(r.stdout) as Wire[];
      expect(metric.metadata).to.include({ name: "m1", namespace: "team-c" });
      expect((await api.clients.metrics.getMetric({ namespace: "team-c", name: "m1" })).spec!.max).to.equal(2);
    });

    it("checks every document before writing any", async () => {
      const file = await work.write("broken.yaml", `api: core\nkind: Role\nmetadata: {name: never}\nrules: []\n---\napi: core\nkind: Role\nmetadata: {name: typo}\nrulez: []\n`);
      const r = await cli(["apply", "-f", file]);
      expect(r.code, show(r)).to.equal(7);
      expect(r.stderr).to.equal(`error: ${file}#2: invalid Role: cannot decode Role from JSON: key "rulez" is unknown\n`);
      const unknown = await cli(["apply", "-f", "-"], { input: "kind: Spaceship\nmetadata: {name: x}\n" });
      expect(unknown.code, show(unknown)).to.equal(7);
      expect(unknown.stderr).to.match(/^error: stdin: unknown kind Spaceship \(known: [^)]*\bApplication\b[^)]*\bCluster\b/);
      const notYaml = await cli(["apply", "-f", "-"], { input: "kind: [unclosed\n" });
      expect(notYaml.code, show(notYaml)).to.equal(7);
      expect(notYaml.stderr).to.match(/^error: stdin: not valid YAML or JSON: /);
      const roles = await api.clients.roles.listRoles({ labelSelector: "", limit: 0, continue: "" });
      expect(roles.items.map((x) => x.metadata!.name)).not.to.include("never");
    });

    it("reports each object the server refuses and exits with the first failure's code", async () => {
      const file = await work.write("mixed.yaml", `api: core\nkind: Role\nmetadata: {name: fine}\nrules: [{api: "", resources: [roles], namespaces: [], verbs: [get]}]\n---\napi: core\nkind: Role\nmetadata: {name: wrong}\nrules: [{api: "", resources: [roles], namespaces: [], verbs: [fly]}]\n`);
      const r = await cli(["apply", "-f", file]);
      expect(r.code, show(r)).to.equal(7);
      expect(r.stdout).to.equal("Role fine created\n");
      expect(r.stderr).to.match(new RegExp(`^error: ${file}#2: Role "wrong" is invalid: rules\\[0\\]\\.verbs\\[0\\]`, "m"));
      expect(r.stderr).to.match(/^error: 1 of 2 objects were not applied$/m);
    });
  });
});
