/**
 * The observer's eyes: one ResourceWatch per cluster, kind and namespace
 * that some Application uses (not a poll per Application), shared by every
 * Application there. Watches are per namespace, so a kubeconfig whose
 * rights end at its namespaces works as well as a cluster admin's. Each Application declares the resources it wants to see
 * (`observe`); a change of one of them puts that Application's key back into
 * the work queue; a watch no Application needs any more is stopped.
 */
import type { Logger } from "pino";
import type { ClusterResources, KubeObject, ResourceType } from "../../../kubernetes/cluster-resources.js";
import { ResourceWatch } from "../../../kubernetes/resource-watch.js";

/** One resource on one cluster, as its watch files it. */
export interface WatchedResource {
  cluster: string;
  type: ResourceType;
  namespace: string;
  name: string;
}

export type Lookup = { known: false } | { known: true; object: KubeObject | undefined };

function typeKey(cluster: string, type: ResourceType, namespace: string): string {
  return `${cluster}|${type.apiVersion}|${type.kind}|${namespace}`;
}

function resourceKey(cluster: string, apiVersion: string, kind: string, namespace: string, name: string): string {
  return `${cluster}|${apiVersion}|${kind}|${namespace}/${name}`;
}

export interface ClusterWatchesOptions {
  /** Called with an Application key whose resources changed. */
  enqueue(appKey: string): void;
  log: Logger;
  backoffInitialMs: number;
  backoffMaxMs: number;
}

export class ClusterWatches {
  private readonly watches = new Map<string, { watch: ResourceWatch; users: Set<string> }>();
  /** resource key → Application keys. */
  private readonly interest = new Map<string, Set<string>>();
  /** Application key → its resource keys and type keys. */
  private readonly byApp = new Map<string, { resources: Set<string>; types: Set<string> }>();

  constructor(private readonly opts: ClusterWatchesOptions) {}

  /**
   * From now on `appKey` sees exactly `resources` (replacing what it saw
   * before). `cluster` is the key of the cluster's connection.
   */
  observe(appKey: string, resources: readonly WatchedResource[], connect: (cluster: string) => ClusterResources | undefined): void {
    const next = { resources: new Set<string>(), types: new Set<string>() };
    for (const r of resources) {
      const tk = typeKey(r.cluster, r.type, r.namespace);
      next.types.add(tk);
      next.resources.add(resourceKey(r.cluster, r.type.apiVersion, r.type.kind, r.namespace, r.name));
      if (!this.watches.has(tk)) {
        const client = connect(r.cluster);
        if (!client) continue;
        this.startWatch(tk, r.cluster, client, r.type, r.namespace);
      }
      this.watches.get(tk)?.users.add(appKey);
    }
    this.release(appKey, next);
    for (const rk of next.resources) {
      let apps = this.interest.get(rk);
      if (!apps) this.interest.set(rk, (apps = new Set()));
      apps.add(appKey);
    }
    this.byApp.set(appKey, next);
  }

  /** `appKey` sees nothing any more. */
  forget(appKey: string): void {
    this.release(appKey, { resources: new Set(), types: new Set() });
    this.byApp.delete(appKey);
  }

  /** Drops every watch on `cluster` (its kubeconfig changed, or it is gone). */
  dropCluster(cluster: string): void {
    for (const [tk, w] of this.watches) {
      if (!tk.startsWith(`${cluster}|`)) continue;
      w.watch.stop();
      this.watches.delete(tk);
    }
  }

  /** Open watches. */
  get size(): number {
    return this.watches.size;
  }

  lookup(r: WatchedResource): Lookup {
    const w = this.watches.get(typeKey(r.cluster, r.type, r.namespace))?.watch;
    if (!w?.synced) return { known: false };
    return { known: true, object: w.get(r.namespace, r.name) };
  }

  stop(): void {
    for (const w of this.watches.values()) w.watch.stop();
    this.watches.clear();
  }

  private release(appKey: string, keep: { resources: Set<string>; types: Set<string> }): void {
    const old = this.byApp.get(appKey);
    if (!old) return;
    for (const rk of old.resources) {
      if (keep.resources.has(rk)) continue;
      const apps = this.interest.get(rk);
      apps?.delete(appKey);
      if (apps?.size === 0) this.interest.delete(rk);
    }
    for (const tk of old.types) {
      if (keep.types.has(tk)) continue;
      const w = this.watches.get(tk);
      if (!w) continue;
      w.users.delete(appKey);
      if (w.users.size === 0) {
        w.watch.stop();
        this.watches.delete(tk);
      }
    }
  }

  private startWatch(tk: string, cluster: string, client: ClusterResources, type: ResourceType, namespace: string): void {
    const watch = new ResourceWatch(client, type, {
      backoffInitialMs: this.opts.backoffInitialMs,
      backoffMaxMs: this.opts.backoffMaxMs,
      onChange: (_event, obj) => {
        const ns = type.namespaced ? (obj.metadata?.namespace ?? "") : "";
        const apps = this.interest.get(resourceKey(cluster, type.apiVersion, type.kind, ns, obj.metadata?.name ?? ""));
        for (const app of apps ?? []) this.opts.enqueue(app);
      },
      onError: (err) => {
        this.opts.log.debug({ cluster, kind: type.kind, err: err instanceof Error ? err.message : String(err) }, "cluster watch failed; listing again");
        // Readers treat an unsynced watch as unknown; tell them it is.
        for (const app of this.usersOf(tk)) this.opts.enqueue(app);
      },
    }, namespace);
    this.watches.set(tk, { watch, users: new Set() });
    watch.start();
  }

  private usersOf(tk: string): string[] {
    return [...(this.watches.get(tk)?.users ?? [])];
  }
}
