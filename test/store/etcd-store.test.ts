import { expect } from "chai";
import { ApiError, Status } from "../../src/errors/api-error.js";
import { EtcdStore } from "../../src/store/etcd-store.js";
import type { StoreEvent, StoreEventBatch, StoreWatch } from "../../src/store/store.js";
import { startEtcd } from "../fixtures/etcd.js";
import type { EtcdProcess } from "../fixtures/etcd.js";

const CALL_TIMEOUT_MS = 1_500;
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

async function rejection(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(ApiError);
    return err as ApiError;
  }
  throw new Error("expected a rejection");
}

function eventRevision(ev: StoreEvent): number {
  return ev.type === "put" ? ev.kv.modRevision : ev.modRevision;
}

/** Records what a watch delivers. */
class Recorder {
  readonly batches: StoreEventBatch[] = [];
  readonly errors: Error[] = [];
  readonly handlers = {
    onEvents: (b: StoreEventBatch): void => void this.batches.push(b),
    onError: (e: Error): void => void this.errors.push(e),
  };

  get events(): StoreEvent[] {
    return this.batches.flatMap((b) => b.events);
  }

  async until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

describe("EtcdStore (real etcd)", function () {
  this.timeout(60_000);
  let etcd: EtcdProcess;
  let store: EtcdStore;
  let n = 0;
  let prefix: string;
  const watches: StoreWatch[] = [];

  before(async () => {
    etcd = await startEtcd();
    store = new EtcdStore({
      endpoints: [etcd.endpoint],
      callTimeoutMs: CALL_TIMEOUT_MS,
      dialTimeoutMs: CALL_TIMEOUT_MS,
      watchRetryMaxMs: 300,
    });
  });

  after(async () => {
    await store?.close();
    await etcd?.remove();
  });

  beforeEach(() => {
    prefix = `/test${++n}/`;
  });

  afterEach(async () => {
    await Promise.all(watches.splice(0).map((w) => w.close()));
  });

  async function watch(from: number, rec: Recorder, on = prefix): Promise<StoreWatch> {
    const w = await store.watch(on, from, rec.handlers);
    watches.push(w);
    return w;
  }

  describe("writes and reads", () => {
    it("creates and gets a key", async () => {
      const rev = await store.create(`${prefix}a`, enc("one"));
      const kv = await store.get(`${prefix}a`);
      expect(kv).to.not.equal(undefined);
      expect(kv!.key).to.equal(`${prefix}a`);
      expect(dec(kv!.value)).to.equal("one");
      expect(kv!.modRevision).to.equal(rev);
      expect(kv!.createRevision).to.equal(rev);
      expect(await store.get(`${prefix}missing`)).to.equal(undefined);
    });

    it("rejects a second create with ALREADY_EXISTS", async () => {
      await store.create(`${prefix}a`, enc("one"));
      const err = await rejection(store.create(`${prefix}a`, enc("two")));
      expect(err.code).to.equal(Status.ALREADY_EXISTS);
      expect(err.reason).to.equal("AlreadyExists");
      expect(err.message).to.contain(`${prefix}a`);
      expect(dec((await store.get(`${prefix}a`))!.value)).to.equal("one");
    });

    it("updates only at the expected mod revision", async () => {
      const created = await store.create(`${prefix}a`, enc("one"));
      const updated = await store.update(`${prefix}a`, enc("two"), created);
      expect(updated).to.be.greaterThan(created);
      const kv = (await store.get(`${prefix}a`))!;
      expect(dec(kv.value)).to.equal("two");
      expect(kv.modRevision).to.equal(updated);
      expect(kv.createRevision).to.equal(created);

      const conflict = await rejection(store.update(`${prefix}a`, enc("three"), created));
      expect(conflict.code).to.equal(Status.ABORTED);
      expect(conflict.reason).to.equal("Conflict");
      expect(dec((await store.get(`${prefix}a`))!.value)).to.equal("two");

      const missing = await rejection(store.update(`${prefix}nope`, enc("x"), created));
      expect(missing.code).to.equal(Status.NOT_FOUND);
      expect(await store.get(`${prefix}nope`)).to.equal(undefined);
    });

    it("deletes only at the expected mod revision", async () => {
      const created = await store.create(`${prefix}a`, enc("one"));
      const updated = await store.update(`${prefix}a`, enc("two"), created);
      const conflict = await rejection(store.delete(`${prefix}a`, created));
      expect(conflict.code).to.equal(Status.ABORTED);
      expect(conflict.reason).to.equal("Conflict");

      const deleted = await store.delete(`${prefix}a`, updated);
      expect(deleted).to.be.greaterThan(updated);
      expect(await store.get(`${prefix}a`)).to.equal(undefined);
      const again = await rejection(store.delete(`${prefix}a`, updated));
      expect(again.code).to.equal(Status.NOT_FOUND);
    });

    it("refuses a compare against revision 0 (it would create the key)", async () => {
      const err = await rejection(store.update(`${prefix}a`, enc("x"), 0));
      expect(err.code).to.equal(Status.INVALID_ARGUMENT);
      expect(await store.get(`${prefix}a`)).to.equal(undefined);
      expect((await rejection(store.delete(`${prefix}a`, 0))).code).to.equal(Status.INVALID_ARGUMENT);
    });

    it("reports the current revision, which every write advances", async () => {
      const before = await store.currentRevision();
      const rev = await store.create(`${prefix}a`, enc("x"));
      expect(rev).to.equal(before + 1);
      expect(await store.currentRevision()).to.equal(rev);
    });
  });

  describe("list", () => {
    it("lists the keys under a prefix, in key order, at the current revision", async () => {
      await store.create(`${prefix}b`, enc("b"));
      await store.create(`${prefix}a`, enc("a"));
      await store.create(`${prefix}a/nested`, enc("n"));
      // siblings of the prefix that must not match
      await store.create(`${prefix.slice(0, -1)}x`, enc("no"));
      await store.create(`${prefix.slice(0, -1)}0`, enc("no"));
      const res = await store.list(prefix);
      expect(res.kvs.map((kv) => kv.key)).to.deep.equal([`${prefix}a`, `${prefix}a/nested`, `${prefix}b`]);
      expect(res.kvs.map((kv) => dec(kv.value))).to.deep.equal(["a", "n", "b"]);
      expect(res.more).to.equal(false);
      expect(res.revision).to.equal(await store.currentRevision());
      expect((await store.list(`${prefix}none/`)).kvs).to.deep.equal([]);
    });

    it("reads a snapshot at a past revision", async () => {
      const r1 = await store.create(`${prefix}a`, enc("a1"));
      const r2 = await store.create(`${prefix}b`, enc("b1"));
      await store.update(`${prefix}a`, enc("a2"), r1);
      await store.delete(`${prefix}b`, r2);
      await store.create(`${prefix}c`, enc("c1"));

      const then = await store.list(prefix, { revision: r2 });
      expect(then.revision).to.equal(r2);
      expect(then.kvs.map((kv) => `${kv.key}=${dec(kv.value)}@${kv.modRevision}`)).to.deep.equal([
        `${prefix}a=a1@${r1}`,
        `${prefix}b=b1@${r2}`,
      ]);
      const now = await store.list(prefix);
      expect(now.kvs.map((kv) => `${kv.key}=${dec(kv.value)}`)).to.deep.equal([`${prefix}a=a2`, `${prefix}c=c1`]);
    });

    it("paginates with startAfter and limit, at one revision", async () => {
      for (const k of ["k0", "k1", "k2", "k3", "k4"]) await store.create(`${prefix}${k}`, enc(k));
      const rev = await store.currentRevision();
      const pages: string[][] = [];
      const mores: boolean[] = [];
      let startAfter: string | undefined;
      for (;;) {
        const page = await store.list(prefix, { revision: rev, startAfter, limit: 2 });
        expect(page.revision).to.equal(rev);
        pages.push(page.kvs.map((kv) => kv.key.slice(prefix.length)));
        mores.push(page.more);
        if (!page.more) break;
        startAfter = page.kvs[page.kvs.length - 1].key;
        // a write between pages must not show up in the snapshot
        if (pages.length === 1) await store.create(`${prefix}k1a`, enc("late"));
      }
      expect(pages).to.deep.equal([["k0", "k1"], ["k2", "k3"], ["k4"]]);
      expect(mores).to.deep.equal([true, true, false]);

      const rest = await store.list(prefix, { startAfter: `${prefix}k2` });
      expect(rest.kvs.map((kv) => kv.key.slice(prefix.length))).to.deep.equal(["k3", "k4"]);
      // a startAfter before the prefix does not widen the range
      const all = await store.list(prefix, { startAfter: "/", limit: 0 });
      expect(all.kvs).to.have.length(6);
      const exact = await store.list(prefix, { limit: 6 });
      expect(exact.more).to.equal(false);
    });

    it("reports a compacted revision as OUT_OF_RANGE/Expired and a future one as Timeout", async () => {
      const r1 = await store.create(`${prefix}a`, enc("a"));
      const r2 = await store.update(`${prefix}a`, enc("b"), r1);
      await store.compact(r2);
      await store.compact(r1); // already compacted: a no-op
      const expired = await rejection(store.list(prefix, { revision: r1 }));
      expect(expired.code).to.equal(Status.OUT_OF_RANGE);
      expect(expired.reason).to.equal("Expired");
      const future = await rejection(store.list(prefix, { revision: r2 + 1_000_000 }));
      expect(future.code).to.equal(Status.DEADLINE_EXCEEDED);
      expect(future.reason).to.equal("Timeout");
    });
  });

  describe("watch", () => {
    it("delivers puts and deletes with their previous values", async () => {
      const rec = new Recorder();
      const from = (await store.currentRevision()) + 1;
      await watch(from, rec);
      const r1 = await store.create(`${prefix}a`, enc("v1"));
      const r2 = await store.update(`${prefix}a`, enc("v2"), r1);
      await store.create(`/elsewhere${n}/x`, enc("not watched"));
      const r3 = await store.delete(`${prefix}a`, r2);
      await rec.until("three events", () => rec.events.length >= 3);

      const [e1, e2, e3] = rec.events;
      expect(e1.type).to.equal("put");
      if (e1.type !== "put") throw new Error("unreachable");
      expect(e1.kv).to.include({ key: `${prefix}a`, modRevision: r1, createRevision: r1 });
      expect(dec(e1.kv.value)).to.equal("v1");
      expect(e1.prev).to.equal(undefined);

      if (e2.type !== "put") throw new Error(`expected a put, got ${e2.type}`);
      expect(e2.kv).to.include({ modRevision: r2, createRevision: r1 });
      expect(dec(e2.prev!.value)).to.equal("v1");

      if (e3.type !== "delete") throw new Error(`expected a delete, got ${e3.type}`);
      expect(e3).to.include({ key: `${prefix}a`, modRevision: r3 });
      expect(dec(e3.prev!.value)).to.equal("v2");
      expect(e3.prev!.modRevision).to.equal(r2);

      for (const b of rec.batches) for (const ev of b.events) expect(eventRevision(ev)).to.be.at.most(b.revision);
      expect(rec.errors).to.deep.equal([]);
    });

    it("replays history from a past revision", async () => {
      const r1 = await store.create(`${prefix}a`, enc("1"));
      const r2 = await store.create(`${prefix}b`, enc("2"));
      const r3 = await store.update(`${prefix}a`, enc("3"), r1);
      const rec = new Recorder();
      await watch(r2, rec);
      await rec.until("two events", () => rec.events.length >= 2);
      expect(rec.events.map(eventRevision)).to.deep.equal([r2, r3]);
      const r4 = await store.delete(`${prefix}b`, r2);
      await rec.until("the delete", () => rec.events.length >= 3);
      expect(rec.events.map(eventRevision)).to.deep.equal([r2, r3, r4]);
    });

    it("watches from now when fromRevision is 0", async () => {
      await store.create(`${prefix}old`, enc("old"));
      const rec = new Recorder();
      await watch(0, rec);
      const r = await store.create(`${prefix}new`, enc("new"));
      await rec.until("one event", () => rec.events.length >= 1);
      expect(rec.events.map(eventRevision)).to.deep.equal([r]);
    });

    it("reports a compacted start revision through onError as OUT_OF_RANGE", async () => {
      const r1 = await store.create(`${prefix}a`, enc("1"));
      const r2 = await store.update(`${prefix}a`, enc("2"), r1);
      await store.compact(r2);
      const rec = new Recorder();
      await watch(r1, rec);
      await rec.until("an error", () => rec.errors.length > 0);
      const err = rec.errors[0];
      expect(err).to.be.instanceOf(ApiError);
      expect((err as ApiError).code).to.equal(Status.OUT_OF_RANGE);
      expect((err as ApiError).reason).to.equal("Expired");
      expect(rec.events).to.deep.equal([]);
    });

    it("advances the batch revision through progress notifications when nothing under the prefix changes", async () => {
      const rec = new Recorder();
      await watch((await store.currentRevision()) + 1, rec);
      const elsewhere = await store.create(`/elsewhere${n}/x`, enc("x"));
      await rec.until("a progress batch", () => rec.batches.some((b) => b.revision >= elsewhere), 5_000);
      expect(rec.events).to.deep.equal([]);
    });

    it("never promises a batch revision ahead of the events it delivered (catch-up over 1000 revisions)", async () => {
      const from = (await store.currentRevision()) + 1;
      const total = 1_500;
      const revs: number[] = [];
      for (let i = 0; i < total; i += 50) {
        const chunk = Array.from({ length: Math.min(50, total - i) }, (_, j) => store.create(`${prefix}k${i + j}`, enc("x")));
        revs.push(...(await Promise.all(chunk)));
        // writes elsewhere, so that etcd's current revision runs ahead of the prefix's
        await store.create(`/elsewhere${n}/k${i}`, enc("y"));
      }
      revs.sort((a, b) => a - b);
      const rec = new Recorder();
      await watch(from, rec);
      await rec.until("the whole history", () => rec.events.length >= total);
      expect(rec.events.map(eventRevision)).to.deep.equal(revs);
      expect(rec.batches.length).to.be.greaterThan(1);
      rec.batches.forEach((b, i) => {
        for (const later of rec.batches.slice(i + 1)) {
          for (const ev of later.events) expect(eventRevision(ev)).to.be.greaterThan(b.revision);
        }
      });
    });

    it("stops delivering after close", async () => {
      const rec = new Recorder();
      const w = await watch((await store.currentRevision()) + 1, rec);
      await w.close();
      await store.create(`${prefix}a`, enc("x"));
      await new Promise((r) => setTimeout(r, 300));
      expect(rec.events).to.deep.equal([]);
      expect(rec.errors).to.deep.equal([]);
    });
  });

  describe("etcd outages", () => {
    it("resumes a watch across an etcd restart with no gap and no duplicate", async () => {
      const rec = new Recorder();
      const from = (await store.currentRevision()) + 1;
      await watch(from, rec);
      const written: number[] = [];
      let prev = 0;
      let value = 0;
      const write = async (): Promise<void> => {
        const key = `${prefix}k${value % 3}`;
        const kv = await store.get(key);
        const v = enc(String(value++));
        prev = kv ? await store.update(key, v, kv.modRevision) : await store.create(key, v);
        written.push(prev);
      };
      for (let i = 0; i < 10; i++) await write();
      await rec.until("the writes before the restart", () => rec.events.length >= 10);

      await etcd.stop();
      await etcd.restart();
      // written right away, most likely before the watch has reconnected
      for (let i = 0; i < 30; i++) await write();
      await rec.until("the writes after the restart", () => rec.events.length >= 40);
      await new Promise((r) => setTimeout(r, 300)); // room for a (wrong) duplicate to show up

      expect(rec.events.map(eventRevision)).to.deep.equal(written);
      expect(rec.errors).to.deep.equal([]);
      // batch revisions never go back
      const revs = rec.batches.map((b) => b.revision);
      expect(revs).to.deep.equal([...revs].sort((a, b) => a - b));
      expect(prev).to.equal(written[written.length - 1]);
    });

    it("resumes a watch after etcd is killed, including writes it missed while reconnecting", async () => {
      const rec = new Recorder();
      await watch((await store.currentRevision()) + 1, rec);
      const r1 = await store.create(`${prefix}a`, enc("1"));
      await rec.until("the first write", () => rec.events.length >= 1);
      etcd.kill();
      await etcd.restart();
      const r2 = await store.update(`${prefix}a`, enc("2"), r1);
      const r3 = await store.create(`${prefix}b`, enc("3"));
      await rec.until("the writes after the restart", () => rec.events.length >= 3);
      expect(rec.events.map(eventRevision)).to.deep.equal([r1, r2, r3]);
      expect(rec.errors).to.deep.equal([]);
    });

    it("fails calls with UNAVAILABLE within the deadline while etcd is down, and recovers", async () => {
      const r1 = await store.create(`${prefix}a`, enc("1"));
      await etcd.stop();
      try {
        const calls: [string, () => Promise<unknown>][] = [
          ["get", () => store.get(`${prefix}a`)],
          ["list", () => store.list(prefix)],
          ["create", () => store.create(`${prefix}b`, enc("x"))],
          ["update", () => store.update(`${prefix}a`, enc("x"), r1)],
          ["delete", () => store.delete(`${prefix}a`, r1)],
          ["currentRevision", () => store.currentRevision()],
          ["watch", () => store.watch(prefix, r1, new Recorder().handlers)],
        ];
        for (const [name, call] of calls) {
          const started = Date.now();
          const err = await rejection(call());
          const elapsed = Date.now() - started;
          expect(err.code, `${name}: ${err.message}`).to.equal(Status.UNAVAILABLE);
          expect(elapsed, name).to.be.below(CALL_TIMEOUT_MS + 1_000);
        }
      } finally {
        await etcd.restart();
      }
      expect(dec((await store.get(`${prefix}a`))!.value)).to.equal("1");
      await store.update(`${prefix}a`, enc("2"), r1);
    });

    it("fails calls with UNAVAILABLE at the deadline when etcd hangs", async () => {
      await store.create(`${prefix}a`, enc("1"));
      await etcd.pause();
      try {
        const started = Date.now();
        const err = await rejection(store.get(`${prefix}a`));
        const elapsed = Date.now() - started;
        expect(err.code).to.equal(Status.UNAVAILABLE);
        expect(elapsed).to.be.within(CALL_TIMEOUT_MS - 100, CALL_TIMEOUT_MS + 1_000);
        const write = await rejection(store.create(`${prefix}b`, enc("2")));
        expect(write.code).to.equal(Status.UNAVAILABLE);
        const watchStarted = Date.now();
        const watchErr = await rejection(store.watch(prefix, 1, new Recorder().handlers));
        expect(watchErr.code).to.equal(Status.UNAVAILABLE);
        expect(Date.now() - watchStarted).to.be.below(CALL_TIMEOUT_MS + 1_000);
      } finally {
        etcd.resume();
      }
      expect(dec((await store.get(`${prefix}a`))!.value)).to.equal("1");
    });
  });
});
