import { expect } from "chai";
import { FakeClock, settle } from "../../src/client/clock.js";
import { DelayingQueue } from "../../src/controller/workqueue/delaying-queue.js";
import { WorkQueue } from "../../src/controller/workqueue/queue.js";
import {
  ExponentialFailureRateLimiter,
  MaxOfRateLimiter,
  TokenBucketRateLimiter,
} from "../../src/controller/workqueue/rate-limiters.js";
import { RateLimitingQueue } from "../../src/controller/workqueue/rate-limiting-queue.js";

describe("controller runtime: work queue", () => {
  describe("WorkQueue", () => {
    it("hands each waiting key out once, in the order first added", async () => {
      const q = new WorkQueue<string>();
      for (const k of ["a", "b", "a", "c", "b"]) q.add(k);
      expect(q.length).to.equal(3);
      expect([await q.get(), await q.get(), await q.get()]).to.deep.equal(["a", "b", "c"]);
      expect(q.length).to.equal(0);
    });

    it("never hands out a key that is being processed; a re-add during processing comes back once after done", async () => {
      const q = new WorkQueue<string>();
      q.add("a");
      const first = await q.get();
      expect(first).to.equal("a");
      q.add("a");
      q.add("a");
      expect(q.length, "not queued while processing").to.equal(0);
      let second: string | undefined;
      void q.get().then((k) => (second = k));
      await settle();
      expect(second, "a second worker does not get it").to.equal(undefined);
      q.done("a");
      await settle();
      expect(second).to.equal("a");
      q.done("a");
      expect(q.length).to.equal(0);
    });

    it("serves N waiting workers with N different keys", async () => {
      const q = new WorkQueue<string>();
      const workers = [q.get(), q.get(), q.get()];
      q.add("x");
      q.add("y");
      q.add("x");
      q.add("z");
      expect(await Promise.all(workers)).to.deep.equal(["x", "y", "z"]);
      expect(q.inFlight).to.equal(3);
    });

    it("shutDown wakes waiting workers with undefined and ignores later adds", async () => {
      const q = new WorkQueue<string>();
      const waiting = q.get();
      q.shutDown();
      expect(await waiting).to.equal(undefined);
      q.add("a");
      expect(q.length).to.equal(0);
      expect(await q.get()).to.equal(undefined);
    });

    it("shutDownWithDrain resolves only once every key handed out is done", async () => {
      const q = new WorkQueue<string>();
      q.add("a");
      await q.get();
      let drained = false;
      const drain = q.shutDownWithDrain().then(() => (drained = true));
      await settle();
      expect(drained).to.equal(false);
      q.done("a");
      await drain;
      expect(drained).to.equal(true);
    });

    it("get(signal) resolves undefined when the signal aborts, and the key stays for others", async () => {
      const q = new WorkQueue<string>();
      const ac = new AbortController();
      const waiting = q.get(ac.signal);
      ac.abort();
      expect(await waiting).to.equal(undefined);
      q.add("a");
      expect(await q.get()).to.equal("a");
    });
  });

  describe("DelayingQueue (fake clock)", () => {
    it("adds a key when its delay has passed, not before", async () => {
      const clock = new FakeClock();
      const q = new DelayingQueue<string>(clock);
      q.addAfter("a", 100);
      clock.step(99);
      expect(q.length).to.equal(0);
      expect(q.waiting).to.equal(1);
      clock.step(1);
      expect(q.length).to.equal(1);
      expect(await q.get()).to.equal("a");
    });

    it("keeps one waiting entry per key, at the earliest time asked for", () => {
      const clock = new FakeClock();
      const q = new DelayingQueue<string>(clock);
      q.addAfter("a", 500);
      q.addAfter("a", 100);
      q.addAfter("a", 300);
      expect(q.waiting).to.equal(1);
      clock.step(100);
      expect(q.length).to.equal(1);
      clock.step(1000);
      expect(q.length, "no second add from the later requests").to.equal(1);
    });

    it("releases keys in time order whatever the order they were added in", async () => {
      const clock = new FakeClock();
      const q = new DelayingQueue<string>(clock);
      q.addAfter("c", 30);
      q.addAfter("a", 10);
      q.addAfter("b", 20);
      q.addAfter("now", 0);
      clock.step(30);
      const got = [];
      while (q.length) got.push(await q.get());
      expect(got).to.deep.equal(["now", "a", "b", "c"]);
    });
  });

  describe("rate limiters", () => {
    it("exponential: base·2^n per key, capped, forgotten on success", () => {
      const r = new ExponentialFailureRateLimiter<string>({ baseDelayMs: 5, maxDelayMs: 100, jitter: 0, random: () => 0 });
      expect([1, 2, 3, 4, 5, 6].map(() => r.when("a"))).to.deep.equal([5, 10, 20, 40, 80, 100]);
      expect(r.when("b"), "per key").to.equal(5);
      expect(r.numRequeues("a")).to.equal(6);
      r.forget("a");
      expect(r.numRequeues("a")).to.equal(0);
      expect(r.when("a")).to.equal(5);
    });

    it("exponential: jitter takes up to its fraction off, never above the cap", () => {
      let rnd = 0.999;
      const r = new ExponentialFailureRateLimiter<string>({ baseDelayMs: 100, maxDelayMs: 400, jitter: 0.5, random: () => rnd });
      const d1 = r.when("a");
      expect(d1).to.be.closeTo(50, 0.1);
      rnd = 0;
      expect(r.when("a")).to.equal(200);
      for (let i = 0; i < 60; i++) expect(r.when("a")).to.be.at.most(400);
    });

    it("exponential: rejects settings that make no sense", () => {
      expect(() => new ExponentialFailureRateLimiter({ baseDelayMs: 0 })).to.throw(/baseDelayMs/);
      expect(() => new ExponentialFailureRateLimiter({ baseDelayMs: 10, maxDelayMs: 5 })).to.throw(/baseDelayMs/);
      expect(() => new ExponentialFailureRateLimiter({ jitter: 1 })).to.throw(/jitter/);
    });

    it("token bucket: a burst at once, then one per 1/qps", () => {
      const clock = new FakeClock();
      const r = new TokenBucketRateLimiter<string>({ qps: 10, burst: 3, clock });
      expect([r.when("a"), r.when("b"), r.when("c")]).to.deep.equal([0, 0, 0]);
      expect(r.when("d")).to.be.closeTo(100, 1e-6);
      expect(r.when("e")).to.be.closeTo(200, 1e-6);
      clock.step(1000);
      expect(r.when("f"), "refilled").to.equal(0);
      expect(() => new TokenBucketRateLimiter({ qps: 0 })).to.throw(/qps/);
    });

    it("max-of combines limiters: the longest delay wins, forget reaches all", () => {
      const clock = new FakeClock();
      const exp = new ExponentialFailureRateLimiter<string>({ baseDelayMs: 5, maxDelayMs: 1000, jitter: 0 });
      const bucket = new TokenBucketRateLimiter<string>({ qps: 1, burst: 1, clock });
      const r = new MaxOfRateLimiter(exp, bucket);
      expect(r.when("a")).to.equal(5);
      expect(r.when("a")).to.be.closeTo(1000, 1e-6);
      expect(r.numRequeues("a")).to.equal(2);
      r.forget("a");
      expect(r.numRequeues("a")).to.equal(0);
      expect(() => new MaxOfRateLimiter()).to.throw(/at least one/);
    });
  });

  describe("RateLimitingQueue (fake clock)", () => {
    it("retries a failing key after growing delays and starts over after forget", async () => {
      const clock = new FakeClock();
      const q = new RateLimitingQueue<string>(new ExponentialFailureRateLimiter({ baseDelayMs: 10, maxDelayMs: 1000, jitter: 0 }), clock);
      const readyAfter = async (): Promise<number> => {
        const start = clock.now();
        while (q.length === 0) clock.step(1);
        await q.get();
        return clock.now() - start;
      };
      const delays: number[] = [];
      for (let i = 0; i < 4; i++) {
        q.addRateLimited("k");
        delays.push(await readyAfter());
        q.done("k");
      }
      expect(delays).to.deep.equal([10, 20, 40, 80]);
      q.forget("k");
      q.addRateLimited("k");
      expect(await readyAfter()).to.equal(10);
    });
  });
});
