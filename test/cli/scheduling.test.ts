/**
 * `krakectl kube app create … --dry-run` and `krakectl kube app explain` as a
 * child process against a real krake-api and etcd: the scheduler's dry run
 * and an Application's status.scheduling, as a table and as Krake's JSON.
 * Two ONLINE clusters are scored by a static provider's metrics, an OFFLINE
 * one is filtered out.
 */
import { readFileSync } from "node:fs";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { expect } from "chai";
import { parse as parseYaml } from "yaml";
import { GlobalMetric } from "../../gen/krake/core/v1/metric.js";
import { GlobalMetricsProvider } from "../../gen/krake/core/v1/metrics_provider.js";
import { Cluster, ClusterStatus, ClusterStatus_State as ClusterState } from "../../gen/krake/kubernetes/v1/cluster.js";
import { applicationKind } from "../../src/kinds/index.js";
import { expectCode, startApi } from "../fixtures/api.js";
import type { ApiHarness } from "../fixtures/api.js";
import { startEtcd } from "../fixtures/etcd.js";
import type { EtcdProcess } from "../fixtures/etcd.js";
import { runCli, show, Workdir } from "./harness.js";
import type { RunOptions, RunResult } from "./harness.js";

const ns = "plan";
const manifest = `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}, "data": {"a": "1"}}`;
const clusterDoc = JSON.parse(readFileSync("test/fixtures/krake/cluster.json", "utf8")) as unknown;

type Wire = Record<string, any>;

describe("krakectl kube app create --dry-run and kube app explain", function () {
  this.timeout(60_000);
  let etcd: EtcdProcess;
  let api: ApiHarness;
  let work: Workdir;
  let file: string;

  const cli = (args: string[], options: RunOptions = {}): Promise<RunResult> =>
    runCli(work, args, { ...options, env: { KRAKECTL_API_URL: api.address, ...options.env } });
  const ok = async (args: string[]): Promise<string> => {
    const r = await cli(args);
    expect(r.code, show(r)).to.equal(0);
    return r.stdout;
  };

  before(async () => {
    etcd = await startEtcd();
    api = await startApi(etcd);
    work = await Workdir.create();
    file = await work.write("cm.json", manifest);
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
    for (const [name, metric, state] of [["c-fast", "fast", ClusterState.ONLINE], ["c-slow", "slow", ClusterState.ONLINE], ["c-off", "fast", ClusterState.OFFLINE]] as const) {
      const c = Cluster.fromJSON(clusterDoc);
      c.metadata = { ...c.metadata!, name, namespace: ns, labels: {} };
      c.spec!.metrics = [{ name: metric, weight: 1, namespaced: false }];
      const created = await api.clients.clusters.createCluster({ namespace: ns, cluster: c, blocking: "" });
      created.status = ClusterStatus.fromPartial({ ...created.status, state });
      await api.clients.clusters.updateClusterStatus({ namespace: ns, name, cluster: created });
    }
  });
  after(async () => {
    await api?.stop();
    await etcd?.remove();
    await work?.remove();
  });

  it("--dry-run prints the decision as a table and creates nothing", async () => {
    const out = await ok(["kube", "app", "create", "web", "-f", file, "-n", ns, "--dry-run"]);
    expect(out).to.match(/^action:\s+place$/m);
    expect(out).to.match(/^chosen:\s+plan\/c-fast$/m);
    expect(out).to.match(/^score:\s+0\.8182$/m);
    expect(out).to.match(/^components:\s+fast=0\.9 \(0\.9 of its range, weight 1\)$/m);
    expect(out).to.match(/^\s+stickiness=0 \(weight 0\.1\)$/m);
    expect(out).to.match(/^reason:\s+Placed: /m);
    const scored = out.slice(out.indexOf("Scored clusters:"), out.indexOf("Filtered clusters:"));
    expect(scored).to.match(/^CLUSTER\s+SCORE\s+COMPONENTS$/m);
    expect(scored).to.match(/^plan\/c-fast\s+0\.8182\s+fast=0\.9 \(0\.9 of its range, weight 1\), stickiness=0 \(weight 0\.1\)$/m);
    expect(scored).to.match(/^plan\/c-slow\s+0\.1818\s+slow=0\.2/m);
    const filtered = out.slice(out.indexOf("Filtered clusters:"));
    expect(filtered).to.match(/^CLUSTER\s+FILTER\s+DETAIL$/m);
    expect(filtered).to.match(/^plan\/c-off\s+state\s+.*OFFLINE/m);
    await expectCode(api.clients.applications.getApplication({ namespace: ns, name: "web" }), GrpcStatus.NOT_FOUND);
  });

  it("--dry-run -o json|yaml prints the SchedulingDecision in Krake's JSON", async () => {
    const d = JSON.parse(await ok(["kube", "app", "create", "web", "-f", file, "-n", ns, "--dry-run", "-o", "json"])) as Wire;
    expect([d.action, d.reason_code, d.chosen.name, d.chosen.namespace]).to.deep.equal(["place", "Placed", "c-fast", ns]);
    expect(d.score).to.be.closeTo(0.9 / 1.1, 1e-9);
    expect(d.scored.map((s: Wire) => s.cluster.name)).to.deep.equal(["c-fast", "c-slow"]);
    expect(d.filtered.map((f: Wire) => [f.cluster.name, f.filter])).to.deep.equal([["c-off", "state"]]);
    expect(d).to.include({ more_scored: 0, more_filtered: 0 });
    const y = parseYaml(await ok(["kube", "app", "create", "web", "-f", file, "-n", ns, "--dry-run", "-o", "yaml"])) as Wire;
    expect(y.chosen).to.deep.equal(d.chosen);
  });

  it("--dry-run with constraints that fit nowhere says so; an invalid one is refused as Create refuses it", async () => {
    const none = await ok(["kube", "app", "create", "web", "-f", file, "-n", ns, "--dry-run", "-L", "tier is gpu"]);
    expect(none).to.match(/^action:\s+none$/m);
    expect(none).to.match(/^chosen:\s+<none>$/m);
    expect(none).to.match(/^reason:\s+NoClusterFound: /m);
    expect(none).to.include("No cluster passed every filter.");
    const bad = await cli(["kube", "app", "create", "web", "-f", file, "-n", ns, "--dry-run", "-L", "location in (DE"]);
    expect(bad.code, show(bad)).to.equal(7);
    expect(bad.stderr).to.include("spec.constraints.cluster.labels[0]");
    const waits = await cli(["kube", "app", "create", "web", "-f", file, "-n", ns, "--dry-run", "--wait"]);
    expect(waits.code, show(waits)).to.equal(2);
    expect(waits.stderr).to.include("--dry-run creates nothing to --wait for");
  });

  it("explain says an Application is not scheduled yet, then shows its status.scheduling like the dry run", async () => {
    await ok(["kube", "app", "create", "web", "-f", file, "-n", ns]);
    expect(await ok(["kube", "app", "explain", "web", "-n", ns])).to.equal("Application web is not scheduled yet.\n");
    expect(JSON.parse(await ok(["kube", "app", "explain", "web", "-n", ns, "-o", "json"]))).to.equal(null);

    // What the scheduler would write: the dry run's decision, stored in the status.
    const app = await api.clients.applications.getApplication({ namespace: ns, name: "web" });
    const decision = await api.connection.client(applicationKind).action<NonNullable<typeof app.status>["scheduling"]>("schedule", ns, app);
    app.status!.scheduling = decision;
    await api.clients.applications.updateApplicationStatus({ namespace: ns, name: "web", application: app });

    const table = await ok(["kube", "app", "explain", "web", "-n", ns]);
    expect(table).to.match(/^chosen:\s+plan\/c-fast$/m);
    expect(table).to.match(/^plan\/c-slow\s+0\.1818/m);
    expect(table).to.match(/^plan\/c-off\s+state/m);
    const dryRunTable = await ok(["kube", "app", "create", "web", "-f", file, "-n", ns, "--dry-run"]);
    const withoutTime = (s: string) => s.replace(/^decided:.*$/m, "");
    expect(withoutTime(table)).to.equal(withoutTime(dryRunTable));
    const stored = JSON.parse(await ok(["kube", "app", "explain", "web", "-n", ns, "-o", "json"])) as Wire;
    const got = JSON.parse(await ok(["kube", "app", "get", "web", "-n", ns, "-o", "json"])) as Wire;
    expect(stored).to.deep.equal(got.status.scheduling);
    expect(stored.chosen.name).to.equal("c-fast");
  });

  it("explain of a missing Application is NOT_FOUND (exit 3)", async () => {
    const r = await cli(["kube", "app", "explain", "nothing", "-n", ns]);
    expect(r.code, show(r)).to.equal(3);
  });
});
