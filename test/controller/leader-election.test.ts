import { expect } from "chai";
import type { Lease } from "../../gen/krake/core/v1/lease.js";
import { leaseKind } from "../../src/apiserver/kinds/lease.js";
import { ApiConnection } from "../../src/client/kind-client.js";
import { checkTimings, LeaderElector } from "../../src/controller/leader/leader-elector.js";
import { LeaseLock } from "../../src/controller/leader/lease-lock.js";
import { useApi } from "../fixtures/api.js";
import type { ApiHarness } from "../fixtures/api.js";
import type { EtcdProcess } from "../fixtures/etcd.js";
import { Observer, poll } from "./support/observe.js";
import { startTcpProxy } from "./support/tcp-proxy.js";
import { timestampToMillis } from "../../src/kinds/timestamp.js";

const timings = { leaseDurationMs: 2_000, renewDeadlineMs: 1_400, retryPeriodMs: 200 };

interface Term {
  who: string;
  start: number;
  end?: number;
}

/** An elector that records each leadership term; `stop()` ends its campaign (releasing the lease). */
function candidate(address: string, who: string, leaseName: string, terms: Term[]) {
  const conn = new ApiConnection(address);
  const run = new AbortController();
  const elector = new LeaderElector({
    ...timings,
    lock: new LeaseLock(conn.client(leaseKind), "krake-system", leaseName),
    identity: who,
    onLeading: (signal) => {
      const term: Term = { who, start: Date.now() };
      terms.push(term);
      return new Promise<void>((resolve) =>
        signal.addEventListener("abort", () => {
          term.end = Date.now();
          resolve();
        }),
      );
    },
  });
  const running = elector.run(run.signal);
  return {
    elector,
    async stop() {
      run.abort();
      await running;
      conn.close();
    },
  };
}

function expectNoOverlap(terms: Term[], until: number): void {
  const sorted = [...terms].sort((a, b) => a.start - b.start);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1];
    expect(prev.end ?? until, `${prev.who}'s term ends before ${sorted[i].who}'s starts`).to.be.at.most(sorted[i].start);
  }
}

describe("controller runtime: leader election over a Lease", function () {
  this.timeout(60_000);
  let etcd: EtcdProcess;
  let api: ApiHarness;
  let n = 0;

  useApi((started) => ({ etcd, api } = started));

  it("lets exactly one of several candidates lead, and hands over at once when the leader releases", async () => {
    const name = `lease-${++n}`;
    const terms: Term[] = [];
    const cands = ["a", "b", "c"].map((who) => candidate(api.address, who, name, terms));
    try {
      await poll(() => terms.length === 1, "one leader");
      await new Promise((r) => setTimeout(r, 1_000));
      expect(terms.length, "still one leader after several retry periods").to.equal(1);
      expect(cands.filter((c) => c.elector.isLeader()).length).to.equal(1);
      const leader = cands.find((c) => c.elector.isLeader())!;
      const releasedAt = Date.now();
      await leader.stop();
      await poll(() => terms.length === 2, "a new leader");
      expect(terms[1].start - releasedAt, "a released lease is taken without waiting for it to expire").to.be.below(timings.leaseDurationMs);
      const lease = await api.clients.leases.getLease({ namespace: "krake-system", name });
      expect(lease.spec!.holderIdentity).to.equal(terms[1].who);
      expect(lease.spec!.leaseTransitions).to.equal(1);
      expect(lease.spec!.leaseDurationSeconds).to.equal(2);
      expectNoOverlap(terms, Date.now());
    } finally {
      for (const c of cands) await c.stop();
    }
  });

  it("a leader that cannot renew stops acting before its lease can expire; the other starts only after it expired", async () => {
    const name = `lease-${++n}`;
    const terms: Term[] = [];
    const proxy = await startTcpProxy(api.address);
    const conn = new ApiConnection(api.address);
    const leases = await new Observer<Lease>(conn.client(leaseKind), "krake-system").start();
    const a = candidate(proxy.address, "a", name, terms);
    await poll(() => terms.length === 1, "a leads");
    const b = candidate(api.address, "b", name, terms);
    try {
      await new Promise((r) => setTimeout(r, 500));
      proxy.cut();
      await poll(() => terms.length === 2, "b takes over", 20_000);
      const [ta, tb] = terms;
      expect(ta.who).to.equal("a");
      expect(ta.end, "a stopped acting").to.be.a("number");
      const lastRenewByA = Math.max(
        ...leases.seen.filter((s) => s.obj.metadata?.name === name && s.obj.spec?.holderIdentity === "a").map((s) => timestampToMillis(s.obj.spec!.renewTime!)),
      );
      expect(ta.end! - lastRenewByA, "a stopped at its renew deadline").to.be.at.most(timings.renewDeadlineMs + 300);
      expect(ta.end!, "before the lease could expire").to.be.below(lastRenewByA + timings.leaseDurationMs);
      expect(tb.start, "b waited for the lease to expire").to.be.at.least(lastRenewByA + timings.leaseDurationMs);
      expectNoOverlap(terms, Date.now());
    } finally {
      await a.stop();
      await b.stop();
      await leases.stop();
      conn.close();
      await proxy.close();
    }
  });

  it("rejects timings under which two replicas could act at once", () => {
    expect(() => checkTimings({ leaseDurationMs: 10_000, renewDeadlineMs: 10_000, retryPeriodMs: 1_000 })).to.throw(/renew deadline/);
    expect(() => checkTimings({ leaseDurationMs: 10_000, renewDeadlineMs: 5_000, retryPeriodMs: 5_000 })).to.throw(/retry period/);
    expect(() => checkTimings({ leaseDurationMs: 500, renewDeadlineMs: 300, retryPeriodMs: 100 })).to.throw(/at least 1000/);
  });

  it("validates Lease objects", async () => {
    const err = await api.clients.leases
      .createLease({
        namespace: "krake-system",
        lease: {
          api: "core",
          kind: "Lease",
          metadata: { name: "bad", namespace: "", labels: {}, inheritLabels: false, finalizers: [], uid: "", created: undefined, modified: undefined, deleted: undefined, owners: [], resourceVersion: "", generation: 0, generateName: "" },
          spec: { holderIdentity: "x", leaseDurationSeconds: 0, acquireTime: undefined, renewTime: undefined, leaseTransitions: -1 },
        },
      })
      .then(
        () => undefined,
        (e: { code: number; details: string }) => e,
      );
    expect(err?.code).to.equal(3);
    expect(err?.details).to.match(/spec\.lease_duration_seconds/).and.match(/spec\.lease_transitions/);
  });
});
