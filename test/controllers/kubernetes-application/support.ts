/** Waiting on what a member cluster holds, through watches (src/kubernetes/resource-watch.ts). */
import { ClusterResources } from "../../../src/kubernetes/cluster-resources.js";
import type { KubeObject } from "../../../src/kubernetes/cluster-resources.js";
import { ResourceWatch } from "../../../src/kubernetes/resource-watch.js";
import type { KubeCluster } from "../../fixtures/kube-cluster.js";

export class KubeView {
  readonly resources: ClusterResources;
  private readonly watches = new Map<string, ResourceWatch>();
  private readonly checks = new Set<() => void>();

  constructor(cluster: KubeCluster) {
    this.resources = new ClusterResources(cluster.kubeConfig());
  }

  private async watchOf(apiVersion: string, kind: string): Promise<ResourceWatch> {
    const key = `${apiVersion}|${kind}`;
    let w = this.watches.get(key);
    if (!w) {
      const type = await this.resources.resourceType(apiVersion, kind);
      w = new ResourceWatch(this.resources, type, {
        backoffInitialMs: 100,
        backoffMaxMs: 1_000,
        onChange: () => this.recheck(),
        onSynced: () => this.recheck(),
      });
      this.watches.set(key, w);
      w.start();
    }
    return w;
  }

  /** The object now (after the watch listed), or undefined. */
  async get(apiVersion: string, kind: string, namespace: string, name: string): Promise<KubeObject | undefined> {
    let found: KubeObject | undefined;
    await this.until(apiVersion, kind, namespace, name, (o) => ((found = o), true), "listed");
    return found;
  }

  /** Resolves once `cond(object)` holds for `namespace/name` (checked after every change the watch reports). */
  async until(apiVersion: string, kind: string, namespace: string, name: string, cond: (o: KubeObject | undefined) => boolean, what: string, timeoutMs = 30_000): Promise<KubeObject | undefined> {
    const w = await this.watchOf(apiVersion, kind);
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!w.synced) return;
        const o = w.get(namespace, name);
        if (!cond(o)) return;
        this.checks.delete(check);
        clearTimeout(timer);
        resolve(o);
      };
      const timer = setTimeout(() => {
        this.checks.delete(check);
        reject(new Error(`timed out waiting for: ${what} (${kind} ${namespace}/${name})`));
      }, timeoutMs);
      this.checks.add(check);
      check();
    });
  }

  private recheck(): void {
    for (const c of [...this.checks]) c();
  }

  stop(): void {
    for (const w of this.watches.values()) w.stop();
  }
}
