import { expect } from "chai";
import { Status } from "../../src/errors/api-error.js";
import { EtcdStore } from "../../src/store/etcd-store.js";
import type { StoreWatch } from "../../src/store/store.js";
import { startEtcd } from "../fixtures/etcd.js";
import type { EtcdProcess } from "../fixtures/etcd.js";
import { storeConformance } from "./conformance.js";
import { dec, enc, eventRevision, Recorder, rejection } from "./support.js";

const CALL_TIMEOUT_MS = 1_500;

describe("EtcdStore (real etcd)", function () {
  this.timeout(60_000);
  let etcd: EtcdProcess;
  let store: EtcdStore;

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

  const t = storeConformance(() => store);

  describe("etcd outages", () => {
    let prefix: string;
    beforeEach(() => {
      prefix = t.prefix;
    });
    const watch = (from: number, rec: Recorder): Promise<StoreWatch> => t.watch(from, rec);

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
