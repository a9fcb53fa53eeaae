import { expect } from "chai";
import { NextRun } from "../../../src/apiserver/watchcache/next-run.js";

/** A run per call of `start`, each finished by hand: the test decides when. */
function controlledRuns() {
  const started: { id: number; finish: (err?: Error) => void }[] = [];
  let peak = 0;
  let open = 0;
  const run = () =>
    new Promise<number>((resolve, reject) => {
      const id = started.length + 1;
      open++;
      peak = Math.max(peak, open);
      started.push({
        id,
        finish: (err) => {
          open--;
          if (err) reject(err);
          else resolve(id);
        },
      });
    });
  return { run, started, peak: () => peak };
}

const turn = () => new Promise<void>((r) => setImmediate(r));

describe("NextRun (shared revision reads and marker writes)", () => {
  it("gives every caller of one event-loop turn the same run", async () => {
    const runs = controlledRuns();
    const shared = new NextRun(runs.run);
    const results = Promise.all([shared.join(), shared.join(), shared.join()]);
    await turn();
    expect(runs.started).to.have.length(1);
    runs.started[0].finish();
    expect(await results).to.deep.equal([1, 1, 1]);
  });

  it("never lets a caller join a run that started before it arrived", async () => {
    const runs = controlledRuns();
    const shared = new NextRun(runs.run, 4);
    const early = shared.join();
    await turn();
    const late = shared.join();
    await turn();
    expect(runs.started.map((s) => s.id)).to.deep.equal([1, 2]);
    runs.started[0].finish();
    runs.started[1].finish();
    expect(await early).to.equal(1);
    expect(await late).to.equal(2);
  });

  it("runs at most maxInFlight at once; a pending run starts when a slot frees", async () => {
    const runs = controlledRuns();
    const shared = new NextRun(runs.run, 2);
    const answers: Promise<number>[] = [];
    for (let i = 0; i < 3; i++) {
      answers.push(shared.join());
      await turn();
    }
    expect(runs.started, "the third waits").to.have.length(2);
    expect(shared.running).to.equal(2);
    runs.started[1].finish();
    await turn();
    expect(runs.started).to.have.length(3);
    runs.started[0].finish();
    runs.started[2].finish();
    expect(await Promise.all(answers)).to.deep.equal([1, 2, 3]);
    expect(runs.peak()).to.equal(2);
  });

  it("rejects the callers of a failed run and goes on with the next", async () => {
    const runs = controlledRuns();
    const shared = new NextRun(runs.run);
    const failing = shared.join();
    await turn();
    runs.started[0].finish(new Error("etcd unavailable"));
    const err = await failing.then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).to.equal("etcd unavailable");
    const next = shared.join();
    await turn();
    runs.started[1].finish();
    expect(await next).to.equal(2);
    await turn();
    expect(shared.running).to.equal(0);
  });

  it("turns a run that throws synchronously into a rejection", async () => {
    const shared = new NextRun<number>(() => {
      throw new Error("no store");
    });
    const err = await shared.join().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).to.equal("no store");
  });

  it("refuses a limit that is not a positive integer", () => {
    expect(() => new NextRun(() => Promise.resolve(0), 0)).to.throw(RangeError, /maxInFlight/);
  });
});
