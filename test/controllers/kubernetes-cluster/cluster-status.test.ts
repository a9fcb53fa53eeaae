import { expect } from "chai";
import { Reason_Code } from "../../../gen/krake/core/v1/types.js";
import { Cluster, ClusterNode, ClusterStatus_State as State } from "../../../gen/krake/kubernetes/v1/cluster.js";
import { desiredStatus, healthState, notObservedBecause } from "../../../src/controllers/kubernetes-cluster/cluster-status.js";
import type { Observation } from "../../../src/controllers/kubernetes-cluster/cluster-status.js";
import { toClusterNode } from "../../../src/controllers/kubernetes-cluster/node-observer.js";
import { checkClusterSettings, defaultClusterSettings } from "../../../src/controllers/kubernetes-cluster/settings.js";
import { cluster as clusterFixture } from "../../controller/support/objects.js";
import { timestampFromDate } from "../../../src/kinds/timestamp.js";

const node = (name: string, conditions: Record<string, string>): ClusterNode =>
  ClusterNode.fromPartial({
    metadata: { name },
    status: { conditions: Object.entries(conditions).map(([type, status]) => ({ type, status, reason: "", message: "" })) },
  });
const healthy = (name: string) => node(name, { Ready: "True", MemoryPressure: "False", DiskPressure: "False", PIDPressure: "False" });

function cluster(state: State, extra: Partial<Cluster["status"]> = {}): Cluster {
  const c = clusterFixture("ns", "c");
  c.metadata!.generation = 3;
  c.status = { ...Cluster.fromPartial({ status: { state } }).status!, ...extra, state };
  return c;
}

const watching = (nodes: ClusterNode[], missing: string[] = []): Observation => ({ phase: "watching", nodes, failure: undefined, missingCustomResources: missing });
const unreachable: Observation = {
  phase: "unreachable",
  nodes: undefined,
  failure: { code: Reason_Code.CLUSTER_NOT_REACHABLE, message: "not reachable: connect ECONNREFUSED" },
  missingCustomResources: [],
};

describe("kubernetes cluster controller: the status a cluster's observation calls for", () => {
  describe("healthState", () => {
    const cases: Array<[string, ClusterNode[], string[], State]> = [
      ["every node Ready, no pressure", [healthy("a"), healthy("b")], [], State.ONLINE],
      ["no nodes at all (as Krake: ONLINE)", [], [], State.ONLINE],
      ["a node under MemoryPressure", [healthy("a"), node("b", { Ready: "True", MemoryPressure: "True" })], [], State.UNHEALTHY],
      ["any *Pressure condition counts (PIDPressure)", [node("a", { Ready: "True", PIDPressure: "True" })], [], State.UNHEALTHY],
      ["a node whose Ready is False", [healthy("a"), node("b", { Ready: "False" })], [], State.NOTREADY],
      ["a node whose Ready is Unknown", [node("a", { Ready: "Unknown" })], [], State.NOTREADY],
      ["a node that never reported Ready (no conditions)", [node("a", {})], [], State.NOTREADY],
      ["not ready wins over pressure", [node("a", { Ready: "False", DiskPressure: "True" })], [], State.NOTREADY],
      ["pressure wins over a missing custom resource", [node("a", { Ready: "True", DiskPressure: "True" })], ["x.example.com (not found)"], State.UNHEALTHY],
      ["a missing custom resource on a healthy cluster", [healthy("a")], ["x.example.com (not found)"], State.DEGRADED],
    ];
    for (const [what, nodes, missing, want] of cases) {
      it(`${what} → ${State[want]}`, () => expect(State[healthState(nodes, missing)]).to.equal(State[want]));
    }
  });

  describe("desiredStatus", () => {
    const cases: Array<[string, Cluster, Observation, State | undefined]> = [
      ["nothing known yet: the status is left alone", cluster(State.ONLINE), { ...watching([]), phase: "starting" }, undefined],
      ["a new cluster whose nodes are healthy", cluster(State.PENDING), watching([healthy("a")]), State.ONLINE],
      ["a new cluster listed, its watch still opening", cluster(State.PENDING), { ...watching([healthy("a")]), phase: "listed" }, State.ONLINE],
      ["unreachable", cluster(State.ONLINE), unreachable, State.OFFLINE],
      ["reachable again after OFFLINE: CONNECTING first", cluster(State.OFFLINE), watching([healthy("a")]), State.CONNECTING],
      ["reachable again after OFFLINE, even with a node not ready", cluster(State.OFFLINE), watching([node("a", { Ready: "False" })]), State.CONNECTING],
      ["CONNECTING while the watch is still opening", cluster(State.CONNECTING), { ...watching([healthy("a")]), phase: "listed" }, undefined],
      ["CONNECTING, the watch open: ONLINE", cluster(State.CONNECTING), watching([healthy("a")]), State.ONLINE],
      ["FAILING_METRICS (the scheduler's) stays while otherwise ONLINE", cluster(State.FAILING_METRICS), watching([healthy("a")]), undefined],
      ["FAILING_METRICS gives way to NOTREADY", cluster(State.FAILING_METRICS), watching([node("a", { Ready: "False" })]), State.NOTREADY],
      ["FAILING_METRICS gives way to OFFLINE", cluster(State.FAILING_METRICS), unreachable, State.OFFLINE],
      ["UNHEALTHY back to ONLINE", cluster(State.UNHEALTHY), watching([healthy("a")]), State.ONLINE],
      ["a custom resource not served", cluster(State.ONLINE), watching([healthy("a")], ["foos.example.com (not found)"]), State.DEGRADED],
    ];
    for (const [what, c, obs, want] of cases) {
      it(`${what} → ${want === undefined ? "no write" : State[want]}`, () => {
        const next = desiredStatus(c, obs);
        if (want === undefined) {
          // "no write" may also be a write of nodes only; the state must not change
          expect(next === undefined || next.state === c.status!.state, JSON.stringify(next)).to.equal(true);
        } else expect(State[next?.state ?? -1]).to.equal(State[want]);
      });
    }

    it("writes nothing when the stored status already says it all (state, reason, nodes, generation)", () => {
      const c = cluster(State.PENDING);
      const first = desiredStatus(c, watching([healthy("a")]))!;
      expect(desiredStatus({ ...c, status: first }, watching([healthy("a")]))).to.equal(undefined);
    });

    it("OFFLINE names the failure in status.reason; back ONLINE clears it", () => {
      const offline = desiredStatus(cluster(State.ONLINE), unreachable)!;
      expect(offline.reason).to.deep.equal(unreachable.failure);
      const online = desiredStatus(cluster(State.CONNECTING, { reason: offline.reason }), watching([healthy("a")]))!;
      expect([State[online.state], online.reason]).to.deep.equal(["ONLINE", undefined]);
    });

    it("keeps the last nodes seen while unreachable, and the metrics reasons always", () => {
      const reasons = { m: { code: Reason_Code.UNKNOWN_METRIC, message: "m" } };
      const c = cluster(State.FAILING_METRICS, { nodes: [healthy("a")], metricsReasons: reasons });
      const next = desiredStatus(c, unreachable)!;
      expect(next.nodes.map((n) => n.metadata?.name)).to.deep.equal(["a"]);
      expect(next.metricsReasons).to.deep.equal(reasons);
    });

    it("a missing custom resource: DEGRADED with INVALID_CUSTOM_RESOURCE naming it", () => {
      const next = desiredStatus(cluster(State.ONLINE), watching([healthy("a")], ["foos.example.com (not found)"]))!;
      expect(next.reason?.code).to.equal(Reason_Code.INVALID_CUSTOM_RESOURCE);
      expect(next.reason?.message).to.include("foos.example.com (not found)");
    });

    it("reports the generation it saw", () => {
      expect(desiredStatus(cluster(State.PENDING), watching([]))!.observedGeneration).to.equal(3);
    });
  });

  describe("which clusters are observed", () => {
    const cases: Array<[string, (c: Cluster) => void, string | undefined]> = [
      ["a registered cluster with a kubeconfig", () => undefined, undefined],
      ["one in deletion", (c) => (c.metadata!.deleted = timestampFromDate(new Date())), "in deletion"],
      ["one being created by the infrastructure controller", (c) => (c.status = Cluster.fromPartial({ status: { state: State.CREATING } }).status), "state CREATING"],
      ["one being reconfigured", (c) => (c.status = Cluster.fromPartial({ status: { state: State.RECONCILING } }).status), "state RECONCILING"],
      ["a FAILED one", (c) => (c.status = Cluster.fromPartial({ status: { state: State.FAILED } }).status), "state FAILED"],
      ["one without a kubeconfig", (c) => (c.spec!.kubeconfig = undefined), "no kubeconfig"],
      ["one whose kubeconfig is empty", (c) => (c.spec!.kubeconfig = {}), "no kubeconfig"],
    ];
    for (const [what, change, why] of cases) {
      it(`${what}: ${why ?? "observed"}`, () => {
        const c = clusterFixture("ns", "c");
        change(c);
        expect(notObservedBecause(c)).to.equal(why);
      });
    }
  });

  it("keeps a node's name and conditions, not its heartbeat times", () => {
    const converted = toClusterNode({
      metadata: { name: "n1" },
      status: { conditions: [{ type: "Ready", status: "True", reason: "KubeletReady", message: "ok", lastHeartbeatTime: new Date() }] },
    });
    expect(ClusterNode.toJSON(converted)).to.deep.equal({
      metadata: { name: "n1" },
      status: { conditions: [{ message: "ok", reason: "KubeletReady", status: "True", type: "Ready" }] },
    });
  });

  it("refuses settings out of range, naming them", () => {
    expect(() => checkClusterSettings({ ...defaultClusterSettings, timeoutMs: 0 })).to.throw("cluster.timeout_ms must be a positive integer");
    expect(() => checkClusterSettings({ ...defaultClusterSettings, reconnectMaxMs: 10 })).to.throw("cluster.reconnect_max_ms");
    expect(() => checkClusterSettings({ ...defaultClusterSettings, watchTimeoutMs: 10 })).to.throw("cluster.watch_timeout_ms");
  });
});
