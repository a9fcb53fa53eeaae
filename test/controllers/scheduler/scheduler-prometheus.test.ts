/**
 * krake-scheduler as a real process, deciding with metrics from a real
 * Prometheus (scraping a real Pushgateway) through a GlobalMetricsProvider of
 * type prometheus, against a real krake-api over a real etcd: placement on the
 * best cluster, no move for a gain within the margin, exactly one move for a
 * gain beyond it, and Krake's FAILING_METRICS when the provider cannot be
 * reached (the clusters left out, metrics_reasons code 92), ONLINE again when
 * it answers. Every wait is on observable state (the API's objects, the
 * scheduler's decision counter), never on time.
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
import { freePort } from "../../fixtures/etcd.js";
import { startPrometheus } from "../../fixtures/prometheus.js";
import type { PrometheusStack } from "../../fixtures/prometheus.js";
import { spawnController } from "../../controller/support/controller-process.js";
import type { ControllerProcess } from "../../controller/support/controller-process.js";
import { poll } from "../../controller/support/observe.js";

const ns = "prom";
const provider = "prometheus";
/** GlobalMetric name → the Prometheus series it reads. */
const series = { "score-a": "krake_test_score_a", "score-b": "krake_test_score_b" } as const;
const clusterDoc = JSON.parse(readFileSync("test/fixtures/krake/cluster.json", "utf8")) as unknown;
const appDoc = JSON.parse(readFileSync("test/fixtures/krake/application.json", "utf8")) as unknown;

function cluster(name: string, metric: keyof typeof series): Cluster {
  const c = Cluster.fromJSON(clusterDoc);
  c.metadata = { ...c.metadata!, name, namespace: ns, labels: {} };
  c.spec!.metrics = [{ name: metric, weight: 1, namespaced: false }];
  return c;
}

function application(name: string): Application {
  const a = Application.fromJSON(appDoc);
  a.metadata = { ...a.metadata!, name, namespace: ns };
  a.spec!.constraints = { migration: true, cluster: { labels: [], customResources: [], metrics: [] } };
  return a;
}

describe("krake-scheduler with a real Prometheus (real krake-api, real etcd)", function () {
  this.timeout(90_000);
  let api: ApiHarness;
  let prom: PrometheusStack;
  let scheduler: ControllerProcess;
  useApi((started) => (api = started.api));

  const getApp = (name: string) => api.clients.applications.getApplication({ namespace: ns, name });
  const getCluster = (name: string) => api.clients.clusters.getCluster({ namespace: ns, name });
  const pointProviderAt = async (url: string) => {
    const p = await api.clients.globalMetricsProviders.getGlobalMetricsProvider({ name: provider });
    p.spec!.prometheus = { url };
    await api.clients.globalMetricsProviders.updateGlobalMetricsProvider({ name: provider, globalMetricsProvider: p });
  };
  /** Every decision the scheduler has made so far (krake_scheduler_decisions_total, all labels). */
  const decisions = async () => {
    const text = await (await fetch(`http://127.0.0.1:${await scheduler.httpPort()}/metrics`)).text();
    return [...text.matchAll(/^krake_scheduler_decisions_total\{[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
  };
  /** Resolves once the scheduler has decided at least `n` more times: what it says afterwards rests on fresh reads. */
  const decidedAgain = async (n: number) => {
    const from = await decisions();
    await poll(async () => (await decisions()) >= from + n, `${n} more decisions`, 20_000, 50);
  };

  before(async () => {
    prom = await startPrometheus();
    await api.clients.globalMetricsProviders.createGlobalMetricsProvider({
      globalMetricsProvider: GlobalMetricsProvider.fromPartial({
        api: "core", kind: "GlobalMetricsProvider", metadata: { name: provider },
        spec: { type: "prometheus", prometheus: { url: prom.prometheusUrl } },
      }),
    });
    for (const [name, metric] of Object.entries(series)) {
      await api.clients.globalMetrics.createGlobalMetric({
        globalMetric: GlobalMetric.fromPartial({
          api: "core", kind: "GlobalMetric", metadata: { name }, spec: { min: 0, max: 1, allowedValues: [], provider: { name: provider, metric } },
        }),
      });
    }
    for (const [name, metric] of [["a", "score-a"], ["b", "score-b"]] as const) {
      await api.clients.clusters.createCluster({ namespace: ns, cluster: cluster(name, metric), blocking: "" });
      const c = await getCluster(name);
      c.status = ClusterStatus.fromPartial({ ...c.status, state: ClusterState.ONLINE });
      await api.clients.clusters.updateClusterStatus({ namespace: ns, name, cluster: c });
    }
    scheduler = spawnController("bin/krake-scheduler.js", [
      "--api_endpoint", api.address, "--http.port", "0", "--lease.enabled", "false", "--log.level", "debug",
      // re-decide often, with values read afresh each time, and no dwell: only the margin holds a move back
      "--scheduler.reschedule_after_ms", "100", "--scheduler.metrics_cycle_ms", "0", "--scheduler.min_dwell_ms", "0",
      "--scheduler.margin", "0.1", "--scheduler.stickiness", "0.1", "--scheduler.provider_timeout_ms", "2000",
    ]);
  });
  after(async () => {
    if (process.env.DUMP) for (const l of scheduler.logs) if ((l.level ?? 0) >= 40 || /scheduled|metrics state/.test(String(l.msg))) console.log(JSON.stringify(l).slice(0, 400));
    await scheduler?.stop();
    await prom?.stop();
  });

  it("places the Application on the cluster whose Prometheus metric is best", async () => {
    await prom.set(series["score-a"], 0.9);
    await prom.set(series["score-b"], 0.2);
    await api.clients.applications.createApplication({ namespace: ns, application: application("app"), blocking: "" });
    await poll(async () => (await getApp("app")).status?.scheduledTo?.name === "a", "app bound to a");
    await poll(async () => (await getApp("app")).status?.scheduling?.reasonCode === "CurrentIsBest", "the placement confirmed");
    const s = (await getApp("app")).status!.scheduling!;
    const metric = s.components.find((c) => c.kind === "metric")!;
    expect([metric.name, metric.value, metric.status]).to.deep.equal(["score-a", 0.9, "ok"]);
    expect(s.scored.map((c) => c.cluster?.name)).to.deep.equal(["a", "b"]);
    expect(s.scored[0]!.score, "(0.9·1 + 1·0.1) / (1 + 0.1): stickiness counts on the current cluster").to.be.closeTo((0.9 + 0.1) / 1.1, 1e-9);
    expect(s.scored[1]!.score).to.be.closeTo(0.2 / 1.1, 1e-9);
  });

  it("does not move it when the other cluster is better by less than the margin", async () => {
    // b: 0.65 / 1.1 ≈ 0.591 against a: (0.5 + 0.1) / 1.1 ≈ 0.545 (stickiness counted) — better by 0.045 < 0.1
    await prom.set(series["score-b"], 0.65);
    await prom.set(series["score-a"], 0.5);
    await poll(async () => (await getApp("app")).status?.scheduling?.reasonCode === "WithinMargin", "decided WithinMargin");
    await decidedAgain(3);
    const status = (await getApp("app")).status!;
    expect([status.scheduling?.action, status.scheduling?.reasonCode, status.scheduling?.chosen?.name]).to.deep.equal(["stay", "WithinMargin", "a"]);
    expect(status.scheduledTo?.name).to.equal("a");
    expect(status.migrations).to.deep.equal([]);
    expect(status.scheduling!.scored.map((c) => c.cluster?.name), "b ranks first").to.deep.equal(["b", "a"]);
    expect(status.scheduling!.scored[0]!.score - status.scheduling!.scored[1]!.score).to.be.closeTo((0.65 - (0.5 + 0.1)) / 1.1, 1e-9);
  });

  it("moves it exactly once when the other cluster is better by more than the margin", async () => {
    // a: (0.2 + 0.1) / 1.1 ≈ 0.273 against b: 0.65 / 1.1 ≈ 0.591
    await prom.set(series["score-a"], 0.2);
    await poll(async () => (await getApp("app")).status?.scheduledTo?.name === "b", "app moved to b");
    await poll(async () => (await getApp("app")).status?.scheduling?.chosen?.name === "b", "the move's decision stored");
    await decidedAgain(3);
    const status = (await getApp("app")).status!;
    expect(status.scheduledTo?.name).to.equal("b");
    expect([status.scheduling?.action, status.scheduling?.reasonCode]).to.deep.equal(["stay", "CurrentIsBest"]);
    expect(status.migrations, "one move, none back").to.have.length(1);
  });

  it("sets both clusters FAILING_METRICS (92) when Prometheus cannot be reached, writes it once, and the decision leaves them out", async () => {
    await pointProviderAt(`http://127.0.0.1:${await freePort()}`);
    await poll(async () => {
      const [a, b] = await Promise.all([getCluster("a"), getCluster("b")]);
      return a.status?.state === ClusterState.FAILING_METRICS && b.status?.state === ClusterState.FAILING_METRICS;
    }, "both clusters FAILING_METRICS");
    for (const [name, metric] of [["a", "score-a"], ["b", "score-b"]] as const) {
      const reasons = (await getCluster(name)).status!.metricsReasons;
      expect(Object.keys(reasons), `${name}'s metrics_reasons`).to.deep.equal([metric]);
      expect(reasons[metric]!.code).to.equal(Reason_Code.UNREACHABLE_METRICS_PROVIDER);
      expect(reasons[metric]!.message).to.not.equal("");
    }
    await poll(async () => (await getApp("app")).status?.scheduling?.reasonCode === "NoClusterFound", "decided with both left out");
    const status = (await getApp("app")).status!;
    expect(status.state).to.equal(AppState.DEGRADED);
    expect(status.scheduledTo?.name, "the binding is kept").to.equal("b");
    expect(status.scheduling!.filtered.map((f) => [f.cluster?.name, f.filter])).to.deep.equal([["a", "state"], ["b", "state"]]);
    for (const f of status.scheduling!.filtered) expect(f.detail).to.include("FAILING_METRICS");

    const versions = async () => (await Promise.all([getCluster("a"), getCluster("b")])).map((c) => c.metadata!.resourceVersion);
    const before = await versions();
    await decidedAgain(3);
    expect(await versions(), "no write while nothing changes").to.deep.equal(before);
  });

  it("returns them to ONLINE with the reasons cleared when Prometheus answers again, and places the Application again", async () => {
    await pointProviderAt(prom.prometheusUrl);
    await poll(async () => {
      const [a, b] = await Promise.all([getCluster("a"), getCluster("b")]);
      return a.status?.state === ClusterState.ONLINE && b.status?.state === ClusterState.ONLINE;
    }, "both clusters ONLINE");
    for (const name of ["a", "b"]) expect((await getCluster(name)).status!.metricsReasons, name).to.deep.equal({});
    await poll(async () => (await getApp("app")).status?.scheduling?.chosen?.name === "b", "decided on b again");
    const status = (await getApp("app")).status!;
    expect(status.state, "no longer DEGRADED").to.equal(AppState.PENDING);
    expect(status.scheduledTo?.name).to.equal("b");
    expect(status.scheduling!.filtered).to.deep.equal([]);
    expect(status.migrations, "staying is not a move").to.have.length(1);
  });
});
