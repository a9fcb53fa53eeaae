import { expect } from "chai";
import type { Cluster } from "../../gen/krake/kubernetes/v1/cluster.js";
import { ClusterStatus_State } from "../../gen/krake/kubernetes/v1/cluster.js";
import { applicationKind, clusterKind } from "../../src/apiserver/kinds/index.js";
import { controllerFor } from "../../src/controller/builder.js";
import { splitObjectKey } from "../../src/controller/keys.js";
import { ApiConnection } from "../../src/client/kind-client.js";
import { Manager } from "../../src/controller/manager.js";
import { RuntimeMetrics } from "../../src/controller/metrics.js";
import type { ReconcileContext } from "../../src/controller/reconcile.js";
import { ExponentialFailureRateLimiter } from "../../src/controller/workqueue/rate-limiters.js";
import { startApi } from "../fixtures/api.js";
import { startEtcd } from "../fixtures/etcd.js";
import { application, cluster, refTo } from "./support/objects.js";
import { Observer, poll } from "./support/observe.js";

describe("controller runtime: status writes and owned objects (real etcd and API)", function () {
  this.timeout(60_000);

  it("a status write from a stale read is refused (resource_version) and the key is retried against fresh state", async () => {
    const etcd = await startEtcd();
    const api = await startApi(etcd);
    const other = new ApiConnection(api.address);
    const clusters = other.client(clusterKind);
    const metrics = new RuntimeMetrics();
    const manager = new Manager({ api: new ApiConnection(api.address), metrics });
    const informer = manager.informer(clusterKind);
    const seenKeys: string[] = [];
    let raced = false;
    // Level-based: ONLINE when the cluster is labelled up=yes, else OFFLINE.
    const reconcile = async (ctx: ReconcileContext, key: string) => {
      seenKeys.push(key);
      const current = informer.store.get(key);
      if (!current) return {};
      if (!raced) {
        // Someone else changes the object between our read and our write.
        raced = true;
        const { namespace, name } = splitObjectKey(key);
        const fresh = await clusters.get(namespace, name);
        await clusters.update({ ...fresh, metadata: { ...fresh.metadata!, labels: { ...fresh.metadata!.labels, up: "yes" } } });
      }
      const state = current.metadata!.labels.up === "yes" ? ClusterStatus_State.ONLINE : ClusterStatus_State.OFFLINE;
      if (current.status?.state === state) return {};
      await manager.api.client(clusterKind).updateStatus({ ...current, status: { ...current.status!, state } }, { signal: ctx.signal });
      return {};
    };
    controllerFor(manager, clusterKind)
      .named("cluster-state")
      .withRateLimiter(new ExponentialFailureRateLimiter({ baseDelayMs: 20, maxDelayMs: 500 }))
      .owns(applicationKind)
      .complete({ reconcile });
    const seen = await new Observer<Cluster>(clusters).start();
    manager.start();
    try {
      const c = await clusters.create("s", cluster("s", "c1"));
      await seen.until(() => seen.get("s/c1")?.status?.state === ClusterStatus_State.ONLINE, "ONLINE after the retry");
      const conflicts = (await metrics.registry.getMetricsAsJSON())
        .find((m) => m.name === "krake_reconcile_total")!
        .values.find((v) => v.labels.outcome === "conflict")!.value;
      expect(conflicts, "the stale write was refused").to.be.at.least(1);
      const final = seen.get("s/c1")!;
      expect(final.metadata!.labels.up, "the other writer's change was not overwritten").to.equal("yes");
      expect(seen.seen.some((s) => s.key === "s/c1" && s.obj.status?.state === ClusterStatus_State.OFFLINE), "no write from the stale read").to.equal(false);

      // owns(): a change to an Application owned by the cluster brings the cluster's key back.
      const before = seenKeys.length;
      await other.client(applicationKind).create("s", application("s", "a1", [refTo(c)]));
      await poll(() => seenKeys.slice(before).includes("s/c1"), "the owner reconciled after its dependent changed");
    } finally {
      await seen.stop();
      await manager.stop(1_000);
      other.close();
      await api.stop();
      await etcd.remove();
    }
  });
});
