/**
 * What every Store backend must do, as etcd does it: one suite, run unchanged
 * against EtcdStore (real etcd) and SqliteStore. Call storeConformance inside
 * the backend's describe block; its hooks give each test a fresh key prefix
 * and close the test's watches, and apply to the caller's other tests too.
 */
import { expect } from "chai";
import { ApiError, Status } from "../../src/errors/api-error.js";
import { maxCommitWrites } from "../../src/store/commit.js";
import type { Store, StoreWatch } from "../../src/store/store.js";
import { dec, enc, eventRevision, Recorder, rejection } from "./support.js";

export interface ConformanceContext {
  /** This test's key prefix, `/test<n>/`. */
  readonly prefix: string;
  /** This test's number in the suite. */
  readonly n: number;
  /** Watches `on` (default: the test's prefix); the watch is closed after the test. */
  watch(from: number, rec: Recorder, on?: string): Promise<StoreWatch>;
}

/** Registers the conformance tests for the store `subject()` gives (opened by the caller's `before`). */
export function storeConformance(subject: () => Store): ConformanceContext {
  let store: Store;
  let n = 0;
  let prefix = "";
  const watches: StoreWatch[] = [];

  beforeEach(() => {
    store = subject();
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

  describe("commit", () => {
    it("writes every key at one revision", async () => {
      const ra = await store.create(`${prefix}a`, enc("a1"));
      const before = await store.currentRevision();
      const rev = await store.commit([
        { key: `${prefix}b`, value: enc("b1"), expectedModRevision: 0 },
        { key: `${prefix}a`, value: enc("a2"), expectedModRevision: ra },
      ]);
      expect(rev).to.equal(before + 1);
      expect(await store.currentRevision()).to.equal(rev);
      const a = (await store.get(`${prefix}a`))!;
      expect(a).to.include({ modRevision: rev, createRevision: ra });
      expect(dec(a.value)).to.equal("a2");
      const b = (await store.get(`${prefix}b`))!;
      expect(b).to.include({ modRevision: rev, createRevision: rev });
      expect(dec(b.value)).to.equal("b1");
    });

    it("writes nothing when a compare fails, and names the first key that differs", async () => {
      const ra = await store.create(`${prefix}a`, enc("a1"));
      const before = await store.currentRevision();
      const stale = await rejection(
        store.commit([
          { key: `${prefix}c`, value: enc("c1"), expectedModRevision: 0 },
          { key: `${prefix}a`, value: enc("a2"), expectedModRevision: ra + 1_000 },
        ]),
      );
      expect(stale.code).to.equal(Status.ABORTED);
      expect(stale.reason).to.equal("Conflict");
      expect(stale.message).to.equal(`key ${prefix}a is at mod revision ${ra}, expected at mod revision ${ra + 1_000}`);

      const exists = await rejection(store.commit([{ key: `${prefix}a`, value: enc("x"), expectedModRevision: 0 }]));
      expect(exists.code).to.equal(Status.ABORTED);
      expect(exists.message).to.equal(`key ${prefix}a is at mod revision ${ra}, expected absent`);

      const absent = await rejection(store.commit([{ key: `${prefix}gone`, value: enc("x"), expectedModRevision: ra }]));
      expect(absent.code).to.equal(Status.ABORTED);
      expect(absent.message).to.equal(`key ${prefix}gone is absent, expected at mod revision ${ra}`);

      expect(await store.currentRevision()).to.equal(before);
      expect(await store.get(`${prefix}c`)).to.equal(undefined);
      expect(dec((await store.get(`${prefix}a`))!.value)).to.equal("a1");
    });

    it("refuses an empty commit, a key written twice, too many writes and a negative expected revision", async () => {
      const before = await store.currentRevision();
      const w = (key: string, expectedModRevision = 0) => ({ key: `${prefix}${key}`, value: enc("x"), expectedModRevision });
      const bad = [
        [],
        [w("a"), w("a")],
        Array.from({ length: maxCommitWrites + 1 }, (_, i) => w(`k${i}`)),
        [w("a"), w("b", -1)],
      ];
      for (const writes of bad) {
        const err = await rejection(store.commit(writes));
        expect(err.code, err.message).to.equal(Status.INVALID_ARGUMENT);
      }
      expect(await store.currentRevision()).to.equal(before);
      expect((await store.list(prefix)).kvs).to.deep.equal([]);
      // the largest commit allowed goes through
      await store.commit(Array.from({ length: maxCommitWrites }, (_, i) => w(`k${i}`)));
      expect((await store.list(prefix)).kvs).to.have.length(maxCommitWrites);
    });

    it("is watched as one batch of events at its revision, in write order", async () => {
      const rz = await store.create(`${prefix}z`, enc("z1"));
      const rec = new Recorder();
      await watch(rz + 1, rec);
      const rev = await store.commit([
        { key: `${prefix}z`, value: enc("z2"), expectedModRevision: rz },
        { key: `${prefix}a`, value: enc("a1"), expectedModRevision: 0 },
        { key: `${prefix}m`, value: enc("m1"), expectedModRevision: 0 },
      ]);
      await rec.until("three events", () => rec.events.length >= 3);
      const withEvents = rec.batches.filter((b) => b.events.length > 0);
      expect(withEvents).to.have.length(1);
      expect(withEvents[0]!.revision).to.be.at.least(rev);
      expect(rec.events.map((ev) => (ev.type === "put" ? `${ev.kv.key.slice(prefix.length)}@${ev.kv.modRevision}` : ""))).to.deep.equal([
        `z@${rev}`,
        `a@${rev}`,
        `m@${rev}`,
      ]);
      const [z] = rec.events;
      expect(z!.prev && dec(z!.prev.value)).to.equal("z1");
    });
  });

  describe("history", () => {
    it("gives a key created again after a delete a new create revision and no previous value", async () => {
      const r1 = await store.create(`${prefix}a`, enc("1"));
      const r2 = await store.delete(`${prefix}a`, r1);
      const rec = new Recorder();
      await watch(r1, rec);
      const r3 = await store.create(`${prefix}a`, enc("2"));
      await rec.until("three events", () => rec.events.length >= 3);
      expect((await store.get(`${prefix}a`))!).to.include({ createRevision: r3, modRevision: r3 });
      const [, del, put] = rec.events;
      if (del!.type !== "delete" || put!.type !== "put") throw new Error("expected a delete, then a put");
      expect(del!.modRevision).to.equal(r2);
      expect(put!.kv).to.include({ createRevision: r3, modRevision: r3 });
      expect(put!.prev).to.equal(undefined);
      expect((await store.list(prefix, { revision: r2 })).kvs).to.deep.equal([]);
    });

    it("keeps reads and watches at the compaction revision, without the values it compacted", async () => {
      const r1 = await store.create(`${prefix}a`, enc("1"));
      const r2 = await store.update(`${prefix}a`, enc("2"), r1);
      const r3 = await store.update(`${prefix}a`, enc("3"), r2);
      await store.compact(r2);
      const at = await store.list(prefix, { revision: r2 });
      expect(at.kvs.map((kv) => `${dec(kv.value)}@${kv.modRevision}`)).to.deep.equal([`2@${r2}`]);
      const rec = new Recorder();
      await watch(r2, rec);
      await rec.until("two events", () => rec.events.length >= 2);
      expect(rec.events.map(eventRevision)).to.deep.equal([r2, r3]);
      const [e2, e3] = rec.events;
      // the version r2 replaced is compacted; r3's previous value (r2) is not
      expect(e2!.prev).to.equal(undefined);
      expect(e3!.prev && dec(e3!.prev.value)).to.equal("2");
      expect(rec.errors).to.deep.equal([]);
    });

    it("compacts a revision the store has not reached yet as the same error a read gets", async () => {
      const rev = await store.currentRevision();
      const err = await rejection(store.compact(rev + 1_000_000));
      expect(err.code).to.equal(Status.DEADLINE_EXCEEDED);
      expect(err.reason).to.equal("Timeout");
    });
  });

  return {
    get prefix() {
      return prefix;
    },
    get n() {
      return n;
    },
    watch,
  };
}
