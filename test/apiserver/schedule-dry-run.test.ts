/**
 * ScheduleApplication, the scheduler's dry run, on a real krake-api over a
 * real etcd: over gRPC and REST it answers with the decision the scheduler's
 * core makes from the same clusters and metric values (two ONLINE clusters
 * scored by a static GlobalMetricsProvider's two GlobalMetrics, one OFFLINE
 * cluster filtered out), writes nothing, checks the Application as Create
 * does, answers an empty namespace with "none", needs its own permission,
 * and a running krake-scheduler then places the created Application where
 * the dry run said.
 */
import { readFileSync } from "node:fs";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { expect } from "chai";
import { GlobalMetric } from "../../gen/krake/core/v1/metric.js";
import { GlobalMetricsProvider } from "../../gen/krake/core/v1/metrics_provider.js";
import { Application, SchedulingDecision } from "../../gen/krake/kubernetes/v1/application.js";
import { Cluster, ClusterStatus, ClusterStatus_State as ClusterState } from "../../gen/krake/kubernetes/v1/cluster.js";
import { defaultConfig, validateConfig } from "../../src/apiserver/config.js";
import { applicationKind } from "../../src/kinds/index.js";
import { buildCandidates, decide, decisionStatus, defaultSchedulingPolicy } from "../../src/scheduling/index.js";
import type { MetricReading } from "../../src/scheduling/index.js";
import { spawnController } from "../controller/support/controller-process.js";
import { poll } from "../controller/support/observe.js";
import { expectCode, startApi, uniquePrefix, useApi } from "../fixtures/api.js";
import type { ApiHarness } from "../fixtures/api.js";
import type { EtcdProcess } from "../fixtures/etcd.js";
import { bootstrapInto } from "../auth/support/secure-api.js";
import { expectProblem, rest } from "../gateway/helpers.js";
import type { Json } from "../gateway/helpers.js";
import { timestampToMillis } from "../../src/kinds/timestamp.js";

const ns = "dry";
const clusterDoc = JSON.parse(readFileSync("test/fixtures/krake/cluster.json", "utf8")) as unknown;
const appDoc = JSON.parse(readFileSync("test/fixtures/krake/application.json", "utf8")) as Json;

function cluster(name: string, metric: string): Cluster {
  const c = Cluster.fromJSON(clusterDoc);
  c.metadata = { ...c.metadata!, name, namespace: ns, labels: { tier: name } };
  c.spec!.metrics = [{ name: metric, weight: 1, namespaced: false }];
  return c;
}

/** Krake's JSON of an Application asking for no particular labels or metrics. */
function appJson(name: string, labels: string[] = []): Json {
  const spec = appDoc.spec as Json;
  return { ...appDoc, metadata: { name }, spec: { ...spec, constraints: { migration: true, cluster: { labels, custom_resources: [], metrics: [] } } } };
}

const app = (name: string, labels: string[] = []): Application => Application.fromJSON(appJson(name, labels));

/** A decision without its time (two decisions of the same inputs differ only there). */
function timeless(d: SchedulingDecision): Omit<SchedulingDecision, "time"> {
  const { time: _time, ...rest } = d;
  return rest;
}

describe("ScheduleApplication: the scheduler's dry run", function () {
  this.timeout(60_000);
  let etcd: EtcdProcess;
  let api: ApiHarness;
  useApi((started) => ({ etcd, api } = started));

  const dryRun = (namespace: string, application: Application) =>
    api.connection.client(applicationKind).action<SchedulingDecision>("schedule", namespace, application);

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
    for (const [name, metric, state] of [["c-fast", "fast", ClusterState.ONLINE], ["c-slow", "slow", ClusterState.ONLINE], ["c-off", "fast", ClusterState.OFFLINE]] as const) {
      const created = await api.clients.clusters.createCluster({ namespace: ns, cluster: cluster(name, metric), blocking: "" });
      created.status = ClusterStatus.fromPartial({ ...created.status, state });
      await api.clients.clusters.updateClusterStatus({ namespace: ns, name, cluster: created });
    }
  });

  it("answers over gRPC with the decision the scheduler's core makes from the same clusters and metric values", async () => {
    const decision = await dryRun(ns, app("web"));
    expect([decision.action, decision.reasonCode, decision.chosen?.name]).to.deep.equal(["place", "Placed", "c-fast"]);
    expect(decision.score, "0.9·1 / (1 + 0.1): a new Application has no current cluster").to.be.closeTo(0.9 / 1.1, 1e-9);
    expect(decision.scored.map((s) => s.cluster?.name)).to.deep.equal(["c-fast", "c-slow"]);
    expect(decision.filtered.map((f) => [f.cluster?.name, f.filter])).to.deep.equal([["c-off", "state"]]);

    // The scheduler's inputs, built here independently: the clusters as listed, the provider's values.
    const clusters = (await api.clients.clusters.listClusters({ namespace: ns, labelSelector: "", limit: 0, continue: "" })).items;
    const now = new Date();
    const values = new Map<string, MetricReading>(
      Object.entries({ fast: 0.9, slow: 0.2 }).map(([m, value]) => [m, { definition: { min: 0, max: 1, allowedValues: [] }, value, observedAt: now }]),
    );
    const web = app("web");
    web.metadata!.namespace = ns; // the request's namespace, as Create sets it
    const expected = decide(web, buildCandidates(clusters), values, now, defaultSchedulingPolicy);
    expect(timeless(decision)).to.deep.equal(timeless(decisionStatus(expected)));
    expect(Math.abs(timestampToMillis(decision.time!) - now.getTime())).to.be.lessThan(10_000);
  });

  it("answers over REST with the same decision, in Krake's JSON", async () => {
    const res = await rest(api, "POST", `/kubernetes/namespaces/${ns}/applications/-/schedule`, appJson("web"));
    expect(res.status, res.text).to.equal(200);
    const grpc = await dryRun(ns, app("web"));
    expect(timeless(SchedulingDecision.fromJSON(res.json))).to.deep.equal(timeless(grpc));
    expect(res.json.reason_code).to.equal("Placed");
    expect((res.json.chosen as Json).name).to.equal("c-fast");
    expect(((res.json.filtered as Json[])[0].cluster as Json).name).to.equal("c-off");
  });

  it("writes nothing: the store's revision does not move, and the Application does not exist", async () => {
    const before = await api.store.currentRevision();
    await dryRun(ns, app("ghost"));
    await rest(api, "POST", `/kubernetes/namespaces/${ns}/applications/-/schedule`, appJson("ghost"));
    await expectCode(dryRun(ns, app("invalid", ["location in (DE"])), GrpcStatus.INVALID_ARGUMENT);
    expect(await api.store.currentRevision()).to.equal(before);
    await expectCode(api.clients.applications.getApplication({ namespace: ns, name: "ghost" }), GrpcStatus.NOT_FOUND);
  });

  it("checks the Application as Create does: a constraint that does not parse is INVALID_ARGUMENT, 422 over REST", async () => {
    const err = await expectCode(dryRun(ns, app("bad", ["location in (DE"])), GrpcStatus.INVALID_ARGUMENT);
    expect(err.metadata.get("krake-field-errors").join("")).to.include("spec.constraints.cluster.labels[0]");
    const res = await rest(api, "POST", `/kubernetes/namespaces/${ns}/applications/-/schedule`, appJson("bad", ["location in (DE"]));
    const problem = expectProblem(res, 422, "INVALID_ARGUMENT");
    expect(JSON.stringify(problem)).to.include("spec.constraints.cluster.labels[0]");
    const noSpec = await rest(api, "POST", `/kubernetes/namespaces/${ns}/applications/-/schedule`, { metadata: { name: "empty" } });
    expectProblem(noSpec, 422, "INVALID_ARGUMENT");
  });

  it("answers an empty namespace with no cluster found, not NOT_FOUND", async () => {
    const decision = await dryRun("nobody-here", app("web"));
    expect([decision.action, decision.reasonCode, decision.chosen]).to.deep.equal(["none", "NoClusterFound", undefined]);
    expect([decision.scored, decision.filtered]).to.deep.equal([[], []]);
    const res = await rest(api, "POST", "/kubernetes/namespaces/nobody-here/applications/-/schedule", appJson("web"));
    expect(res.status, res.text).to.equal(200);
    expect([res.json.action, res.json.reason_code, res.json.chosen]).to.deep.equal(["none", "NoClusterFound", null]);
  });

  it("needs create on applications/schedule: a user who may create Applications is refused (403)", async () => {
    const prefix = uniquePrefix();
    await bootstrapInto(etcd, prefix, [
      "api: core", "kind: Role", "metadata: {name: creator}",
      "rules: [{api: kubernetes, resources: [applications], namespaces: [dry], verbs: [create, get, list, watch]}]",
      "---", "api: core", "kind: RoleBinding", "metadata: {name: creator}", "users: [planner]", "roles: [creator]",
    ].join("\n"));
    const other = await startApi(etcd, {
      authentication: { allowAnonymous: false, allowStaticOnNetwork: false, providers: [{ type: "static", name: "planner" }] },
      authorization: "rbac",
    }, prefix);
    try {
      const err = await expectCode(other.connection.client(applicationKind).action("schedule", ns, app("web")), GrpcStatus.PERMISSION_DENIED);
      expect(err.details).to.include("create kubernetes/applications/schedule");
      const res = await rest(other, "POST", `/kubernetes/namespaces/${ns}/applications/-/schedule`, appJson("web"));
      expectProblem(res, 403, "PERMISSION_DENIED");
      // the same user may create the Application itself
      await other.clients.applications.createApplication({ namespace: ns, application: app("web"), blocking: "" });
    } finally {
      await other.stop();
    }
  });

  it("krake-scheduler then places the created Application where the dry run said", async () => {
    const said = await dryRun(ns, app("placed"));
    const scheduler = spawnController("bin/krake-scheduler.js", [
      "--api_endpoint", api.address, "--http.port", "0", "--lease.enabled", "false", "--scheduler.metrics_cycle_ms", "0",
    ]);
    try {
      await api.clients.applications.createApplication({ namespace: ns, application: app("placed"), blocking: "" });
      const get = () => api.clients.applications.getApplication({ namespace: ns, name: "placed" });
      await poll(async () => (await get()).status?.scheduledTo?.name !== undefined, "placed is bound");
      expect((await get()).status?.scheduledTo?.name).to.equal(said.chosen?.name);
      await poll(async () => (await get()).status?.scheduling !== undefined, "the decision stored");
      const stored = (await get()).status!.scheduling!;
      expect(stored.scored.map((s) => s.cluster?.name)).to.deep.equal(said.scored.map((s) => s.cluster?.name));
      expect(stored.filtered).to.deep.equal(said.filtered);
    } finally {
      await scheduler.stop();
    }
  });

  it("krake-api refuses scheduling settings the scheduler would refuse, at startup", () => {
    const config = (scheduling: Partial<typeof defaultConfig.scheduling>) => ({ ...defaultConfig, scheduling: { ...defaultConfig.scheduling, ...scheduling } });
    expect(() => validateConfig(config({}))).to.not.throw();
    expect(() => validateConfig(config({ explainLimit: -1 }))).to.throw(/scheduling: .*limit must be an integer ≥ 0/);
    expect(() => validateConfig(config({ providerTimeoutMs: 0 }))).to.throw(/scheduling.provider_timeout_ms must be a positive number/);
  });
});
