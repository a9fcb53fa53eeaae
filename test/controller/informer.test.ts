import { expect } from "chai";
import type { Application } from "../../gen/krake/kubernetes/v1/application.js";
import { applicationKind } from "../../src/apiserver/kinds/index.js";
import { Informer } from "../../src/controller/informer/informer.js";
import { ApiConnection } from "../../src/client/kind-client.js";
import type { KindClient } from "../../src/client/kind-client.js";
import { objectKey } from "../../src/controller/keys.js";
import { EtcdStore } from "../../src/store/etcd-store.js";
import { startApi, uniquePrefix } from "../fixtures/api.js";
import { startApiProcess } from "../fixtures/api-process.js";
import type { ApiProcess } from "../fixtures/api-process.js";
import { startEtcd } from "../fixtures/etcd.js";
import type { EtcdProcess } from "../fixtures/etcd.js";
import { storeHistory } from "../fixtures/store-history.js";
import { application, cluster, refTo } from "./support/objects.js";
import { poll } from "./support/observe.js";
import { freePort } from "./support/ports.js";
import { startTcpProxy } from "./support/tcp-proxy.js";
import type { TcpProxy } from "./support/tcp-proxy.js";

interface HistoryEvent {
  type: "ADDED" | "MODIFIED" | "DELETED";
  /** `namespace/name`. */
  key: string;
  revision: number;
}
type Recorded = HistoryEvent & { initial: boolean; finalStateUnknown: boolean };

/** What etcd itself recorded under a kind's prefix in (afterRevision, toRevision], as the informer names it. */
async function kindHistory(etcd: EtcdProcess, kindPrefix: string, afterRevision: number, toRevision: number): Promise<HistoryEvent[]> {
  const events = await storeHistory(etcd.endpoint, kindPrefix, afterRevision + 1, toRevision);
  return events.map(({ type, key, revision }) => ({ type, key: key.slice(kindPrefix.length), revision }));
}

/** An informer on Applications that records every change it reports, as the store would name it. */
function recordingInformer(client: KindClient<Application>, namespace: string) {
  // Small pages: every list here spans several.
  const informer = new Informer<Application>({ client, namespace, pageSize: 3, backoffInitialMs: 50, backoffMaxMs: 500 });
  const events: Recorded[] = [];
  const push = (type: HistoryEvent["type"], obj: Application, initial = false, finalStateUnknown = false) =>
    events.push({ type, key: objectKey(obj), revision: Number(obj.metadata!.resourceVersion), initial, finalStateUnknown });
  informer.addEventHandler({
    onAdd: (obj, initial) => push("ADDED", obj, initial),
    onUpdate: (_old, obj) => push("MODIFIED", obj),
    onDelete: (obj, unknown) => push("DELETED", obj, false, unknown),
  });
  return { informer, events };
}

/** Creates, updates, deletes (marks in deletion) and removes (force) Applications; returns the revision of its last write. */
async function churn(apps: KindClient<Application>, ns: string, tag: string, count: number): Promise<number> {
  let last = 0;
  const note = (obj: Application) => (last = Math.max(last, Number(obj.metadata!.resourceVersion)));
  for (let i = 0; i < count; i++) note(await apps.create(ns, application(ns, `${tag}-${i}`)));
  for (let i = 0; i < count; i += 2) {
    const cur = await apps.get(ns, `${tag}-${i}`);
    note(await apps.update({ ...cur, metadata: { ...cur.metadata!, labels: { ...cur.metadata!.labels, round: tag } } }));
  }
  for (let i = 1; i < count; i += 3) note(await apps.delete(ns, `${tag}-${i}`, {}));
  for (let i = 1; i < count; i += 3) note(await apps.delete(ns, `${tag}-${i}`, { force: true }));
  return last;
}

const watchPhase = (events: Recorded[]) => events.filter((e) => !e.initial).map(({ type, key, revision }) => ({ type, key, revision }));

describe("controller runtime: informer against a krake-api process", function () {
  this.timeout(120_000);
  let etcd: EtcdProcess;
  let store: EtcdStore;

  before(async () => {
    etcd = await startEtcd();
    store = new EtcdStore({ endpoints: [etcd.endpoint] });
  });

  after(async () => {
    await store?.close();
    await etcd?.remove();
  });

  async function apiOn(prefix: string, port: number, extra: string[] = []): Promise<ApiProcess> {
    return startApiProcess({ etcd, prefix, args: ["--grpc.port", String(port), "--http.port", "0", ...extra] });
  }

  it("resumes from its version after the API process is killed (-9) and restarted, with writes during the outage: no relist, no event missed or repeated", async () => {
    const prefix = uniquePrefix();
    const port = await freePort();
    let api = await apiOn(prefix, port);
    // a second replica on the same store keeps taking writes while the informer's API is down
    const replica = await apiOn(prefix, 0);
    const writer = new ApiConnection(replica.address);
    const apps = writer.client(applicationKind);
    const conn = new ApiConnection(api.address);
    const { informer, events } = recordingInformer(conn.client(applicationKind), "resume");
    try {
      await apps.create("resume", application("resume", "before"));
      informer.start();
      await informer.waitForSync();
      const listedAt = Number(informer.resourceVersion);
      let last = await churn(apps, "resume", "a", 12);
      await poll(() => Number(informer.resourceVersion) >= last, "informer caught up");
      await api.kill();
      const killedAfter = last;
      const duringOutage = await churn(apps, "resume", "b", 12);
      api = await apiOn(prefix, port);
      last = await churn(apps, "resume", "c", 12);
      await poll(() => Number(informer.resourceVersion) >= last, "informer caught up after the restart", 30_000);
      const history = await kindHistory(etcd, `${prefix}/kubernetes/applications/`, listedAt, last);
      expect(history.length).to.be.greaterThan(60);
      expect(history.filter((e) => e.revision > killedAfter && e.revision <= duringOutage).length, "events while it was down: 12 creates, 6 updates, 4 deletions, 4 removals").to.equal(26);
      expect(watchPhase(events)).to.deep.equal(history);
      expect(informer.stats.lists, "no relist").to.equal(1);
      expect(informer.stats.resumes, "watched again from its version").to.be.at.least(1);
    } finally {
      await informer.stop();
      conn.close();
      writer.close();
      await api.stop();
      await replica.stop();
    }
  });

  describe("behind a connection that is cut while writes go on", () => {
    let api: ApiProcess;
    let proxy: TcpProxy;
    let prefix: string;

    afterEach(async () => {
      await proxy?.close();
      await api?.stop();
    });

    it("watches again from its version and neither misses nor repeats an event", async () => {
      prefix = uniquePrefix();
      api = await apiOn(prefix, 0);
      proxy = await startTcpProxy(api.address);
      const writer = new ApiConnection(api.address);
      const apps = writer.client(applicationKind);
      const conn = new ApiConnection(proxy.address);
      const { informer, events } = recordingInformer(conn.client(applicationKind), "cut");
      try {
        informer.start();
        await informer.waitForSync();
        const listedAt = Number(informer.resourceVersion);
        const writing = (async () => {
          let last = 0;
          for (let round = 0; round < 6; round++) last = await churn(apps, "cut", `r${round}`, 6);
          return last;
        })();
        await poll(() => events.length >= 8, "some events arrived");
        proxy.cut();
        await new Promise((r) => setTimeout(r, 300));
        proxy.restore();
        const last = await writing;
        await poll(() => Number(informer.resourceVersion) >= last, "informer caught up", 30_000);
        const history = await kindHistory(etcd, `${prefix}/kubernetes/applications/`, listedAt, last);
        expect(watchPhase(events)).to.deep.equal(history);
        expect(informer.stats.lists, "no relist").to.equal(1);
        expect(informer.stats.resumes).to.be.at.least(1);
      } finally {
        await informer.stop();
        conn.close();
        writer.close();
      }
    });

    it("lists again when its version has expired (compacted away) and reports the difference, deletions while away included", async () => {
      prefix = uniquePrefix();
      api = await apiOn(prefix, 0, ["--watch.window_size", "5"]);
      proxy = await startTcpProxy(api.address);
      const writer = new ApiConnection(api.address);
      const apps = writer.client(applicationKind);
      const conn = new ApiConnection(proxy.address);
      const { informer, events } = recordingInformer(conn.client(applicationKind), "away");
      try {
        for (const name of ["gone-1", "gone-2", "changed", "same"]) await apps.create("away", application("away", name));
        informer.start();
        await informer.waitForSync();
        const sameVersion = informer.store.get("away/same")!.metadata!.resourceVersion;
        proxy.cut();
        await apps.delete("away", "gone-1", { force: true });
        await apps.delete("away", "gone-2", { force: true });
        let changed = await apps.get("away", "changed");
        for (let i = 0; i < 8; i++) {
          changed = await apps.update({ ...changed, metadata: { ...changed.metadata!, labels: { step: String(i) } } });
        }
        await apps.create("away", application("away", "new"));
        await store.compact(await store.currentRevision());
        const before = events.length;
        proxy.restore();
        await poll(() => informer.stats.relists === 1 && !!informer.store.get("away/new"), "relisted", 30_000);
        const diff = events.slice(before).map((e) => `${e.type} ${e.key}${e.finalStateUnknown ? " (final state unknown)" : ""}`);
        expect(diff.sort()).to.deep.equal([
          "ADDED away/new",
          "DELETED away/gone-1 (final state unknown)",
          "DELETED away/gone-2 (final state unknown)",
          "MODIFIED away/changed",
        ]);
        expect(informer.store.get("away/changed")!.metadata!.labels).to.deep.equal({ step: "7" });
        expect(informer.store.get("away/same")!.metadata!.resourceVersion).to.equal(sameVersion);
        const listed = await apps.list({ namespace: "away" });
        expect(informer.store.list().map(objectKey).sort()).to.deep.equal(listed.items.map(objectKey).sort());
        expect(informer.resourceVersion).to.equal(listed.resourceVersion);
      } finally {
        await informer.stop();
        conn.close();
        writer.close();
      }
    });
  });
});

describe("controller runtime: informer cache indexes", function () {
  this.timeout(60_000);

  it("indexes by namespace, by owner and by custom functions, and keeps them current", async () => {
    const etcd = await startEtcd();
    const api = await startApi(etcd);
    const conn = new ApiConnection(api.address);
    const apps = conn.client(applicationKind);
    const clusters = conn.client((await import("../../src/apiserver/kinds/index.js")).clusterKind);
    const informer = new Informer<Application>({
      client: apps,
      indexers: { tier: (a) => (a.metadata?.labels.tier ? [a.metadata.labels.tier] : []) },
    });
    try {
      const c1 = await clusters.create("n1", cluster("n1", "c1"));
      await apps.create("n1", application("n1", "a", [refTo(c1)], { tier: "web" }));
      await apps.create("n1", application("n1", "b", [], { tier: "db" }));
      await apps.create("n2", application("n2", "c", [], { tier: "web" }));
      informer.start();
      await informer.waitForSync();
      const names = (xs: Application[]) => xs.map((x) => x.metadata!.name).sort();
      expect(names(informer.store.byIndex("namespace", "n1"))).to.deep.equal(["a", "b"]);
      expect(names(informer.store.byIndex("owner", "kubernetes/Cluster/n1/c1"))).to.deep.equal(["a"]);
      expect(names(informer.store.byIndex("tier", "web"))).to.deep.equal(["a", "c"]);
      const b = await apps.get("n1", "b");
      const moved = await apps.update({ ...b, metadata: { ...b.metadata!, labels: { tier: "web" }, owners: [refTo(c1)] } });
      await poll(() => informer.store.get("n1/b")?.metadata?.resourceVersion === moved.metadata!.resourceVersion, "update seen");
      expect(names(informer.store.byIndex("tier", "web"))).to.deep.equal(["a", "b", "c"]);
      expect(informer.store.byIndex("tier", "db")).to.deep.equal([]);
      expect(names(informer.store.byIndex("owner", "kubernetes/Cluster/n1/c1"))).to.deep.equal(["a", "b"]);
      await apps.delete("n2", "c", { force: true });
      await poll(() => !informer.store.get("n2/c"), "delete seen");
      expect(names(informer.store.byIndex("namespace", "n2"))).to.deep.equal([]);
      expect(() => informer.store.byIndex("nope", "x")).to.throw(/no index/);
    } finally {
      await informer.stop();
      conn.close();
      await api.stop();
      await etcd.remove();
    }
  });
});
