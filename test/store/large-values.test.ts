/**
 * The etcd store with values near etcd's request limit: reads and watches
 * whose answers are far over gRPC's default 4 MiB message, and writes that
 * etcd refuses for their size (RESOURCE_EXHAUSTED, reason TooLarge).
 */
import { expect } from "chai";
import { GRPCResourceExhastedError } from "etcd3";
import { ApiError, Status } from "../../src/errors/api-error.js";
import { EtcdStore } from "../../src/store/etcd-store.js";
import { translateEtcdError } from "../../src/store/errors.js";
import type { StoreEvent, StoreEventBatch } from "../../src/store/store.js";
import { startEtcd } from "../fixtures/etcd.js";
import type { EtcdProcess } from "../fixtures/etcd.js";

/** 1 MB: under etcd's default --max-request-bytes (1.5 MiB), as max_object_bytes is. */
const MB = 1_000_000;
const COUNT = 6;
const value = (fill: number, size = MB): Uint8Array => new Uint8Array(size).fill(fill);

async function rejection(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(ApiError);
    return err as ApiError;
  }
  throw new Error("expected a rejection");
}

describe("EtcdStore with values near etcd's request limit (real etcd)", function () {
  this.timeout(60_000);
  let etcd: EtcdProcess;
  let store: EtcdStore;
  let n = 0;
  let prefix: string;

  before(async () => {
    etcd = await startEtcd();
    store = new EtcdStore({ endpoints: [etcd.endpoint] });
  });
  after(async () => {
    await store?.close();
    await etcd?.remove();
  });
  beforeEach(() => {
    prefix = `/large${++n}/`;
  });

  /** COUNT keys of 1 MB, each created and then updated; returns the revision before the first write. */
  async function fill(): Promise<number> {
    const before = await store.currentRevision();
    for (let i = 0; i < COUNT; i++) {
      const created = await store.create(`${prefix}k${i}`, value(i));
      await store.update(`${prefix}k${i}`, value(i + 100), created);
    }
    return before;
  }

  it("lists more than 4 MiB of values in one answer", async () => {
    await fill();
    const page = await store.list(prefix);
    expect(page.kvs.map((kv) => kv.value.length)).to.deep.equal(Array(COUNT).fill(MB));
    expect(page.kvs.map((kv) => kv.value[0])).to.deep.equal([100, 101, 102, 103, 104, 105]);
  });

  it("replays more than 4 MiB of history (with previous values) to a watch, every event once and in order", async () => {
    const from = (await fill()) + 1;
    const until = await store.currentRevision();
    const events: StoreEvent[] = [];
    const batches: StoreEventBatch[] = [];
    let failed: Error | undefined;
    let done: () => void = () => undefined;
    const replayed = new Promise<void>((resolve) => (done = resolve));
    const watch = await store.watch(prefix, from, {
      onEvents: (b) => {
        batches.push(b);
        events.push(...b.events);
        // a batch at `until` says every event up to there has been delivered
        if (b.revision >= until) done();
      },
      onError: (e) => {
        failed = e;
        done();
      },
    });
    try {
      await replayed;
    } finally {
      await watch.close();
    }
    expect(failed).to.equal(undefined);
    const puts = events.map((e) => {
      if (e.type !== "put") throw new Error(`unexpected ${e.type}`);
      return e;
    });
    expect(puts.map((e) => e.kv.modRevision)).to.deep.equal(Array.from({ length: until - from + 1 }, (_, i) => from + i));
    expect(puts.every((e) => e.kv.value.length === MB)).to.equal(true);
    // every update brings the value it replaced
    expect(puts.filter((_, i) => i % 2 === 1).map((e) => e.prev?.value[0])).to.deep.equal([0, 1, 2, 3, 4, 5]);
    for (const b of batches) {
      for (const e of b.events) expect(e.type === "put" ? e.kv.modRevision : e.modRevision).to.be.at.most(b.revision);
    }
  });

  it("answers a write over etcd's --max-request-bytes with RESOURCE_EXHAUSTED/TooLarge, and writes nothing", async () => {
    const err = await rejection(store.create(`${prefix}big`, value(1, 1_600_000)));
    expect(err.code).to.equal(Status.RESOURCE_EXHAUSTED);
    expect(err.reason).to.equal("TooLarge");
    expect(err.message).to.match(/request is too large.*max_object_bytes/);
    expect(await store.get(`${prefix}big`)).to.equal(undefined);
  });

  it("answers a write so large that etcd's gRPC server refuses the message alike", async () => {
    const revision = await store.create(`${prefix}k`, value(1, 10));
    const err = await rejection(store.update(`${prefix}k`, value(2, 3_000_000), revision));
    expect(err.code).to.equal(Status.RESOURCE_EXHAUSTED);
    expect(err.reason).to.equal("TooLarge");
    expect(err.message).to.match(/received message larger than max/);
    const kv = await store.get(`${prefix}k`);
    expect(kv?.modRevision).to.equal(revision);
    expect(kv?.value.length).to.equal(10);
  });

  it("does not take an answer too large for the etcd client itself for a request too large", () => {
    // grpc-js' own receive limit refusing a response: a read failed, the request was not too large
    const err = translateEtcdError(new GRPCResourceExhastedError("8 RESOURCE_EXHAUSTED: Received message larger than max (15271748 vs 4194304)"));
    expect(err.code).to.equal(Status.INTERNAL);
    expect(err.reason).to.equal("Internal");
  });
});
