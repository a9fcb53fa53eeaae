import { expect } from "chai";
import { status as Status } from "@grpc/grpc-js";
import { pino } from "pino";
import type { Application } from "../../gen/krake/kubernetes/v1/application.js";
import type { Cluster } from "../../gen/krake/kubernetes/v1/cluster.js";
import { applicationKind, clusterKind } from "../../src/apiserver/kinds/index.js";
import type { Controller } from "../../src/controller/controller.js";
import { ApiConnection } from "../../src/client/kind-client.js";
import type { KindClient } from "../../src/client/kind-client.js";
import { Manager } from "../../src/controller/manager.js";
import { RuntimeMetrics } from "../../src/controller/metrics.js";
import { setupGarbageCollector } from "../../src/controllers/gc/setup.js";
import { expectCode, startApi } from "../fixtures/api.js";
import type { ApiHarness } from "../fixtures/api.js";
import { startEtcd } from "../fixtures/etcd.js";
import type { EtcdProcess } from "../fixtures/etcd.js";
import { application, cluster, refTo } from "./support/objects.js";
import { eachLimited, Observer, poll } from "./support/observe.js";

describe("garbage collector (in-process, real etcd and API)", function () {
  this.timeout(60_000);
  let etcd: EtcdProcess;
  let api: ApiHarness;
  let conn: ApiConnection;
  let apps: KindClient<Application>;
  let clusters: KindClient<Cluster>;
  let manager: Manager;
  let gc: Controller;
  let metrics: RuntimeMetrics;
  let appsSeen: Observer<Application>;
  let clustersSeen: Observer<Cluster>;
  let ns = "";
  let n = 0;

  before(async () => {
    etcd = await startEtcd();
    api = await startApi(etcd);
    conn = new ApiConnection(api.address);
    apps = conn.client(applicationKind);
    clusters = conn.client(clusterKind);
    metrics = new RuntimeMetrics();
    manager = new Manager({ api: new ApiConnection(api.address), metrics, log: pino({ level: process.env.KRAKE_TEST_LOG ?? "silent" }) });
    gc = setupGarbageCollector(manager, { workers: 4 });
    manager.start();
    await poll(() => manager.hasSynced, "GC caches synced");
    appsSeen = await new Observer(apps).start();
    clustersSeen = await new Observer(clusters).start();
  });

  after(async () => {
    await appsSeen?.stop();
    await clustersSeen?.stop();
    await manager?.stop(1_000);
    conn?.close();
    await api?.stop();
    await etcd?.remove();
  });

  beforeEach(() => {
    ns = `gc-${++n}`;
  });

  const gone = (obs: Observer<Application> | Observer<Cluster>, key: string) => () => obs.get(key) === undefined && obs.seen.some((s) => s.key === key);
  const deletedAt = (obs: Observer<Application> | Observer<Cluster>, key: string): number => {
    const ev = obs.seen.find((s) => s.key === key && s.type === "delete");
    if (!ev) throw new Error(`${key} was not deleted`);
    return Number(ev.resourceVersion);
  };
  const idle = () => gc.queue.length === 0 && gc.queue.inFlight === 0;

  it("deleting a Cluster that owns 100 Applications removes all of them, the Cluster last", async () => {
    const c = await clusters.create(ns, cluster(ns, "c"));
    const names = Array.from({ length: 100 }, (_, i) => `app-${i}`);
    await eachLimited(names, 16, (name) => apps.create(ns, application(ns, name, [refTo(c)])));
    await appsSeen.until(() => names.every((name) => appsSeen.get(`${ns}/${name}`)), "100 apps seen");
    const deleted = await clusters.delete(ns, "c");
    expect(deleted.metadata!.finalizers).to.deep.equal(["cascade_deletion"]);
    await clustersSeen.until(gone(clustersSeen, `${ns}/c`), "cluster removed");
    // The two observers are separate watches: the apps' one may still be behind.
    await appsSeen.until(() => names.every((name) => gone(appsSeen, `${ns}/${name}`)()), "100 apps removed");
    const clusterGone = deletedAt(clustersSeen, `${ns}/c`);
    for (const name of names) expect(deletedAt(appsSeen, `${ns}/${name}`)).to.be.below(clusterGone);
  });

  it("collects a three-level chain from the bottom up", async () => {
    const c = await clusters.create(ns, cluster(ns, "top"));
    const mid = await apps.create(ns, application(ns, "mid", [refTo(c)]));
    await apps.create(ns, application(ns, "leaf", [refTo(mid)]));
    await appsSeen.until(() => !!appsSeen.get(`${ns}/leaf`), "leaf seen");
    await clusters.delete(ns, "top");
    await clustersSeen.until(gone(clustersSeen, `${ns}/top`), "top removed");
    await appsSeen.until(() => gone(appsSeen, `${ns}/mid`)() && gone(appsSeen, `${ns}/leaf`)(), "mid and leaf removed");
    expect(deletedAt(appsSeen, `${ns}/leaf`)).to.be.below(deletedAt(appsSeen, `${ns}/mid`));
    expect(deletedAt(appsSeen, `${ns}/mid`)).to.be.below(deletedAt(clustersSeen, `${ns}/top`));
  });

  it("reports an ownership cycle on the status and collects it instead of looping", async () => {
    const x = await apps.create(ns, application(ns, "x"));
    const y = await apps.create(ns, application(ns, "y", [refTo(x)]));
    await apps.update({ ...x, metadata: { ...x.metadata!, owners: [refTo(y)] } });
    await appsSeen.until(() => (appsSeen.get(`${ns}/x`)?.metadata?.owners.length ?? 0) === 1, "x owned by y");
    const before = await reconcileCount();
    await apps.delete(ns, "x");
    await appsSeen.until(() => gone(appsSeen, `${ns}/x`)() && gone(appsSeen, `${ns}/y`)(), "x and y removed");
    const reported = appsSeen.seen.filter((s) => /dependency cycle/.test(s.obj.status?.reason?.message ?? ""));
    expect(reported.length, "a status reason names the cycle").to.be.greaterThan(0);
    expect(reported[0].obj.status!.reason!.message).to.match(/Application\/gc-\d+\/(x|y) -> .*Application\/gc-\d+\/(x|y)/);
    await poll(idle, "GC idle");
    const spent = (await reconcileCount()) - before;
    expect(spent, "a handful of reconciles, not a loop").to.be.below(20);
    await new Promise((r) => setTimeout(r, 300));
    expect(await reconcileCount(), "nothing more after it is collected").to.equal(before + spent);
  });

  it("foreground: the owner stays until its dependents are gone", async () => {
    const c = await clusters.create(ns, cluster(ns, "fg"));
    const held = ["h1", "h2"];
    for (const name of held) {
      const app = application(ns, name, [refTo(c)]);
      app.metadata!.finalizers = ["example.com/hold"];
      await apps.create(ns, app);
    }
    const deleted = await clusters.delete(ns, "fg", { propagationPolicy: "Foreground" });
    expect(deleted.metadata!.finalizers).to.deep.equal(["cascade_deletion"]);
    await appsSeen.until(() => held.every((h) => !!appsSeen.get(`${ns}/${h}`)?.metadata?.deleted), "dependents in deletion");
    await poll(idle, "GC idle");
    expect(clustersSeen.get(`${ns}/fg`), "the owner waits for its dependents").to.not.equal(undefined);
    for (const h of held) {
      const app = appsSeen.get(`${ns}/${h}`)!;
      await apps.update({ ...app, metadata: { ...app.metadata!, finalizers: app.metadata!.finalizers.filter((f) => f !== "example.com/hold") } });
    }
    await clustersSeen.until(gone(clustersSeen, `${ns}/fg`), "owner removed");
    await appsSeen.until(() => held.every((h) => gone(appsSeen, `${ns}/${h}`)()), "dependents removed");
    expect(deletedAt(clustersSeen, `${ns}/fg`)).to.be.above(Math.max(...held.map((h) => deletedAt(appsSeen, `${ns}/${h}`))));
  });

  it("background: the owner goes once its dependents are in deletion, without waiting for them", async () => {
    const c = await clusters.create(ns, cluster(ns, "bg"));
    const app = application(ns, "held", [refTo(c)]);
    app.metadata!.finalizers = ["example.com/hold"];
    await apps.create(ns, app);
    const deleted = await clusters.delete(ns, "bg", { propagationPolicy: "background" });
    expect(deleted.metadata!.finalizers).to.deep.equal(["background_deletion"]);
    await clustersSeen.until(gone(clustersSeen, `${ns}/bg`), "owner removed");
    await appsSeen.until(() => !!appsSeen.get(`${ns}/held`)?.metadata?.deleted, "dependent marked for deletion");
    const dependent = appsSeen.get(`${ns}/held`);
    expect(dependent, "the dependent is still there").to.not.equal(undefined);
    expect(dependent!.metadata!.deleted, "and in deletion").to.not.equal(undefined);
    await appsSeen.until(() => appsSeen.get(`${ns}/held`)?.metadata?.finalizers.join() === "example.com/hold", "the collector is done with it");
    const held = appsSeen.get(`${ns}/held`)!;
    await apps.update({ ...held, metadata: { ...held.metadata!, finalizers: [] } });
    await appsSeen.until(gone(appsSeen, `${ns}/held`), "dependent removed");
  });

  it("orphan: dependents lose the owner reference and stay", async () => {
    const c = await clusters.create(ns, cluster(ns, "or"));
    const other = await clusters.create(ns, cluster(ns, "other"));
    await apps.create(ns, application(ns, "only", [refTo(c)]));
    await apps.create(ns, application(ns, "shared", [refTo(c), refTo(other)]));
    await appsSeen.until(() => !!appsSeen.get(`${ns}/shared`), "apps seen");
    const deleted = await clusters.delete(ns, "or", { propagationPolicy: "orphan" });
    expect(deleted.metadata!.finalizers).to.deep.equal(["orphan_deletion"]);
    await clustersSeen.until(gone(clustersSeen, `${ns}/or`), "owner removed");
    await appsSeen.until(() => appsSeen.get(`${ns}/only`)?.metadata?.owners.length === 0, "owner reference dropped");
    await appsSeen.until(() => appsSeen.get(`${ns}/shared`)?.metadata?.owners.length === 1, "owner reference dropped");
    expect(appsSeen.get(`${ns}/only`)!.metadata!.owners).to.deep.equal([]);
    expect(appsSeen.get(`${ns}/shared`)!.metadata!.owners.map((o) => o.name)).to.deep.equal(["other"]);
    expect(appsSeen.get(`${ns}/only`)!.metadata!.deleted).to.equal(undefined);
  });

  it("keeps a deletion waiting while another controller's finalizer is last", async () => {
    const c = cluster(ns, "stacked");
    c.metadata!.finalizers = ["example.com/first"];
    await clusters.create(ns, c);
    await apps.create(ns, application(ns, "a", [{ api: "kubernetes", kind: "Cluster", namespace: ns, name: "stacked" }]));
    await clusters.delete(ns, "stacked");
    const cascadeDone = (s: { obj: Cluster }) => !!s.obj.metadata?.deleted && s.obj.metadata.finalizers.join() === "example.com/first";
    await clustersSeen.until(() => clustersSeen.seen.some((s) => s.key === `${ns}/stacked` && cascadeDone(s)), "cascade done, own finalizer left");
    await appsSeen.until(gone(appsSeen, `${ns}/a`), "dependent removed");
    const cascadeDoneAt = clustersSeen.seen.find((s) => s.key === `${ns}/stacked` && cascadeDone(s))!.resourceVersion;
    expect(deletedAt(appsSeen, `${ns}/a`)).to.be.below(Number(cascadeDoneAt));
    const current = clustersSeen.get(`${ns}/stacked`)!;
    await clusters.update({ ...current, metadata: { ...current.metadata!, finalizers: [] } });
    await clustersSeen.until(gone(clustersSeen, `${ns}/stacked`), "removed");
  });

  it("rejects an unknown propagation policy", async () => {
    await clusters.create(ns, cluster(ns, "p"));
    const err = await expectCode(clusters.delete(ns, "p", { propagationPolicy: "sideways" }), Status.INVALID_ARGUMENT);
    expect(err.details).to.match(/propagation_policy/);
  });

  async function reconcileCount(): Promise<number> {
    const m = (await metrics.registry.getMetricsAsJSON()).find((x) => x.name === "krake_reconcile_total");
    return (m?.values ?? []).reduce((sum, v) => sum + v.value, 0);
  }
});
