import { expect } from "chai";
import { Application, ApplicationStatus_State as State } from "../../../gen/krake/kubernetes/v1/application.js";
import { ApplicationEvents, decisionInputs } from "../../../src/controllers/scheduler/application-events.js";

const KEY = "team/app";

function app(rv: string, over: { generation?: number; scheduledTo?: string; state?: State; services?: Record<string, string>; note?: string } = {}): Application {
  return Application.fromPartial({
    metadata: { name: "app", namespace: "team", uid: "u1", resourceVersion: rv, generation: over.generation ?? 1 },
    status: {
      state: over.state ?? State.PENDING,
      services: over.services ?? {},
      ...(over.scheduledTo !== undefined && { scheduledTo: { api: "kubernetes", kind: "Cluster", namespace: "team", name: over.scheduledTo } }),
      ...(over.note !== undefined && { scheduling: { reason: over.note } }),
    },
  });
}

/** A write whose answer the test gives when it likes: the event can come first, as over two gRPC streams. */
function pendingWrite(): { run: () => Promise<Application>; answer: (a: Application) => void; fail: (e: Error) => void } {
  let answer: (a: Application) => void = () => {};
  let fail: (e: Error) => void = () => {};
  const p = new Promise<Application>((res, rej) => ((answer = res), (fail = rej)));
  return { run: () => p, answer, fail };
}

describe("scheduler: which Application changes bring it back", () => {
  let requeued: string[];
  let events: ApplicationEvents;
  beforeEach(() => {
    requeued = [];
    events = new ApplicationEvents((key) => requeued.push(key));
  });

  it("every add, delete and resync brings it back", () => {
    for (const type of ["add", "delete", "resync"] as const) expect(events.wants({ type, obj: app("1") }), type).to.equal(true);
  });

  for (const [what, next] of [
    ["a spec change (generation)", app("2", { generation: 2 })],
    ["a binding by another writer", app("2", { scheduledTo: "c1" })],
    ["a state set by another writer", app("2", { state: State.FAILED })],
  ] as const) {
    it(`${what} brings it back`, () => {
      expect(events.wants({ type: "update", old: app("1"), obj: next })).to.equal(true);
    });
  }

  it("a change of what no decision reads (services, the decision's own report) does not", () => {
    expect(events.wants({ type: "update", old: app("1"), obj: app("2", { services: { web: "h:1" } }) })).to.equal(false);
    expect(events.wants({ type: "update", old: app("1"), obj: app("2", { note: "placed" }) })).to.equal(false);
    expect(decisionInputs(app("1"))).to.equal(decisionInputs(app("2", { services: { a: "b" }, note: "x" })));
  });

  it("the echo of its own write does not, whether the event comes after the write's answer", async () => {
    await events.write(KEY, () => Promise.resolve(app("2", { scheduledTo: "c1" })));
    expect(events.wants({ type: "update", old: app("1"), obj: app("2", { scheduledTo: "c1" }) })).to.equal(false);
    expect(requeued).to.deep.equal([]);
  });

  it("... or before it", async () => {
    const w = pendingWrite();
    const done = events.write(KEY, w.run);
    expect(events.wants({ type: "update", old: app("1"), obj: app("2", { scheduledTo: "c1" }) })).to.equal(false);
    w.answer(app("2", { scheduledTo: "c1" }));
    await done;
    expect(requeued).to.deep.equal([]);
  });

  it("an echo is recognised once: the same version seen again (a relist) is judged by its inputs", async () => {
    await events.write(KEY, () => Promise.resolve(app("2", { scheduledTo: "c1" })));
    expect(events.wants({ type: "update", old: app("1"), obj: app("2", { scheduledTo: "c1" }) })).to.equal(false);
    expect(events.wants({ type: "update", old: app("1"), obj: app("2", { scheduledTo: "c1" }) })).to.equal(true);
  });

  it("another writer's change seen while its write is in flight brings it back once the write is answered", async () => {
    const w = pendingWrite();
    const done = events.write(KEY, w.run);
    expect(events.wants({ type: "update", old: app("1"), obj: app("2", { generation: 2 }) })).to.equal(false);
    expect(requeued).to.deep.equal([]);
    w.answer(app("3", { generation: 2, scheduledTo: "c1" }));
    await done;
    expect(requeued).to.deep.equal([KEY]);
  });

  it("... and when the write fails", async () => {
    const w = pendingWrite();
    const done = events.write(KEY, w.run);
    expect(events.wants({ type: "update", old: app("1"), obj: app("2", { generation: 2 }) })).to.equal(false);
    w.fail(new Error("ABORTED"));
    await done.catch(() => undefined);
    expect(requeued).to.deep.equal([KEY]);
  });

  it("with two writes in flight, waits for both before bringing it back", async () => {
    const first = pendingWrite();
    const second = pendingWrite();
    const a = events.write(KEY, first.run);
    const b = events.write(KEY, second.run);
    expect(events.wants({ type: "update", old: app("1"), obj: app("2", { generation: 2 }) })).to.equal(false);
    first.answer(app("3", { generation: 2 }));
    await a;
    expect(requeued).to.deep.equal([]);
    second.answer(app("4", { generation: 2 }));
    await b;
    expect(requeued).to.deep.equal([KEY]);
  });
});
