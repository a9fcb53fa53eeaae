/**
 * `krakectl kube app …` as a child process against a real krake-api and etcd:
 * every verb, every output format, --watch and --wait.
 */
import { expect } from "chai";
import { parse as parseYaml } from "yaml";
import { Application, ApplicationStatus_State } from "../../gen/krake/kubernetes/v1/application.js";
import { startApi } from "../fixtures/api.js";
import type { ApiHarness } from "../fixtures/api.js";
import { startEtcd } from "../fixtures/etcd.js";
import type { EtcdProcess } from "../fixtures/etcd.js";
import { CliProcess, runCli, show, Workdir } from "./harness.js";
import type { RunOptions, RunResult } from "./harness.js";

const manifests = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: echo
spec:
  replicas: 2
  selector: {matchLabels: {app: echo}}
  template:
    metadata: {labels: {app: echo}}
    spec:
      containers: [{name: echo, image: "hashicorp/http-echo:1.0"}]
---
apiVersion: v1
kind: Service
metadata:
  name: echo
spec:
  type: NodePort
  selector: {app: echo}
  ports: [{port: 5678}]
`;

const oneManifest = `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}, "data": {"a": "1"}}`;

type Wire = Record<string, any>;

describe("krakectl kube app", function () {
  this.timeout(60_000);
  let etcd: EtcdProcess;
  let api: ApiHarness;
  let work: Workdir;
  let file: string;

  const cli = (args: string[], options: RunOptions = {}): Promise<RunResult> =>
    runCli(work, args, { ...options, env: { KRAKECTL_API_URL: api.address, ...options.env } });
  const ok = async (args: string[], options: RunOptions = {}): Promise<RunResult> => {
    const r = await cli(args, options);
    expect(r.code, show(r)).to.equal(0);
    return r;
  };
  const json = async (args: string[]): Promise<Wire> => JSON.parse((await ok([...args, "-o", "json"])).stdout) as Wire;
  const get = (ns: string, name: string) => api.clients.applications.getApplication({ namespace: ns, name });
  const setState = async (ns: string, name: string, state: ApplicationStatus_State) => {
    const app = await get(ns, name);
    app.status!.state = state;
    await api.clients.applications.updateApplicationStatus({ namespace: ns, name, application: app });
  };
  /** Resolves once the application exists (the CLI created it). */
  const waitUntil = async (ns: string, name: string, check: (a: Application) => boolean) => {
    for (let i = 0; i < 300; i++) {
      try {
        if (check(await get(ns, name))) return;
      } catch {
        // not there yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`${ns}/${name} never matched`);
  };

  before(async () => {
    etcd = await startEtcd();
    api = await startApi(etcd);
    work = await Workdir.create();
    file = await work.write("echo.yaml", manifests);
  });
  after(async () => {
    await api?.stop();
    await etcd?.remove();
    await work?.remove();
  });

  it("creates an application from a multi-document YAML file with Krake's flags, printing Krake's JSON", async () => {
    const app = await json([
      "kube", "app", "create", "echo", "-f", file, "-n", "team-a",
      "-l", "app=echo", "-L", "location is DE", "-R", "crontabs.stable.example.com", "-M", "load < 5",
      "--disable-migration", "--hook-complete", "--hook-shutdown", "45", "--backoff", "2", "--backoff_delay", "3", "--backoff-limit", "4",
    ]);
    // Krake's wire shape: snake_case keys, enums by name, defaults written.
    expect(app.kind).to.equal("Application");
    expect(app.metadata).to.include({ name: "echo", namespace: "team-a" });
    expect(app.metadata.labels).to.deep.equal({ app: "echo" });
    expect(app.metadata.resource_version).to.be.a("string").and.not.equal("");
    expect(app.status.state).to.equal("PENDING");
    expect(app.spec.manifest.map((m: Wire) => m.kind)).to.deep.equal(["Deployment", "Service"]);
    expect(app.spec.manifest[0].spec.selector.matchLabels).to.deep.equal({ app: "echo" }); // manifests keep their own keys
    expect(app.spec.constraints).to.deep.equal({
      cluster: { labels: ["location is DE"], custom_resources: ["crontabs.stable.example.com"], metrics: ["load < 5"] },
      migration: false,
    });
    expect(app.spec.hooks).to.deep.equal(["complete", "shutdown"]);
    expect(app.spec).to.include({ shutdown_grace_time: 45, backoff: 2, backoff_delay: 3, backoff_limit: 4, auto_cluster_create: false });
    expect(app.spec.observer_schema).to.deep.equal([]);
    const stored = await get("team-a", "echo");
    expect(stored.metadata!.uid).to.equal(app.metadata.uid);
    expect(stored.spec!.manifest).to.have.length(2);
  });

  it("defaults the namespace to the config's user and reads manifests from stdin", async () => {
    const r = await ok(["kube", "app", "create", "conf", "-f", "-", "--user", "alice"], { input: oneManifest });
    expect(r.stdout).to.match(/^namespace:\s+alice$/m);
    expect((await get("alice", "conf")).spec!.manifest[0].kind).to.equal("ConfigMap");
  });

  it("takes a TOSCA template file, a CSAR URL and an observer schema", async () => {
    const tosca = await work.write("tosca.yaml", "tosca_definitions_version: tosca_simple_yaml_1_0\ntopology_template:\n  node_templates: {}\n");
    const t = await json(["kube", "app", "create", "tosca", "-f", tosca, "-n", "team-t"]);
    expect(t.spec.manifest).to.deep.equal([]);
    expect(t.spec.tosca.tosca_definitions_version).to.equal("tosca_simple_yaml_1_0");
    const c = await json(["kube", "app", "create", "csar", "-u", "http://example.com/app.csar", "-n", "team-t"]);
    expect(c.spec.csar).to.equal("http://example.com/app.csar");
    const schema = await work.write("schema.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: null\n");
    const input = await work.write("cm.json", oneManifest);
    const o = await json(["kube", "app", "create", "observed", "-f", input, "-O", schema, "-n", "team-t"]);
    expect(o.spec.observer_schema).to.deep.equal([{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings" }, data: { a: null } }]);
  });

  it("gets an application as a table, as JSON and as YAML", async () => {
    const table = (await ok(["kube", "app", "get", "echo", "-n", "team-a"])).stdout;
    expect(table).to.match(/^name:\s+echo$/m);
    expect(table).to.match(/^state:\s+PENDING$/m);
    expect(table).to.match(/^label constraints:\s+location is DE$/m);
    expect(table).to.match(/^allow migration:\s+false$/m);
    const asJson = await json(["kube", "app", "get", "echo", "-n", "team-a"]);
    const asYaml = parseYaml((await ok(["kube", "app", "get", "echo", "-n", "team-a", "-o", "yaml"])).stdout) as Wire;
    expect(asYaml).to.deep.equal(asJson);
    expect(asYaml.metadata.name).to.equal("echo");
  });

  it("lists in a namespace, in every namespace and by label, in every format", async () => {
    await ok(["kube", "app", "create", "other", "-f", file, "-n", "team-b", "-l", "app=other"]);
    const table = (await ok(["kube", "app", "list", "-n", "team-a"])).stdout.split("\n");
    expect(table[0]).to.match(/^NAME\s+NAMESPACE\s+STATE\s+CLUSTER\s+AGE$/);
    expect(table[1]).to.match(/^echo\s+team-a\s+PENDING\s+<none>\s+\d+s$/);
    expect(table.filter(Boolean)).to.have.length(2);
    const all = (await ok(["kube", "app", "list", "-a"])).stdout;
    expect(all).to.match(/^echo\s+team-a\s/m).and.match(/^other\s+team-b\s/m);
    const krakeAll = (await ok(["kube", "app", "list", "--all"])).stdout; // Krake's spelling
    expect(krakeAll).to.match(/^echo\s+team-a\s/m).and.match(/^other\s+team-b\s/m);
    const items = (await json(["kube", "app", "list", "-a", "-l", "app=other"])) as unknown as Wire[];
    expect(items.map((i) => i.metadata.name)).to.deep.equal(["other"]);
    const yamlItems = parseYaml((await ok(["kube", "app", "ls", "-n", "team-b", "-o", "yaml"])).stdout) as Wire[];
    expect(yamlItems.map((i) => i.metadata.name)).to.deep.equal(["other"]);
    const empty = await ok(["kube", "app", "list", "-n", "nobody"]);
    expect(empty.stdout).to.equal("");
    expect(empty.stderr).to.contain("No applications found in namespace nobody");
  });

  it("updates only what the flags name, as Krake does", async () => {
    const single = await work.write("single.json", oneManifest);
    const app = await json([
      "kube", "app", "update", "echo", "-n", "team-a", "-l", "tier=web", "--enable-migration", "-M", "heat < 0.9", "-f", single,
    ]);
    expect(app.metadata.labels).to.deep.equal({ app: "echo", tier: "web" });
    expect(app.spec.constraints.migration).to.equal(true);
    expect(app.spec.constraints.cluster.metrics).to.deep.equal(["load < 5", "heat < 0.9"]);
    expect(app.spec.constraints.cluster.labels).to.deep.equal(["location is DE"]);
    expect(app.spec.manifest.map((m: Wire) => m.kind)).to.deep.equal(["ConfigMap"]);
    const cleared = await json(["kube", "app", "update", "echo", "-n", "team-a", "--remove-existing-labels", "--remove-existing-metric-constraints"]);
    expect(cleared.metadata.labels).to.deep.equal({});
    expect(cleared.spec.constraints.cluster.metrics).to.deep.equal([]);
    expect((await get("team-a", "echo")).metadata!.labels).to.deep.equal({});
  });

  it("retries a DEGRADED application and refuses others", async () => {
    const refused = await cli(["kube", "app", "retry", "echo", "-n", "team-a"]);
    expect(refused.code, show(refused)).to.equal(4);
    expect(refused.stderr).to.match(/^error: .*DEGRADED/m);
    await setState("team-a", "echo", ApplicationStatus_State.DEGRADED);
    const r = await ok(["kube", "app", "retry", "echo", "-n", "team-a"]);
    expect(r.stdout).to.match(/^state:\s+WAITING_FOR_CLEANING$/m);
  });

  it("--watch prints the current applications, then changes made by another client, until Ctrl-C", async () => {
    const watch = new CliProcess(work, ["kube", "app", "list", "-n", "watched", "--watch"], { env: { KRAKECTL_API_URL: api.address } });
    try {
      await api.clients.applications.createApplication({
        namespace: "watched",
        application: Application.fromPartial({ metadata: { name: "before" }, spec: { manifest: [JSON.parse(oneManifest)] } }),
        blocking: "",
      });
      await watch.waitForStdout(/^EVENT\s+NAME\s+NAMESPACE\s+STATE/m);
      await watch.waitForStdout(/^ADDED\s+before\s+watched\s+PENDING/m);
      await ok(["kube", "app", "create", "w1", "-f", file, "-n", "watched"]);
      await watch.waitForStdout(/^ADDED\s+w1\s+watched\s+PENDING/m);
      await setState("watched", "w1", ApplicationStatus_State.RUNNING);
      await watch.waitForStdout(/^MODIFIED\s+w1\s+watched\s+RUNNING/m);
      await api.clients.applications.deleteApplication({
        namespace: "watched", name: "w1", resourceVersion: "", force: true, propagationPolicy: "", blocking: "",
      });
      await watch.waitForStdout(/^DELETED\s+w1\s+watched/m);
      const r = await watch.signal("SIGINT");
      expect(r.code, show(r)).to.equal(0);
      expect(r.stdout).not.to.match(/ADDED\s+other/); // other namespaces are not watched
    } finally {
      watch.kill();
    }
  });

  it("--watch -o json prints one Krake watch event per line", async () => {
    await ok(["kube", "app", "create", "j0", "-f", file, "-n", "watched-json"]);
    const watch = new CliProcess(work, ["kube", "app", "list", "-n", "watched-json", "--watch", "-o", "json"], {
      env: { KRAKECTL_API_URL: api.address },
    });
    try {
      await watch.waitForStdout(/"name":"j0"/); // the initial state: the stream is open
      await ok(["kube", "app", "create", "j1", "-f", file, "-n", "watched-json"]);
      const out = await watch.waitForStdout(/"name":"j1"/);
      const events = out.trim().split("\n").map((l) => JSON.parse(l) as Wire);
      expect(events.map((e) => [e.type, e.object.metadata.name])).to.deep.equal([["ADDED", "j0"], ["ADDED", "j1"]]);
      expect(events[1].object.status.state).to.equal("PENDING");
      expect(events[1].object.metadata.namespace).to.equal("watched-json");
      const r = await watch.signal("SIGTERM");
      expect(r.code, show(r)).to.equal(0);
    } finally {
      watch.kill();
    }
  });

  it("create --wait returns once another client sets the state, with the elapsed time", async () => {
    const create = new CliProcess(work, ["kube", "app", "create", "waiter", "-f", file, "-n", "wait", "--wait", "running", "--timeout", "30"], {
      env: { KRAKECTL_API_URL: api.address },
    });
    try {
      await waitUntil("wait", "waiter", () => true);
      await setState("wait", "waiter", ApplicationStatus_State.CREATING);
      await setState("wait", "waiter", ApplicationStatus_State.RUNNING);
      const r = await create.done;
      expect(r.code, show(r)).to.equal(0);
      expect(r.stdout).to.match(/^state:\s+RUNNING$/m);
      expect(r.stderr).to.match(/Application 'waiter' is RUNNING after \d+\.\d s/);
      expect(r.stderr).not.to.contain("\r"); // no spinner without a terminal
    } finally {
      create.kill();
    }
  });

  it("create --wait exits 8 when the state is not reached in time", async () => {
    const started = Date.now();
    const r = await cli(["kube", "app", "create", "slow", "-f", file, "-n", "wait", "--wait", "--timeout", "1"]);
    expect(r.code, show(r)).to.equal(8);
    expect(r.stderr).to.match(/^error: timed out after 1 s waiting for Application 'slow' to be running \(state: PENDING\)$/m);
    expect(Date.now() - started).to.be.below(15_000);
    expect((await get("wait", "slow")).metadata!.name).to.equal("slow"); // it was created
  });

  it("delete --wait returns when the application is gone", async () => {
    await ok(["kube", "app", "create", "doomed", "-f", file, "-n", "wait"]);
    const del = new CliProcess(work, ["kube", "app", "delete", "doomed", "-n", "wait", "--wait", "--timeout", "30", "-o", "json"], {
      env: { KRAKECTL_API_URL: api.address },
    });
    try {
      // Nothing runs the garbage collector here: play it, by emptying the finalizers.
      await waitUntil("wait", "doomed", (a) => a.metadata!.deleted !== undefined);
      // and only once krakectl waits on its watch: before that it would find the object gone at once
      for (let i = 0; api.server.streams.size === 0; i++) {
        if (i > 300) throw new Error("krakectl never watched");
        await new Promise((r) => setTimeout(r, 50));
      }
      const app = await get("wait", "doomed");
      app.metadata!.finalizers = [];
      await api.clients.applications.updateApplication({ namespace: "wait", name: "doomed", application: app });
      const r = await del.done;
      expect(r.code, show(r)).to.equal(0);
      expect(r.stderr).to.match(/Application 'doomed' is deleted after/);
      expect((JSON.parse(r.stdout) as Wire).metadata.deleted).to.be.a("string");
    } finally {
      del.kill();
    }
    const gone = await cli(["kube", "app", "get", "doomed", "-n", "wait"]);
    expect(gone.code, show(gone)).to.equal(3);
  });

  it("deletes (marking for deletion) and force-deletes", async () => {
    const marked = await ok(["kube", "app", "delete", "other", "-n", "team-b"]);
    expect(marked.stdout).to.match(/^deleted:\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/m);
    expect((await get("team-b", "other")).metadata!.finalizers).to.include("cascade_deletion");
    await ok(["kube", "app", "rm", "other", "-n", "team-b", "--force"]);
    const gone = await cli(["kube", "app", "get", "other", "-n", "team-b"]);
    expect(gone.code, show(gone)).to.equal(3);
    expect(gone.stderr).to.match(/^error: .*'other' does not exist in namespace 'team-b'$/m);
  });
});
