import { status as GrpcStatus } from "@grpc/grpc-js";
import { expect } from "chai";
import { Reason_Code } from "../../../gen/krake/core/v1/types.js";
import type { Reason } from "../../../gen/krake/core/v1/types.js";
import { ClusterStatus_State as State } from "../../../gen/krake/kubernetes/v1/cluster.js";
import type { Cluster } from "../../../gen/krake/kubernetes/v1/cluster.js";
import { ClusterMetricsStatus, metricsStatus } from "../../../src/controllers/scheduler/cluster-metrics-status.js";
import { cluster } from "../../scheduling/fixtures.js";
import { timestampFromDate } from "../../../src/kinds/timestamp.js";

const unreachable: Reason = { code: Reason_Code.UNREACHABLE_METRICS_PROVIDER, message: "connection refused" };
const invalid: Reason = { code: Reason_Code.INVALID_METRIC, message: "2 out of range [0, 1]" };

function withStatus(state: State, metricsReasons: Record<string, Reason> = {}, rv = "10"): Cluster {
  const c = cluster("c1", { state, metrics: [["load", 1]] });
  c.metadata!.resourceVersion = rv;
  c.status!.metricsReasons = metricsReasons;
  c.status!.scheduledTo = { api: "infrastructure", kind: "GlobalCloud", namespace: "", name: "os" };
  return c;
}

describe("scheduler: clusters' metrics state (FAILING_METRICS ↔ ONLINE)", () => {
  describe("metricsStatus", () => {
    const cases: { name: string; cluster: Cluster; reasons: Record<string, Reason>; want: [State, Record<string, Reason>] | undefined }[] = [
      { name: "ONLINE, metrics read: nothing to write", cluster: withStatus(State.ONLINE), reasons: {}, want: undefined },
      { name: "ONLINE, a metric fails: FAILING_METRICS with its reason", cluster: withStatus(State.ONLINE), reasons: { load: unreachable }, want: [State.FAILING_METRICS, { load: unreachable }] },
      { name: "ONLINE with reasons left over, metrics read: the reasons cleared", cluster: withStatus(State.ONLINE, { load: invalid }), reasons: {}, want: [State.ONLINE, {}] },
      { name: "FAILING_METRICS, metrics read again: ONLINE, reasons cleared", cluster: withStatus(State.FAILING_METRICS, { load: unreachable }), reasons: {}, want: [State.ONLINE, {}] },
      {
        name: "FAILING_METRICS, same metrics and codes, another message: nothing to write",
        cluster: withStatus(State.FAILING_METRICS, { load: unreachable }),
        reasons: { load: { ...unreachable, message: "timed out" } },
        want: undefined,
      },
      { name: "FAILING_METRICS, another code: the reasons rewritten", cluster: withStatus(State.FAILING_METRICS, { load: unreachable }), reasons: { load: invalid }, want: [State.FAILING_METRICS, { load: invalid }] },
      {
        name: "FAILING_METRICS, one more metric fails: the reasons rewritten",
        cluster: withStatus(State.FAILING_METRICS, { load: unreachable }),
        reasons: { load: unreachable, power: invalid },
        want: [State.FAILING_METRICS, { load: unreachable, power: invalid }],
      },
      { name: "OFFLINE (the observer's): left alone", cluster: withStatus(State.OFFLINE), reasons: { load: unreachable }, want: undefined },
      { name: "PENDING (the observer's): left alone", cluster: withStatus(State.PENDING), reasons: { load: unreachable }, want: undefined },
      { name: "NOTREADY (the observer's), metrics read: left alone", cluster: withStatus(State.NOTREADY, { load: invalid }), reasons: {}, want: undefined },
      {
        name: "in deletion: left alone",
        cluster: { ...withStatus(State.FAILING_METRICS, { load: unreachable }), metadata: { ...withStatus(State.ONLINE).metadata!, deleted: timestampFromDate(new Date()) } },
        reasons: {},
        want: undefined,
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const next = metricsStatus(c.cluster, c.reasons);
        if (c.want === undefined) return expect(next).to.equal(undefined);
        expect(next, "a status to write").to.not.equal(undefined);
        expect([next!.state, next!.metricsReasons]).to.deep.equal(c.want);
        expect(next!.scheduledTo, "the rest of the status is kept").to.deep.equal(c.cluster.status!.scheduledTo);
      });
    }
  });

  describe("ClusterMetricsStatus", () => {
    /** An informer cache of one cluster, and a client whose writes the cache sees only when `deliver` is called. */
    function setup(initial: Cluster) {
      const cache = new Map<string, Cluster>([["team/c1", initial]]);
      let revision = Number(initial.metadata!.resourceVersion);
      const writes: { precondition: string; state: State; metricsReasons: Record<string, Reason> }[] = [];
      /** Run by the next writes instead of writing (to throw, or to change the cluster meanwhile, then throw). */
      const failNext: (() => never)[] = [];
      let lastStored: Cluster | undefined;
      const client = {
        async updateStatus(obj: Cluster): Promise<Cluster> {
          await Promise.resolve();
          failNext.shift()?.();
          writes.push({ precondition: obj.metadata!.resourceVersion, state: obj.status!.state, metricsReasons: obj.status!.metricsReasons });
          lastStored = { ...obj, metadata: { ...obj.metadata!, resourceVersion: String(++revision) } };
          return lastStored;
        },
      };
      const writer = new ClusterMetricsStatus(client, { get: (key) => cache.get(key) });
      return {
        writer,
        writes,
        failNext,
        /** The watch delivers the last write to the cache. */
        deliver: () => cache.set("team/c1", lastStored!),
        /** Someone else writes the cluster; the cache sees it. */
        changeElsewhere: (state: State) => {
          const c = withStatus(state, {}, String(++revision));
          cache.set("team/c1", c);
          return c;
        },
      };
    }
    const signal = new AbortController().signal;
    const conflict = () => Object.assign(new Error("resource_version mismatch"), { code: GrpcStatus.ABORTED });
    const fail = (err: Error) => (): never => {
      throw err;
    };

    it("writes FAILING_METRICS once, with the judged version's resource_version as precondition", async () => {
      const online = withStatus(State.ONLINE);
      const { writer, writes } = setup(online);
      const stored = await writer.report(online, { load: unreachable }, signal);
      expect(writes).to.deep.equal([{ precondition: "10", state: State.FAILING_METRICS, metricsReasons: { load: unreachable } }]);
      expect([stored.status!.state, stored.metadata!.resourceVersion]).to.deep.equal([State.FAILING_METRICS, "11"]);
    });

    it("does not write the same again while the cache has not seen its write, and decides with the written version", async () => {
      const online = withStatus(State.ONLINE);
      const { writer, writes } = setup(online);
      await writer.report(online, { load: unreachable }, signal);
      const again = await writer.report(online, { load: unreachable }, signal);
      expect(writes).to.have.length(1);
      expect(again.status!.state).to.equal(State.FAILING_METRICS);
      expect(writer.latest([online])[0]!.status!.state, "latest() overlays the write").to.equal(State.FAILING_METRICS);
    });

    it("writes nothing once the cache has its write and the metrics still fail", async () => {
      const online = withStatus(State.ONLINE);
      const { writer, writes, deliver } = setup(online);
      await writer.report(online, { load: unreachable }, signal);
      deliver();
      for (let i = 0; i < 3; i++) await writer.report(online, { load: { ...unreachable, message: `attempt ${i}` } }, signal);
      expect(writes).to.have.length(1);
    });

    it("returns a FAILING_METRICS cluster whose metrics read again to ONLINE", async () => {
      const failing = withStatus(State.FAILING_METRICS, { load: unreachable });
      const { writer, writes } = setup(failing);
      const stored = await writer.report(failing, {}, signal);
      expect(writes).to.deep.equal([{ precondition: "10", state: State.ONLINE, metricsReasons: {} }]);
      expect(stored.status!.state).to.equal(State.ONLINE);
    });

    it("writes once when several workers report the same cluster at the same time", async () => {
      const online = withStatus(State.ONLINE);
      const { writer, writes } = setup(online);
      const all = await Promise.all([1, 2, 3, 4].map(() => writer.report(online, { load: unreachable }, signal)));
      expect(writes).to.have.length(1);
      expect(all.map((c) => c.metadata!.resourceVersion)).to.deep.equal(["11", "11", "11", "11"]);
    });

    it("on a conflict, judges again the newer version the cache holds", async () => {
      const online = withStatus(State.ONLINE);
      const { writer, writes, failNext, changeElsewhere } = setup(online);
      let newer: Cluster | undefined;
      // while the write from rv 10 is in flight, another writer changes the cluster (still ONLINE) and the cache sees it
      failNext.push(() => {
        newer = changeElsewhere(State.ONLINE);
        throw conflict();
      });
      const stored = await writer.report(online, { load: unreachable }, signal);
      expect(writes, "the second attempt, from the newer version").to.deep.equal([
        { precondition: newer!.metadata!.resourceVersion, state: State.FAILING_METRICS, metricsReasons: { load: unreachable } },
      ]);
      expect(stored.status!.state).to.equal(State.FAILING_METRICS);
    });

    it("on a conflict the cache cannot explain yet, gives up for now and returns the cached version", async () => {
      const online = withStatus(State.ONLINE);
      const { writer, writes, failNext } = setup(online);
      failNext.push(fail(conflict()));
      const stored = await writer.report(online, { load: unreachable }, signal);
      expect(writes).to.have.length(0);
      expect(stored).to.equal(online);
    });

    it("leaves alone a cluster that another writer set OFFLINE meanwhile", async () => {
      const online = withStatus(State.ONLINE);
      const { writer, writes, failNext, changeElsewhere } = setup(online);
      failNext.push(() => {
        changeElsewhere(State.OFFLINE);
        throw conflict();
      });
      const stored = await writer.report(online, { load: unreachable }, signal);
      expect(writes).to.have.length(0);
      expect(stored.status!.state).to.equal(State.OFFLINE);
    });

    it("stops after maxAttempts conflicts", async () => {
      const online = withStatus(State.ONLINE);
      const { writer, writes, failNext, changeElsewhere } = setup(online);
      for (let i = 0; i < 5; i++) {
        failNext.push(() => {
          changeElsewhere(State.ONLINE);
          throw conflict();
        });
      }
      const stored = await writer.report(online, { load: unreachable }, signal);
      expect(writes).to.have.length(0);
      expect(failNext, "3 attempts (the default)").to.have.length(2);
      expect(stored.status!.state).to.equal(State.ONLINE);
    });

    it("rejects with an error other than a conflict", async () => {
      const online = withStatus(State.ONLINE);
      const { writer, failNext } = setup(online);
      failNext.push(fail(Object.assign(new Error("permission denied"), { code: GrpcStatus.PERMISSION_DENIED })));
      const err = await writer.report(online, { load: unreachable }, signal).then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(Error).with.property("message", "permission denied");
    });
  });
});
