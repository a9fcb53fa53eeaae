/** Watch: event order, replay from a resource_version, initial events, filters and cancellation. */
import { expect } from "chai";
import { status as Status } from "@grpc/grpc-js";
import { EventType } from "../../../../gen/krake/core/v1/watch.js";
import type { KrakeObject } from "../../../../src/apiserver/objects/kind.js";
import { fromServiceError } from "../../../../src/client/errors.js";
import { EventReader } from "./event-reader.js";
import { eventually, meta, rv } from "./helpers.js";
import type { WatchEvent, WatchParams } from "./kind-client.js";
import type { KindSuite, Scope } from "./suite.js";

export function watchConformance<T extends KrakeObject>(s: KindSuite<T>): void {
  describe("watch", () => {
    const open = (sc: Scope<T>, params: WatchParams = {}, namespace = sc.ns) =>
      new EventReader(s.c.watch(namespace, { ...params, labelSelector: sc.select(params.labelSelector) }));
    const listVersion = async (sc: Scope<T>) => (await s.c.list(sc.ns, { labelSelector: sc.selector })).metadata!.resourceVersion;
    const summary = (events: WatchEvent<T>[]) => events.map((e) => [EventType[e.type], meta(e.object).name, meta(e.object).resourceVersion]);
    let readers: EventReader<WatchEvent<T>>[] = [];
    const track = (r: EventReader<WatchEvent<T>>) => (readers.push(r), r);
    afterEach(() => {
      for (const r of readers) r.cancel();
      readers = [];
    });

    it("sends ADDED, MODIFIED and DELETED in order with their resource versions; DELETED carries the last state", async () => {
      const sc = s.scope();
      const w = track(open(sc, { resourceVersion: await listVersion(sc) }));
      const created = await sc.create();
      const name = meta(created).name;
      const body = s.clone(created);
      meta(body).labels = { ...meta(body).labels, color: "blue" };
      const modified = await s.c.update(sc.ns, name, body);
      const deleting = await s.c.delete(sc.ns, name);
      const last = s.clone(deleting);
      meta(last).finalizers = [];
      const gone = await s.c.update(sc.ns, name, last);
      const events = await w.next(4);
      expect(summary(events)).to.deep.equal([
        ["ADDED", name, meta(created).resourceVersion],
        ["MODIFIED", name, meta(modified).resourceVersion],
        ["MODIFIED", name, meta(deleting).resourceVersion],
        ["DELETED", name, meta(gone).resourceVersion],
      ]);
      const final = meta(events[3]!.object);
      expect(final.labels["color"]).to.equal("blue");
      expect(final.deleted).to.have.all.keys("seconds", "nanos");
      expect(final.finalizers).to.deep.equal(["cascade_deletion"]);
      expect(s.f.codec.toJSON(events[1]!.object!)).to.deep.equal(s.f.codec.toJSON(modified));
    });

    it("from a resource_version delivers every later event exactly once", async () => {
      const sc = s.scope();
      const created = await sc.create();
      const name = meta(created).name;
      const versions: string[] = [];
      let current = created;
      for (const v of ["1", "2", "3"]) {
        const body = s.clone(current);
        meta(body).labels = { ...meta(body).labels, v };
        current = await s.c.update(sc.ns, name, body);
        versions.push(meta(current).resourceVersion);
      }
      const w = track(open(sc, { resourceVersion: meta(created).resourceVersion }));
      const replay = await w.next(3);
      expect(summary(replay)).to.deep.equal(versions.map((v) => ["MODIFIED", name, v]));
      const sentinel = await sc.create(sc.name("sentinel"));
      expect(summary([await w.one()])).to.deep.equal([["ADDED", meta(sentinel).name, meta(sentinel).resourceVersion]]);

      const fromStart = track(open(sc, { resourceVersion: String(rv(created) - 1) }));
      expect(summary(await fromStart.next(5)).map((e) => e[2])).to.deep.equal([
        meta(created).resourceVersion,
        ...versions,
        meta(sentinel).resourceVersion,
      ]);
    });

    it("with send_initial_events sends the current objects as ADDED, then a BOOKMARK", async () => {
      const sc = s.scope();
      const a = await sc.create(sc.name("a"));
      const b = await sc.create(sc.name("b"));
      const w = track(open(sc, { sendInitialEvents: true }));
      const initial = await w.next(3);
      expect(summary(initial.slice(0, 2))).to.deep.equal([
        ["ADDED", meta(a).name, meta(a).resourceVersion],
        ["ADDED", meta(b).name, meta(b).resourceVersion],
      ]);
      expect(initial[2]!.type).to.equal(EventType.BOOKMARK);
      expect(Number(meta(initial[2]!.object).resourceVersion)).to.be.at.least(rv(b));
      const body = s.clone(a);
      meta(body).labels = { ...meta(body).labels, x: "1" };
      const changed = await s.c.update(sc.ns, meta(a).name, body);
      expect(summary([await w.one()])).to.deep.equal([["MODIFIED", meta(a).name, meta(changed).resourceVersion]]);
    });

    if (s.f.namespaced) {
      it("filters by namespace on the server", async () => {
        const sc = s.scope();
        const w = track(open(sc, { resourceVersion: await listVersion(sc) }));
        await s.c.create(`${sc.ns}-other`, sc.object(sc.name("other")));
        const mine = await sc.create(sc.name("mine"));
        expect(summary([await w.one()])).to.deep.equal([["ADDED", meta(mine).name, meta(mine).resourceVersion]]);
        const all = track(open(sc, { resourceVersion: String(rv(mine) - 2) }, ""));
        expect(summary(await all.next(2)).map((e) => e[1])).to.deep.equal([`other-${sc.id}-1`, meta(mine).name]);
      });
    }

    it("filters by label selector: an object entering the view is ADDED, leaving it DELETED", async () => {
      const sc = s.scope();
      const watchersBefore = s.watchers;
      const w = track(open(sc, { labelSelector: "color=blue" }));
      await eventually(() => s.watchers === watchersBefore + 1, "the watch is registered");
      const red = await sc.create(sc.name("red"), { color: "red" });
      const blue = await sc.create(sc.name("blue"), { color: "blue" });
      const relabel = async (obj: T, labels: Record<string, string>) => {
        const body = s.clone(obj);
        meta(body).labels = { ...meta(body).labels, ...labels };
        return s.c.update(sc.ns, meta(obj).name, body);
      };
      const leaving = await relabel(blue, { color: "red" });
      const entering = await relabel(red, { color: "blue" });
      const staying = await relabel(entering, { size: "xl" });
      const events = await w.next(4);
      expect(summary(events)).to.deep.equal([
        ["ADDED", meta(blue).name, meta(blue).resourceVersion],
        ["DELETED", meta(blue).name, meta(leaving).resourceVersion],
        ["ADDED", meta(red).name, meta(entering).resourceVersion],
        ["MODIFIED", meta(red).name, meta(staying).resourceVersion],
      ]);
      expect(meta(events[1]!.object).labels["color"]).to.equal("red");
    });

    it("rejects a malformed selector or resource_version", async () => {
      const sc = s.scope();
      let failed = await new EventReader(s.c.watch(sc.ns, { labelSelector: "a in b" })).error();
      expect(failed.error.code).to.equal(Status.INVALID_ARGUMENT);
      expect(fromServiceError(failed.error).details.map((d) => d.field)).to.deep.equal(["label_selector"]);
      failed = await new EventReader(s.c.watch(sc.ns, { resourceVersion: "abc" })).error();
      expect(failed.error.code).to.equal(Status.INVALID_ARGUMENT);
      expect(fromServiceError(failed.error).details.map((d) => d.field)).to.deep.equal(["resource_version"]);
    });

    it("removes the server-side watcher when the client cancels", async () => {
      const sc = s.scope();
      const watchersBefore = s.watchers;
      const w = open(sc, { sendInitialEvents: true });
      await w.one();
      expect(s.watchers).to.equal(watchersBefore + 1);
      w.cancel();
      await eventually(() => s.watchers === watchersBefore, "the server drops the watcher");
    });
  });
}
