import { expect } from "chai";
import { Cloud, CloudStatus_State } from "../../gen/krake/infrastructure/v1/cloud.js";
import { Cluster } from "../../gen/krake/kubernetes/v1/cluster.js";
import type { MetricRef } from "../../gen/krake/core/v1/types.js";
import { cloudCandidates, decideCloud } from "../../src/scheduling/cloud-placement.js";
import { cloud, globalCloud, NS, reading, T0, values } from "./fixtures.js";
import { timestampFromDate } from "../../src/kinds/timestamp.js";

const MAX_AGE = 5 * 60_000;
const m = (name: string, weight: number, namespaced = false): MetricRef => ({ name, weight, namespaced });

function toBeCreated(o: { labels?: string[]; metrics?: string[] } = {}): Cluster {
  return Cluster.fromPartial({
    api: "kubernetes",
    kind: "Cluster",
    metadata: { name: "new", namespace: NS, uid: "uid-new" },
    spec: { tosca: { topology_template: {} }, constraints: { cloud: { labels: o.labels ?? [], metrics: o.metrics ?? [] } } },
  });
}

const readings = values({ green: reading(0.9), grey: reading(0.3), [`${NS}/local`]: reading(0.6) });

describe("scheduling: a cluster without a kubeconfig placed on a cloud (Krake's Cluster→Cloud)", () => {
  it("scores clouds Σvw/Σw and chooses the best, namespaced and global alike", () => {
    const candidates = cloudCandidates(NS, [cloud("a", {}, [m("grey", 1), m("green", 1)])], [globalCloud("g", {}, [m("green", 3), m("grey", 1)])]);
    const d = decideCloud(toBeCreated(), candidates, readings, T0, MAX_AGE);
    expect(d.chosen).to.deep.equal({ api: "infrastructure", kind: "GlobalCloud", namespace: "", name: "g" });
    expect(d.reason.code).to.equal("Placed");
    expect(d.scored.map((s) => [s.cloud.name, s.tier, s.score])).to.deep.equal([
      ["g", "metrics", (0.9 * 3 + 0.3) / 4],
      ["a", "metrics", (0.3 + 0.9) / 2],
    ]);
  });

  it("resolves a Cloud's namespaced metric in the cloud's namespace", () => {
    const d = decideCloud(toBeCreated(), cloudCandidates(NS, [cloud("a", {}, [m("local", 1, true)])], []), readings, T0, MAX_AGE);
    expect(d.scored[0]!.metrics[0]).to.deep.include({ key: `${NS}/local`, status: "ok", normalized: 0.6 });
  });

  it("prefers a cloud with metrics over one without, whatever the scores", () => {
    const candidates = cloudCandidates(NS, [cloud("bare", {})], [globalCloud("g", {}, [m("grey", 1)])]);
    const d = decideCloud(toBeCreated(), candidates, readings, T0, MAX_AGE);
    expect(d.scored.map((s) => [s.cloud.name, s.tier])).to.deep.equal([
      ["g", "metrics"],
      ["bare", "no_metrics"],
    ]);
  });

  it("breaks a tie for the namespaced cloud (Krake lists them first and keeps the first best)", () => {
    const candidates = cloudCandidates(NS, [cloud("z-local", {}, [m("green", 1)])], [globalCloud("a-global", {}, [m("green", 1)])]);
    expect(decideCloud(toBeCreated(), candidates, readings, T0, MAX_AGE).chosen?.name).to.equal("z-local");
  });

  it("considers only the clouds of the cluster's namespace, then the global ones", () => {
    const candidates = cloudCandidates(NS, [cloud("mine", {}), cloud("theirs", {}, [], "other-team")], [globalCloud("g", {})]);
    expect(candidates.map((c) => c.ref.name)).to.deep.equal(["mine", "g"]);
  });

  const filterCases: [string, { labels?: string[]; metrics?: string[] }, Cloud, string, string][] = [
    ["in deletion", {}, Cloud.fromPartial({ ...cloud("c", {}), metadata: { ...cloud("c", {}).metadata, deleted: timestampFromDate(T0) } }), "deleted", 'cloud "c" is being deleted'],
    ["FAILING_METRICS", {}, Cloud.fromPartial({ ...cloud("c", {}), status: { state: CloudStatus_State.FAILING_METRICS, metricsReasons: { heat: { code: 92, message: "unreachable" } } } }), "state", "is FAILING_METRICS, not ONLINE (heat: unreachable)"],
    ["a label constraint", { labels: ["location = DE"] }, cloud("c", { location: "FR" }), "label", 'does not match "location = DE": its label is "FR"'],
    ["a label constraint on a missing label", { labels: ["location in (DE, FR)"] }, cloud("c", {}), "label", 'it has no label "location"'],
    ["a metric constraint", { metrics: ["grey > 0.5"] }, cloud("c", {}, [m("grey", 1)]), "metric", "its normalised value is 0.3"],
    ["a metric constraint on a metric the cloud lacks", { metrics: ["green >= 0.5"] }, cloud("c", {}, [m("grey", 1)]), "metric", 'it has no metric "green"'],
    ["a metric that does not read", {}, cloud("c", {}, [m("unknown-metric", 1)]), "metric", 'cannot use its metric "unknown-metric": it is unknown'],
  ];
  for (const [what, constraints, c, filter, detail] of filterCases) {
    it(`leaves out a cloud for ${what}, and says so`, () => {
      const d = decideCloud(toBeCreated(constraints), cloudCandidates(NS, [c], []), readings, T0, MAX_AGE);
      expect(d.chosen).to.equal(undefined);
      expect(d.reason.code).to.equal("NoCloudFound");
      expect(d.filtered).to.have.length(1);
      expect(d.filtered[0]!.filter).to.equal(filter);
      expect(d.filtered[0]!.detail).to.include(detail);
      expect(d.reason.message).to.include(d.filtered[0]!.detail);
    });
  }

  it("a GlobalCloud cannot use a namespaced metric", () => {
    const d = decideCloud(toBeCreated(), cloudCandidates(NS, [], [globalCloud("g", {}, [m("local", 1, true)])]), readings, T0, MAX_AGE);
    expect(d.filtered[0]).to.deep.include({ filter: "metric" });
    expect(d.filtered[0]!.detail).to.include("invalid");
  });

  it("says there is no cloud at all when there is none", () => {
    const d = decideCloud(toBeCreated(), [], readings, T0, MAX_AGE);
    expect(d.reason).to.deep.equal({ code: "NoCloudFound", message: "no cloud fits the cluster: there is no Cloud in its namespace and no GlobalCloud" });
  });

  it("passes a cloud that matches every constraint", () => {
    const c = cloud("c", { location: "DE" }, [m("green", 1)]);
    const d = decideCloud(toBeCreated({ labels: ["location is DE"], metrics: ["green gt 0.8"] }), cloudCandidates(NS, [c], []), readings, T0, MAX_AGE);
    expect(d.chosen?.name).to.equal("c");
    expect(d.reason.message).to.equal('cloud "c": score 0.900');
  });
});
