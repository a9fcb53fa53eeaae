import { expect } from "chai";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiError, Status } from "../../src/errors/api-error.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { spawnNodeProcess } from "../fixtures/node-process.js";
import type { NodeProcess } from "../fixtures/node-process.js";
import { storeConformance } from "./conformance.js";
import { ABC_KEYS, ABC_PREFIX, LOG_PREFIX, logKey, valueRound } from "./fixtures/crash-rounds.js";
import { dec, enc, eventRevision, Recorder, rejection } from "./support.js";

/** Short, so that a refused open does not wait long for the owner to go. */
const BUSY_TIMEOUT_MS = 100;

function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "krake-sqlite-"));
}

/** fixtures/sqlite-child.ts in MODE on FILE, as a real process. */
function child(mode: "writer" | "hold" | "open", file: string): NodeProcess {
  // spawnNodeProcess runs `node <bin> ...args`: here the "bin" is tsx's loader flag
  return spawnNodeProcess("--import", ["tsx", "test/store/fixtures/sqlite-child.ts", mode, file]);
}

function openError(file: string): ApiError {
  try {
    SqliteStore.open(file, { busyTimeoutMs: BUSY_TIMEOUT_MS });
  } catch (err) {
    expect(err).to.be.instanceOf(ApiError);
    return err as ApiError;
  }
  throw new Error(`${file} opened twice`);
}

describe("SqliteStore (conformance)", function () {
  this.timeout(60_000);
  let dir: string;
  let store: SqliteStore;

  before(async () => {
    dir = await tempDir();
    store = SqliteStore.open(join(dir, "store.db"));
  });

  after(async () => {
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  storeConformance(() => store);
});

describe("SqliteStore (its file and processes)", function () {
  this.timeout(120_000);
  let dir: string;
  const open: SqliteStore[] = [];
  const openStore = (file: string): SqliteStore => {
    const s = SqliteStore.open(file, { busyTimeoutMs: BUSY_TIMEOUT_MS });
    open.push(s);
    return s;
  };

  beforeEach(async () => {
    dir = await tempDir();
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps every acknowledged write, and every commit whole, across kill -9 of the writing process", async () => {
    const file = join(dir, "crash", "store.db");
    const acks: { round: number; revision: number }[] = [];
    for (let run = 1; run <= 4; run++) {
      const writer = child("writer", file);
      // killed a different number of rounds into each run, right after a line it printed
      const target = (acks.at(-1)?.round ?? 0) + 30 + 20 * run;
      await writer.waitForLog((l) => l.msg === "ack" && (l.round as number) >= target);
      writer.child.kill("SIGKILL");
      const exit = await writer.exited;
      expect(exit.signal).to.equal("SIGKILL");
      acks.push(...writer.logs.filter((l) => l.msg === "ack").map((l) => ({ round: l.round as number, revision: l.revision as number })));
      const last = acks.at(-1)!;

      const store = openStore(file);
      expect(await store.currentRevision()).to.be.at.least(last.revision);
      // the newest commit: whole, and the last acknowledged one or the one after (durable but not acknowledged)
      const abc = (await store.list(ABC_PREFIX)).kvs;
      expect(abc.map((kv) => kv.key)).to.deep.equal(ABC_KEYS);
      const rounds = new Set(abc.map((kv) => valueRound(kv.value)));
      const mods = new Set(abc.map((kv) => kv.modRevision));
      expect(rounds.size, "one round in a, b and c").to.equal(1);
      expect(mods.size, "one revision in a, b and c").to.equal(1);
      const newest = [...rounds][0]!;
      expect(newest).to.be.within(last.round, last.round + 1);
      // every acknowledged commit, whole, at the revision it was acknowledged with
      for (const ack of acks) {
        const then = await store.list(ABC_PREFIX, { revision: ack.revision });
        expect(then.kvs.map((kv) => `${valueRound(kv.value)}@${kv.modRevision}`), `round ${ack.round}`).to.deep.equal(
          ABC_KEYS.map(() => `${ack.round}@${ack.revision}`),
        );
        const logged = await store.get(logKey(ack.round));
        expect(logged && valueRound(logged.value), `round ${ack.round}`).to.equal(ack.round);
        expect(logged!.modRevision).to.equal(ack.revision);
      }
      // no round lost or half there: one log key per round up to the newest
      const log = (await store.list(LOG_PREFIX)).kvs;
      expect(log.map((kv) => valueRound(kv.value))).to.deep.equal(Array.from({ length: newest }, (_, i) => i + 1));
      await store.close();
      open.splice(open.indexOf(store), 1);
    }
  });

  it("refuses a second opener, in another process or in this one, naming the owner's pid; kill -9 frees the file", async () => {
    const file = join(dir, "owned", "store.db");
    const holder = child("hold", file);
    await holder.waitForLog((l) => l.msg === "open");
    const owner = holder.child.pid!;

    const here = openError(file);
    expect(here.code).to.equal(Status.UNAVAILABLE);
    expect(here.message).to.equal(
      `the SQLite store ${file} is in use by another krake-api (pid ${owner}): a SQLite store serves one API server; ` +
        "several API replicas need etcd",
    );
    const other = child("open", file);
    const refused = await other.waitForLog((l) => l.msg === "refused" || l.msg === "open");
    expect(refused.message).to.equal(here.message);
    expect((await other.exited).code).to.equal(3);

    holder.child.kill("SIGKILL");
    await holder.exited;
    const store = openStore(file);
    await store.create("/k", enc("v"));
    const again = openError(file);
    expect(again.message).to.contain(`in use by another krake-api (pid ${process.pid})`);
    const otherAgain = child("open", file);
    expect((await otherAgain.exited).code).to.equal(3);
  });

  it("keeps data, revision and compaction across a clean close and reopen, and creates missing directories", async () => {
    const file = join(dir, "a", "b", "store.db");
    const first = openStore(file);
    const r1 = await first.create("/k/a", enc("1"));
    const r2 = await first.update("/k/a", enc("2"), r1);
    const r3 = await first.create("/k/b", enc("b"));
    const r4 = await first.delete("/k/b", r3);
    await first.compact(r2);
    await first.close();
    expect(existsSync(`${file}-pid`)).to.equal(false);

    const second = openStore(file);
    expect(await second.currentRevision()).to.equal(r4);
    expect((await second.list("/k/")).kvs.map((kv) => `${kv.key}=${dec(kv.value)}@${kv.modRevision}`)).to.deep.equal([
      `/k/a=2@${r2}`,
    ]);
    expect((await second.list("/k/", { revision: r3 })).kvs.map((kv) => kv.key)).to.deep.equal(["/k/a", "/k/b"]);
    expect((await rejection(second.list("/k/", { revision: r1 }))).reason).to.equal("Expired");
    expect(await second.create("/k/c", enc("c"))).to.equal(r4 + 1);
  });

  it("resumes a watch from a revision written before a reopen", async () => {
    const file = join(dir, "store.db");
    const first = openStore(file);
    const r1 = await first.create("/w/a", enc("1"));
    const r2 = await first.update("/w/a", enc("2"), r1);
    await first.close();

    const second = openStore(file);
    const rec = new Recorder();
    const w = await second.watch("/w/", r1, rec.handlers);
    const r3 = await second.delete("/w/a", r2);
    await rec.until("three events", () => rec.events.length >= 3);
    await w.close();
    expect(rec.events.map(eventRevision)).to.deep.equal([r1, r2, r3]);
    const [, e2, e3] = rec.events;
    expect(e2!.prev && dec(e2!.prev.value)).to.equal("1");
    expect(e3!.prev && dec(e3!.prev.value)).to.equal("2");
    expect(rec.errors).to.deep.equal([]);
  });

  it("commits the writes of one event-loop turn together, each at its own revision and on its own compares", async () => {
    const store = openStore(join(dir, "store.db"));
    const ra = await store.create("/g/a", enc("a"));
    const results = await Promise.allSettled([
      store.create("/g/b", enc("b")),
      store.update("/g/a", enc("a2"), ra),
      store.update("/g/a", enc("a3"), ra), // the write before it moved /g/a
      store.commit([{ key: "/g/c", value: enc("c"), expectedModRevision: 0 }]),
      store.create("/g/b", enc("b2")), // created two writes earlier
    ]);
    const outcomes = results.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as ApiError).code));
    expect(outcomes).to.deep.equal([ra + 1, ra + 2, Status.ABORTED, ra + 3, Status.ALREADY_EXISTS]);
    expect(await store.currentRevision()).to.equal(ra + 3);
    expect(dec((await store.get("/g/a"))!.value)).to.equal("a2");
  });

  it("catches up on large values in batches of a few MiB, never splitting a commit", async () => {
    const store = openStore(join(dir, "store.db"));
    const mb = (fill: number): Uint8Array => new Uint8Array(1_000_000).fill(fill);
    const from = (await store.currentRevision()) + 1;
    const revs: number[] = [];
    for (let i = 0; i < 6; i++) {
      const w = (k: string) => ({ key: `/big/${k}${i}`, value: mb(i), expectedModRevision: 0 });
      const rev = await store.commit([w("a"), w("b")]);
      revs.push(rev, rev);
    }
    const rec = new Recorder();
    const w = await store.watch("/big/", from, rec.handlers);
    await rec.until("every event", () => rec.events.length >= 12);
    await w.close();
    expect(rec.events.map(eventRevision)).to.deep.equal(revs);
    const withEvents = rec.batches.filter((b) => b.events.length > 0);
    expect(withEvents.length).to.be.within(2, 6);
    for (const b of withEvents) {
      expect(b.events.length % 2, "a commit's two events together").to.equal(0);
      expect(b.revision).to.equal(eventRevision(b.events.at(-1)!));
    }
  });

  it("compacts by itself, keeping the configured number of revisions", async () => {
    const store = SqliteStore.open(join(dir, "store.db"), { compactRetention: 3, compactIntervalMs: 20 });
    open.push(store);
    let rev = await store.create("/c/a", enc("0"));
    for (let i = 1; i <= 5; i++) rev = await store.update("/c/a", enc(String(i)), rev);
    // a run during the writes compacts less far: wait for the one after the last write (rev - 4 gone)
    const deadline = Date.now() + 5_000;
    while ((await store.list("/c/", { revision: rev - 4 }).then(() => "kept", (e: ApiError) => e.reason)) === "kept") {
      if (Date.now() > deadline) throw new Error("no automatic compaction within 5 s");
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await store.list("/c/", { revision: rev - 3 })).kvs.map((kv) => dec(kv.value))).to.deep.equal(["2"]);
    expect((await rejection(store.list("/c/", { revision: rev - 4 }))).reason).to.equal("Expired");
  });

  it("answers UNAVAILABLE once closed", async () => {
    const store = openStore(join(dir, "store.db"));
    await store.close();
    for (const call of [() => store.get("/k"), () => store.create("/k", enc("v")), () => store.watch("/", 0, new Recorder().handlers)]) {
      expect((await rejection(call())).code).to.equal(Status.UNAVAILABLE);
    }
  });

  it("serves a throw-away store in memory", async () => {
    const store = openStore(":memory:");
    const r = await store.create("/m", enc("v"));
    expect((await store.get("/m"))!.modRevision).to.equal(r);
  });
});
