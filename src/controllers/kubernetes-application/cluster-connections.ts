/**
 * One ClusterResources per Krake Cluster, made from its spec.kubeconfig and
 * made again when the kubeconfig changes (the old connection's watches are
 * dropped then).
 */
import type { Cluster } from "../../../gen/krake/kubernetes/v1/cluster.js";
import { ClusterResources } from "../../kubernetes/cluster-resources.js";
import { kubeConfigFrom } from "../../kubernetes/kube-config.js";

export function clusterKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

export class ClusterConnections {
  private readonly byKey = new Map<string, { fingerprint: string; resources: ClusterResources }>();

  constructor(
    private readonly requestTimeoutMs: number,
    /** Told when a cluster's connection is replaced or closed. */
    private readonly onReplaced: (key: string) => void,
  ) {}

  /** The connection for `cluster`; throws KubeconfigError when its kubeconfig cannot be used. */
  connect(cluster: Cluster): ClusterResources {
    const key = clusterKey(cluster.metadata?.namespace ?? "", cluster.metadata?.name ?? "");
    const kubeconfig = cluster.spec?.kubeconfig as Record<string, unknown> | undefined;
    const fingerprint = JSON.stringify(kubeconfig ?? {});
    const known = this.byKey.get(key);
    if (known?.fingerprint === fingerprint) return known.resources;
    if (known) this.onReplaced(key);
    const resources = new ClusterResources(kubeConfigFrom(kubeconfig), { timeoutMs: this.requestTimeoutMs });
    this.byKey.set(key, { fingerprint, resources });
    return resources;
  }

  /** The Cluster is gone: its connection (and, through onReplaced, its watches) too. */
  forget(key: string): void {
    if (this.byKey.delete(key)) this.onReplaced(key);
  }

  get size(): number {
    return this.byKey.size;
  }

  /** The connection made last for `key`, if any. */
  get(key: string): ClusterResources | undefined {
    return this.byKey.get(key)?.resources;
  }
}
