import { Reason_Code } from "../../../gen/krake/core/v1/types.js";
import type { Reason } from "../../../gen/krake/core/v1/types.js";
import type { KrakeObject } from "../../kinds/object.js";
import { isConflict, isNotFound } from "../../client/grpc-codes.js";
import type { ApiConnection, KindClient } from "../../client/kind-client.js";
import { selfRefKey } from "../../controller/keys.js";
import type { ReconcileContext, Reconciler, Result } from "../../controller/reconcile.js";
import type { OwnerGraph } from "./graph.js";
import { deletePolicyFor, pendingPolicy } from "./policy.js";
import type { Propagation } from "./policy.js";

/** Dependents deleted or orphaned at once, per owner. */
const CONCURRENCY = 16;

type WithStatus = KrakeObject & { status?: { reason?: Reason } };

/**
 * Krake's garbage collector (krake-model.md §2), one object per call: for an
 * object in deletion whose last finalizer is a collector's (see policy.ts),
 * it deletes or orphans the dependents and then pops that finalizer. Keys are
 * reference keys (`api/kind/namespace/name`); state comes from the informers.
 *
 * A dependency cycle (A owns B owns A) would leave each member waiting for
 * the other. The collector reports it (a warning, and `status.reason` on the
 * object when its kind has a status) and does not wait for dependents that are
 * themselves in deletion and lead back to the object, so the cycle is
 * collected instead of looped on.
 */
export class GarbageCollector implements Reconciler {
  private readonly graph: OwnerGraph;
  private readonly api: ApiConnection;

  constructor(graph: OwnerGraph, api: ApiConnection) {
    this.graph = graph;
    this.api = api;
  }

  async reconcile(ctx: ReconcileContext, key: string): Promise<Result> {
    let obj = this.graph.lookup(key);
    const policy = obj && pendingPolicy(obj);
    if (!obj || !policy) return {};
    const dependents = this.graph.dependents(key);
    const live = dependents.filter((d) => !d.metadata?.deleted);
    await this.eachLimited(live, (d) =>
      policy === "orphan" ? this.orphan(ctx, d, key) : this.deleteDependent(ctx, d, policy),
    );
    if (policy === "cascade") {
      const { blocking, cycle } = this.blockingDependents(key, dependents);
      if (cycle) obj = await this.reportCycle(ctx, obj, cycle);
      if (blocking.length > 0) {
        ctx.log.debug({ waitingFor: blocking.length }, "waiting for dependents to be removed");
        return {};
      }
    }
    await this.release(ctx, obj);
    return {};
  }

  /** Dependents the object still waits for, and a cycle through it if there is one. */
  private blockingDependents(key: string, dependents: KrakeObject[]): { blocking: KrakeObject[]; cycle?: string[] } {
    const blocking: KrakeObject[] = [];
    let cycle: string[] | undefined;
    for (const d of dependents) {
      const depKey = selfRefKey(d);
      const path = depKey === key ? [key, key] : d.metadata?.deleted ? this.graph.dependencyPath(depKey, key) : undefined;
      if (path) {
        cycle ??= depKey === key ? path : [key, ...path];
        continue;
      }
      blocking.push(d);
    }
    return { blocking, cycle };
  }

  private async deleteDependent(ctx: ReconcileContext, dep: KrakeObject, policy: Propagation): Promise<void> {
    const meta = dep.metadata!;
    try {
      await this.client(dep).delete(meta.namespace, meta.name, { propagationPolicy: deletePolicyFor(policy) }, { signal: ctx.signal });
      ctx.log.debug({ dependent: selfRefKey(dep) }, "deleted dependent");
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private async orphan(ctx: ReconcileContext, dep: KrakeObject, ownerKey: string): Promise<void> {
    const meta = dep.metadata!;
    const keys = this.graph.ownerKeys(dep);
    const owners = meta.owners.filter((_, i) => keys[i] !== ownerKey);
    try {
      await this.client(dep).update({ ...dep, metadata: { ...meta, owners } }, { signal: ctx.signal });
      ctx.log.debug({ dependent: selfRefKey(dep) }, "orphaned dependent");
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Pops the collector's finalizer (resource_version precondition: a conflict retries the key). */
  private async release(ctx: ReconcileContext, obj: KrakeObject): Promise<void> {
    const meta = obj.metadata!;
    try {
      await this.client(obj).update({ ...obj, metadata: { ...meta, finalizers: meta.finalizers.slice(0, -1) } }, { signal: ctx.signal });
      ctx.log.info({ finalizer: meta.finalizers[meta.finalizers.length - 1] }, "dependents handled; finalizer removed");
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private async reportCycle(ctx: ReconcileContext, obj: KrakeObject, cycle: string[]): Promise<KrakeObject> {
    const message = `dependency cycle in metadata.owners: ${cycle.join(" -> ")}; collecting it without waiting`;
    ctx.log.warn({ cycle }, "dependency cycle");
    const client = this.client(obj);
    const status = (obj as WithStatus).status;
    if (!client.hasStatus || !status || status.reason?.message === message) return obj;
    const reason: Reason = { code: Reason_Code.INVALID_RESOURCE, message };
    try {
      return await client.updateStatus({ ...obj, status: { ...status, reason } } as KrakeObject, { signal: ctx.signal });
    } catch (err) {
      // A stale read is retried; anything else (e.g. no RBAC rule for `<plural>/status`) must not stop
      // the collection: the warning above has reported the cycle.
      if (isConflict(err) || ctx.signal.aborted) throw err;
      ctx.log.warn({ err }, "could not write the cycle into the status");
      return obj;
    }
  }

  private client(obj: KrakeObject): KindClient<KrakeObject> {
    const kind = this.graph.kindOf(selfRefKey(obj));
    if (!kind) throw new Error(`no kind ${obj.api}/${obj.kind}`);
    return this.api.client(kind);
  }

  private async eachLimited(items: KrakeObject[], fn: (item: KrakeObject) => Promise<void>): Promise<void> {
    let next = 0;
    const run = async () => {
      while (next < items.length) await fn(items[next++]);
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, run));
  }
}
