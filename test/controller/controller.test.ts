import { expect } from "chai";
import { status as Status } from "@grpc/grpc-js";
import { FakeClock, settle } from "../../src/client/clock.js";
import { Controller } from "../../src/controller/controller.js";
import { RuntimeMetrics } from "../../src/controller/metrics.js";
import { terminalError } from "../../src/controller/reconcile.js";
import type { ReconcileContext, Result } from "../../src/controller/reconcile.js";
import { ExponentialFailureRateLimiter } from "../../src/controller/workqueue/rate-limiters.js";

/** A reconciler whose behaviour each test scripts, recording every call with the fake time. */
class Scripted {
  calls: { key: string; at: number }[] = [];
  running = new Map<string, number>();
  maxConcurrentPerKey = 0;
  constructor(
    private readonly clock: FakeClock,
    private readonly behave: (key: string, n: number, ctx: ReconcileContext) => Promise<Result | void>,
  ) {}
  reconcile = async (ctx: ReconcileContext, key: string): Promise<Result | void> => {
    const n = this.calls.filter((c) => c.key === key).length;
    this.calls.push({ key, at: this.clock.now() });
    const running = (this.running.get(key) ?? 0) + 1;
    this.running.set(key, running);
    this.maxConcurrentPerKey = Math.max(this.maxConcurrentPerKey, running);
    try {
      return await this.behave(key, n, ctx);
    } finally {
      this.running.set(key, running - 1);
    }
  };
  times(key: string): number[] {
    return this.calls.filter((c) => c.key === key).map((c) => c.at);
  }
}

function setup(behave: (key: string, n: number, ctx: ReconcileContext) => Promise<Result | void>, workers = 2) {
  const clock = new FakeClock();
  const r = new Scripted(clock, behave);
  const metrics = new RuntimeMetrics();
  const controller = new Controller({
    name: "test",
    reconciler: { reconcile: r.reconcile },
    workers,
    clock,
    metrics,
    rateLimiter: new ExponentialFailureRateLimiter({ baseDelayMs: 10, maxDelayMs: 80, jitter: 0 }),
  });
  const work = new AbortController();
  const abort = new AbortController();
  let canAct = true;
  const running = controller.run({ work: work.signal, abort: abort.signal, canAct: () => canAct });
  const stop = async () => {
    work.abort();
    abort.abort();
    await running;
  };
  /** Steps the fake clock 1 ms at a time, letting promises settle in between. */
  const advance = async (ms: number) => {
    for (let i = 0; i < ms; i++) {
      clock.step(1);
      await settle(1);
    }
  };
  return { clock, r, controller, metrics, stop, advance, setCanAct: (v: boolean) => (canAct = v), work, abort };
}

async function metricValue(metrics: RuntimeMetrics, name: string, labels: Record<string, string>): Promise<number> {
  const m = (await metrics.registry.getMetricsAsJSON()).find((x) => x.name === name);
  const v = m?.values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return v?.value ?? 0;
}

describe("controller runtime: reconcile loop (fake clock)", () => {
  it("retries a failing key with per-key exponential backoff and forgets it on success", async () => {
    const t = setup(async (_key, n) => {
      if (n < 3) throw new Error(`failure ${n}`);
    });
    t.controller.enqueue("k");
    await settle();
    await t.advance(200);
    const times = t.r.times("k");
    expect(times.length).to.equal(4);
    const start = times[0];
    expect(times.map((x) => x - start)).to.deep.equal([0, 10, 30, 70]);
    expect(t.controller.queue.numRequeues("k"), "forgotten after the success").to.equal(0);
    expect(await metricValue(t.metrics, "krake_reconcile_total", { outcome: "error" })).to.equal(3);
    expect(await metricValue(t.metrics, "krake_reconcile_errors_total", { controller: "test" })).to.equal(3);
    expect(await metricValue(t.metrics, "krake_reconcile_total", { outcome: "success" })).to.equal(1);
    await t.stop();
  });

  it("caps the backoff", async () => {
    const t = setup(async () => {
      throw new Error("always");
    });
    t.controller.enqueue("k");
    await settle();
    await t.advance(600);
    const times = t.r.times("k");
    const gaps = times.slice(1).map((x, i) => x - times[i]);
    expect(gaps.slice(0, 4)).to.deep.equal([10, 20, 40, 80]);
    expect(gaps.slice(4).every((g) => g === 80)).to.equal(true);
    await t.stop();
  });

  it("does not retry a terminal error", async () => {
    const t = setup(async () => {
      throw terminalError(new Error("invalid object"));
    });
    t.controller.enqueue("k");
    await settle();
    await t.advance(500);
    expect(t.r.times("k").length).to.equal(1);
    expect(await metricValue(t.metrics, "krake_reconcile_total", { outcome: "terminal" })).to.equal(1);
    await t.stop();
  });

  it("counts a resource_version conflict as a retry, not a success", async () => {
    const t = setup(async (_key, n) => {
      if (n === 0) throw Object.assign(new Error("stale"), { code: Status.ABORTED });
    });
    t.controller.enqueue("k");
    await settle();
    await t.advance(50);
    expect(t.r.times("k").length).to.equal(2);
    expect(await metricValue(t.metrics, "krake_reconcile_total", { outcome: "conflict" })).to.equal(1);
    await t.stop();
  });

  it("requeues after the time a reconcile asks for", async () => {
    const t = setup(async (_key, n) => (n < 2 ? { requeueAfter: 25 } : {}));
    t.controller.enqueue("k");
    await settle();
    await t.advance(200);
    const times = t.r.times("k");
    expect(times.map((x) => x - times[0])).to.deep.equal([0, 25, 50]);
    await t.stop();
  });

  it("never runs one key twice at once, even with several workers; a change during a run brings one more run", async () => {
    let release: () => void = () => {};
    const t = setup(async (key, n) => {
      if (key === "a" && n === 0) await new Promise<void>((r) => (release = r));
    }, 4);
    t.controller.enqueue("a");
    await settle();
    for (let i = 0; i < 5; i++) t.controller.enqueue("a");
    t.controller.enqueue("b");
    await settle();
    expect(t.r.times("a").length, "the second run waits for the first").to.equal(1);
    expect(t.r.times("b").length, "other keys go on").to.equal(1);
    release();
    await settle();
    expect(t.r.times("a").length).to.equal(2);
    expect(t.r.maxConcurrentPerKey).to.equal(1);
    await t.stop();
  });

  it("reconciles nothing while it may not act, and keeps the keys for later", async () => {
    const t = setup(async () => {});
    t.setCanAct(false);
    t.controller.enqueue("a");
    await settle();
    expect(t.r.calls.length).to.equal(0);
    expect(t.controller.queue.length + t.controller.queue.inFlight).to.equal(1);
    await t.stop();
  });

  it("aborts reconciles in flight when told to, and keeps their keys", async () => {
    const t = setup(async (_key, _n, ctx) => {
      await new Promise<void>((_, reject) => ctx.signal.addEventListener("abort", () => reject(new Error("aborted"))));
    });
    t.controller.enqueue("a");
    await settle();
    expect(t.r.calls.length).to.equal(1);
    await t.stop();
    expect(t.controller.queue.length, "the key waits for the next run").to.equal(1);
    expect(await metricValue(t.metrics, "krake_reconcile_total", { outcome: "aborted" })).to.equal(1);
  });

  it("rejects a worker count that is not a positive integer", () => {
    expect(() => new Controller({ name: "x", reconciler: { reconcile: async () => ({}) }, workers: 0 })).to.throw(/workers/);
  });
});
