import { cloudStatus_StateToJSON } from "../../../gen/krake/infrastructure/v1/cloud.js";
import type { Cloud, GlobalCloud } from "../../../gen/krake/infrastructure/v1/cloud.js";
import { ClusterStatus, ClusterStatus_State as State } from "../../../gen/krake/kubernetes/v1/cluster.js";
import type { Cluster } from "../../../gen/krake/kubernetes/v1/cluster.js";
import { Reason_Code } from "../../../gen/krake/core/v1/types.js";
import type { Clock } from "../../client/clock.js";
import type { KindClient } from "../../client/kind-client.js";
import type { Indexer } from "../../controller/informer/indexer.js";
import type { ReconcileContext, Reconciler, Result } from "../../controller/reconcile.js";
import { cloudCandidates, decideCloud } from "../../scheduling/cloud-placement.js";
import type { CloudCandidate } from "../../scheduling/cloud-placement.js";
import type { MetricSources, Readings } from "../../scheduling/providers/index.js";
import { reportCloudMetrics } from "./cloud-metrics-status.js";
import { failingMetrics } from "./metric-readings.js";
import type { MetricReadings } from "./metric-readings.js";
import { timestampKey } from "../../kinds/timestamp.js";

export interface CloudBinderCaches {
  clusters: Pick<Indexer<Cluster>, "get">;
  clouds: Pick<Indexer<Cloud>, "list">;
  globalClouds: Pick<Indexer<GlobalCloud>, "list">;
  metricSources(): MetricSources;
}

/**
 * Whether Krake's scheduler places `cluster` on a cloud: it has no
 * kubeconfig (it is to be created from its TOSCA template), is not bound to
 * a cloud yet, is not in deletion and not FAILED.
 */
export function needsCloud(cluster: Cluster | undefined): cluster is Cluster {
  if (cluster?.metadata === undefined || cluster.metadata.deleted !== undefined) return false;
  if (Object.keys(cluster.spec?.kubeconfig ?? {}).length > 0) return false;
  if ((cluster.status?.scheduledTo?.name ?? "") !== "") return false;
  return cluster.status?.state !== State.FAILED;
}

/**
 * What the cloud placement of a cluster reads of the cluster, as one
 * comparable string: a change of anything else (its status, written by the
 * binder itself on a failed placement, or by other controllers) does not
 * bring it back; the retry after a failed placement comes from the queue.
 */
export function cloudPlacementInputs(cluster: Cluster): string {
  const m = cluster.metadata;
  const ref = cluster.status?.scheduledTo;
  return JSON.stringify([
    m?.uid ?? "",
    m?.generation ?? 0,
    timestampKey(m?.deleted),
    ref ? [ref.kind, ref.namespace, ref.name] : null,
    cluster.status?.state === State.FAILED,
  ]);
}

/**
 * Krake's Cluster→Cloud scheduling, level-based, keyed by Cluster: a cluster
 * that needs a cloud (`needsCloud`) is placed on the best Cloud of its
 * namespace or GlobalCloud (src/scheduling/cloud-placement.ts, with the
 * metric readings of the current cycle) and bound through the Cluster's
 * `binding` subresource (a CloudBinding: the API sets `status.scheduled_to`
 * and `scheduled`, and makes the cloud an owner). Labels and metrics of that
 * cloud then count as the cluster's when Applications are scheduled.
 *
 * As in Krake, every candidate cloud's metrics are read, whatever its state:
 * a cloud whose metric fails is set FAILING_METRICS with `metrics_reasons`
 * (and left out), one whose metrics read again ONLINE. No cloud fits →
 * DEGRADED (NO_SUITABLE_RESOURCE, each cloud's reason in the message), tried
 * again after `backoff_delay · backoff` seconds, FAILED past
 * `backoff_limit`, as Krake does with Applications.
 */
export class CloudBinder implements Reconciler {
  constructor(
    private readonly caches: CloudBinderCaches,
    private readonly clusters: KindClient<Cluster>,
    private readonly cloudClients: { clouds: KindClient<Cloud>; globalClouds: KindClient<GlobalCloud> },
    private readonly readings: MetricReadings,
    private readonly opts: { metricMaxAgeMs: number; clock: Clock },
  ) {}

  async reconcile(ctx: ReconcileContext, key: string): Promise<Result | void> {
    const cluster = this.caches.clusters.get(key);
    if (!needsCloud(cluster)) return;
    const { namespace, name, resourceVersion } = cluster.metadata!;
    const all = cloudCandidates(namespace, this.caches.clouds.list(), this.caches.globalClouds.list());
    const readings = await this.readings.read(all, () => this.caches.metricSources(), ctx.signal);
    const candidates = await this.reportMetrics(namespace, all, readings, ctx);
    const decision = decideCloud(cluster, candidates, readings.values, new Date(this.opts.clock.now()), this.opts.metricMaxAgeMs);
    ctx.log.info({ cluster: key, cloud: decision.chosen?.name, reason: decision.reason.code, message: decision.reason.message }, "cluster cloud placement");

    const chosen = decision.chosen;
    if (chosen !== undefined) {
      const bound = await this.clusters.subresource("binding", namespace, name, { cloud: chosen }, resourceVersion, { signal: ctx.signal });
      const status = bound.status;
      if (status?.state === State.DEGRADED && status.reason?.code === Reason_Code.NO_SUITABLE_RESOURCE) {
        // placed after failing to: back to the state a new Cluster starts in
        await this.clusters.updateStatus({ ...bound, status: { ...status, state: State.PENDING, reason: undefined, retries: 0 } }, { signal: ctx.signal });
      }
      return;
    }
    const status = ClusterStatus.fromPartial(cluster.status ?? {});
    const limit = cluster.spec?.backoffLimit ?? -1;
    status.retries = (status.retries ?? 0) + 1;
    status.state = limit !== -1 && status.retries > limit ? State.FAILED : State.DEGRADED;
    status.reason = { code: Reason_Code.NO_SUITABLE_RESOURCE, message: decision.reason.message };
    await this.clusters.updateStatus({ ...cluster, status }, { signal: ctx.signal });
    if (status.state === State.FAILED) return;
    return { requeueAfter: Math.max(1, (cluster.spec?.backoffDelay ?? 1) * (cluster.spec?.backoff ?? 1)) * 1000 };
  }

  /**
   * Sets the candidates' clouds FAILING_METRICS or ONLINE by their metrics
   * (see cloud-metrics-status.ts) and returns the candidates as they now
   * stand. A write that fails is logged and the placement goes on with the
   * cloud as it was: the next placement reports again.
   */
  private async reportMetrics(namespace: string, candidates: readonly CloudCandidate[], readings: Readings, ctx: ReconcileContext): Promise<readonly CloudCandidate[]> {
    let changed = false;
    const clouds = await Promise.all(
      candidates.map(async (c) => {
        try {
          const reasons = failingMetrics(c, readings);
          const now = c.namespaced
            ? await reportCloudMetrics(this.cloudClients.clouds, c.cloud as Cloud, reasons, ctx.signal)
            : await reportCloudMetrics(this.cloudClients.globalClouds, c.cloud as GlobalCloud, reasons, ctx.signal);
          if (now !== c.cloud) {
            changed = true;
            ctx.log.info({ cloud: c.ref.name, kind: c.ref.kind, namespace: c.ref.namespace, state: cloudStatus_StateToJSON(now.status?.state ?? 0), metricsReasons: now.status?.metricsReasons }, "cloud metrics state");
          }
          return { namespaced: c.namespaced, cloud: now };
        } catch (err) {
          ctx.signal.throwIfAborted();
          ctx.log.warn({ err, cloud: c.ref.name, kind: c.ref.kind, namespace: c.ref.namespace }, "cannot write the cloud's metrics state");
          return { namespaced: c.namespaced, cloud: c.cloud };
        }
      }),
    );
    if (!changed) return candidates;
    return cloudCandidates(
      namespace,
      clouds.filter((c) => c.namespaced).map((c) => c.cloud as Cloud),
      clouds.filter((c) => !c.namespaced).map((c) => c.cloud as GlobalCloud),
    );
  }
}
