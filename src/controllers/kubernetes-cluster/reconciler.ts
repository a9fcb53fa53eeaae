import type { KubeConfig } from "@kubernetes/client-node";
import { Reason_Code } from "../../../gen/krake/core/v1/types.js";
import { ClusterStatus, ClusterStatus_State as State } from "../../../gen/krake/kubernetes/v1/cluster.js";
import type { Cluster } from "../../../gen/krake/kubernetes/v1/cluster.js";
import type { Clock } from "../../client/clock.js";
import type { KindClient } from "../../client/kind-client.js";
import type { Indexer } from "../../controller/informer/indexer.js";
import type { ReconcileContext, Reconciler, Result } from "../../controller/reconcile.js";
import { KubeconfigError, kubeConfigFrom } from "../../kubernetes/kube-config.js";
import { desiredStatus, notObservedBecause, sameObservedStatus } from "./cluster-status.js";
import { checkTlsMaterial, KubeMemberApi } from "./member-api.js";
import type { MemberApi } from "./member-api.js";
import { NodeObserver } from "./node-observer.js";
import { Observers, stableJson } from "./observers.js";
import type { ClusterSettings } from "./settings.js";
import { timestampNow } from "../../kinds/timestamp.js";

export interface ClusterReconcilerOptions {
  clusters: Pick<Indexer<Cluster>, "get">;
  client: Pick<KindClient<Cluster>, "updateStatus">;
  observers: Observers;
  settings: ClusterSettings;
  clock: Clock;
  /** The observer of cluster `key` saw something new. */
  onObservation: (key: string) => void;
  /** How a member cluster is reached (tests replace it). */
  memberApi?: (kubeConfig: KubeConfig) => MemberApi;
}

/**
 * Keeps one NodeObserver per observed Cluster and writes what it sees into the Cluster's
 * status. A key comes back when the Cluster changes (informer) or its observer sees something
 * new; either way the reconcile compares the stored status with the observation
 * (`desiredStatus`) and writes only a difference, through the status subresource with the
 * version it judged as precondition (a conflict retries against fresh state).
 *
 * Observed: clusters with a kubeconfig, not in deletion and not CREATING, RECONCILING, DELETING
 * or FAILED (`notObservedBecause`); for the others the observer is stopped and the status left
 * to its owner. A kubeconfig that kubeConfigFrom refuses (a file path, exec, auth-provider, no
 * server) or whose certificates do not load stops the observer and makes the cluster OFFLINE
 * with reason INVALID_RESOURCE saying why; it is not retried: the Cluster's next update brings
 * the key back.
 */
export class ClusterReconciler implements Reconciler {
  /** Our status writes the informer may not have delivered yet: key → the version written and the one it replaced. */
  private readonly written = new Map<string, { replaced: string; cluster: Cluster }>();

  constructor(private readonly opts: ClusterReconcilerOptions) {}

  async reconcile(ctx: ReconcileContext, key: string): Promise<Result | void> {
    const { observers } = this.opts;
    const cluster = this.current(key);
    const skip = cluster ? notObservedBecause(cluster) : "gone";
    if (!cluster || skip !== undefined) {
      if (await observers.stop(key)) ctx.log.info({ why: skip }, "no longer observing the cluster");
      return;
    }
    let kubeConfig: KubeConfig;
    try {
      kubeConfig = kubeConfigFrom(cluster.spec?.kubeconfig);
      await checkTlsMaterial(kubeConfig);
    } catch (err) {
      if (!(err instanceof KubeconfigError)) throw err;
      await observers.stop(key);
      const stored = ClusterStatus.fromPartial(cluster.status ?? {});
      const next: ClusterStatus = {
        ...stored,
        state: State.OFFLINE,
        reason: { code: Reason_Code.INVALID_RESOURCE, message: `kubeconfig refused: ${err.message}` },
        observedGeneration: cluster.metadata?.generation ?? stored.observedGeneration,
      };
      if (!sameObservedStatus(stored, next)) await this.write(ctx, key, cluster, next);
      return;
    }
    const fingerprint = stableJson([cluster.metadata?.uid ?? "", cluster.spec?.kubeconfig ?? {}]);
    let observer = observers.get(key, fingerprint);
    if (!observer) {
      const restart = observers.has(key);
      observer = new NodeObserver(
        {
          api: (this.opts.memberApi ?? this.defaultMemberApi)(kubeConfig),
          settings: this.opts.settings,
          clock: this.opts.clock,
          log: ctx.log,
          onChange: () => this.opts.onObservation(key),
        },
        cluster.spec?.customResources ?? [],
      );
      await observers.replace(key, fingerprint, observer);
      ctx.log.info({ server: kubeConfig.getCurrentCluster()?.server }, restart ? "kubeconfig changed; watching the cluster's nodes again" : "watching the cluster's nodes");
    }
    observer.setCustomResources(cluster.spec?.customResources ?? []);
    const next = desiredStatus(cluster, observer.observation());
    if (next) await this.write(ctx, key, cluster, next);
  }

  private readonly defaultMemberApi = (kubeConfig: KubeConfig): MemberApi =>
    new KubeMemberApi(kubeConfig, { timeoutMs: this.opts.settings.timeoutMs, pageSize: this.opts.settings.listPageSize, clock: this.opts.clock });

  private async write(ctx: ReconcileContext, key: string, cluster: Cluster, status: ClusterStatus): Promise<void> {
    ctx.signal.throwIfAborted();
    const stored = await this.opts.client.updateStatus(
      { ...cluster, status: { ...status, kubeControllerTriggered: timestampNow(this.opts.clock.now()) } },
      { signal: ctx.signal },
    );
    this.written.set(key, { replaced: cluster.metadata?.resourceVersion ?? "", cluster: stored });
    const from = cluster.status?.state ?? State.PENDING;
    if (from !== status.state) ctx.log.info({ from: State[from], to: State[status.state], reason: status.reason?.message }, "cluster state changed");
  }

  /**
   * The newest version of cluster `key` known here: the cache's, or our own write while the
   * cache still holds the version it replaced (so that the next look neither writes the same
   * again nor fails on a stale precondition).
   */
  private current(key: string): Cluster | undefined {
    const cached = this.opts.clusters.get(key);
    const mine = this.written.get(key);
    if (mine === undefined) return cached;
    if (cached !== undefined && cached.metadata?.resourceVersion === mine.replaced) return mine.cluster;
    this.written.delete(key);
    return cached;
  }
}
