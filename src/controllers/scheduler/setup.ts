import type { Registry } from "prom-client";
import { ClusterStatus_State as ClusterState } from "../../../gen/krake/kubernetes/v1/cluster.js";
import type { Cluster } from "../../../gen/krake/kubernetes/v1/cluster.js";
import {
  cloudKind,
  globalCloudKind,
  globalMetricKind,
  globalMetricsProviderKind,
  metricKind,
  metricsProviderKind,
} from "../../../gen/kinds.js";
import { applicationKind, clusterKind } from "../../kinds/index.js";
import { controllerFor } from "../../controller/builder.js";
import type { Controller } from "../../controller/controller.js";
import type { Change } from "../../controller/controller.js";
import { namespaceIndex } from "../../controller/informer/indexer.js";
import type { Manager } from "../../controller/manager.js";
import { realClock } from "../../client/clock.js";
import type { Clock } from "../../client/clock.js";
import { defaultPolicySettings, policyFromSettings } from "../../scheduling/settings.js";
import type { PolicySettings } from "../../scheduling/settings.js";
import type { KrakeObject } from "../../kinds/object.js";
import type { Informer } from "../../controller/informer/informer.js";
import { ApplicationEvents } from "./application-events.js";
import { CandidateCache } from "./candidate-cache.js";
import { CloudBinder, cloudPlacementInputs, needsCloud } from "./cloud-binder.js";
import { ClusterMetricsStatus } from "./cluster-metrics-status.js";
import { MetricReadings } from "./metric-readings.js";
import { Scheduler } from "./reconciler.js";
import { SchedulerMetrics } from "./scheduler-metrics.js";
import { timestampKey } from "../../kinds/timestamp.js";

/** krake-scheduler's own settings (`scheduler:` in its config file, `--scheduler.<key>` flags): the policy's, shared with the API's dry run, and its own. */
export interface SchedulerSettings extends PolicySettings {
  /** Krake's reschedule_after. */
  rescheduleAfterMs: number;
  /** Metric values are read once per cycle, shared by every Application decided in it. */
  metricsCycleMs: number;
  /** Each provider query's timeout (Krake: 20 s). */
  providerTimeoutMs: number;
}

export const defaultSchedulerSettings: SchedulerSettings = {
  ...defaultPolicySettings,
  rescheduleAfterMs: 60_000,
  metricsCycleMs: 10_000,
  providerTimeoutMs: 20_000,
};

/**
 * Registers the scheduler: informers on Applications, Clusters, Clouds,
 * GlobalClouds, Metrics, GlobalMetrics and both kinds of MetricsProviders,
 * one controller keyed by Application and one keyed by Cluster, which binds
 * clusters without a kubeconfig to a cloud (CloudBinder). A Cluster's change that can
 * change a decision (`clusterInputsChanged`) brings back the Applications of
 * its namespace; any other input brings back them all. An Application's own
 * change brings it back unless it is the echo of the scheduler's own write
 * or leaves every decision input as it was (ApplicationEvents).
 *
 * What decisions share is kept until an input changes: the candidates of a
 * namespace (CandidateCache, dropped on any Cluster, Cloud or GlobalCloud
 * event) and the metric readings of a cycle (MetricReadings, which a Metric
 * or provider change ends early).
 */
export function setupScheduler(
  manager: Manager,
  opts: { settings: SchedulerSettings; workers: number; registry: Registry; clock?: Clock },
): { controller: Controller; scheduler: Scheduler; cloudController: Controller } {
  const clock = opts.clock ?? realClock;
  const appInformer = manager.informer(applicationKind);
  const apps = appInformer.store;
  const metricInformer = manager.informer(metricKind);
  const globalMetricInformer = manager.informer(globalMetricKind);
  const providerInformer = manager.informer(metricsProviderKind);
  const globalProviderInformer = manager.informer(globalMetricsProviderKind);
  const clusterInformer = manager.informer(clusterKind);
  const clusters = clusterInformer.store;
  const clusterStatus = new ClusterMetricsStatus(manager.api.client(clusterKind), clusters);
  const candidates = new CandidateCache({
    clusters,
    clouds: manager.informer(cloudKind).store,
    globalClouds: manager.informer(globalCloudKind).store,
    latest: (list) => clusterStatus.latest(list),
  });
  const readings = new MetricReadings({ cycleMs: opts.settings.metricsCycleMs, clock, registry: opts.registry, providerOptions: { timeoutMs: opts.settings.providerTimeoutMs } });
  // dropped synchronously in the informers' handlers, before a worker can decide with them
  onEveryChange(clusterInformer, (c) => candidates.invalidate(c.metadata?.namespace ?? ""));
  onEveryChange(manager.informer(cloudKind), () => candidates.invalidate());
  onEveryChange(manager.informer(globalCloudKind), () => candidates.invalidate());
  const endCycle = () => readings.invalidate();
  onEveryChange(metricInformer, endCycle);
  onEveryChange(globalMetricInformer, endCycle);
  onEveryChange(providerInformer, endCycle);
  onEveryChange(globalProviderInformer, endCycle);

  const policy = policyFromSettings(opts.settings);
  const metricSources = () => ({
    metrics: metricInformer.store.list(),
    globalMetrics: globalMetricInformer.store.list(),
    providers: providerInformer.store.list(),
    globalProviders: globalProviderInformer.store.list(),
  });
  let controller: Controller | undefined;
  const events = new ApplicationEvents((key) => controller?.enqueue(key));
  const scheduler = new Scheduler(
    {
      applications: apps,
      candidates,
      metricSources,
    },
    manager.api.client(applicationKind),
    readings,
    clusterStatus,
    new SchedulerMetrics(opts.registry),
    events,
    { policy, rescheduleAfterMs: opts.settings.rescheduleAfterMs, clock },
  );
  const everyApp = () => [...apps.keys()];
  const appsOfCluster = (change: Change<Cluster>) =>
    change.type === "update" && !clusterInputsChanged(change.old, change.obj)
      ? []
      : apps.indexKeys(namespaceIndex, change.obj.metadata?.namespace ?? "");
  controller = controllerFor(manager, applicationKind)
    .named("scheduler")
    .withWorkers(opts.workers)
    .withEventFilter((change) => events.wants(change))
    .watches(clusterKind, appsOfCluster)
    .watches(cloudKind, everyApp)
    .watches(globalCloudKind, everyApp)
    .watches(metricKind, everyApp)
    .watches(globalMetricKind, everyApp)
    .watches(metricsProviderKind, everyApp)
    .watches(globalMetricsProviderKind, everyApp)
    .complete(scheduler);

  // Krake's Cluster→Cloud scheduling: a second controller, keyed by Cluster
  const cloudInformer = manager.informer(cloudKind);
  const globalCloudInformer = manager.informer(globalCloudKind);
  const binder = new CloudBinder(
    { clusters, clouds: cloudInformer.store, globalClouds: globalCloudInformer.store, metricSources },
    manager.api.client(clusterKind),
    { clouds: manager.api.client(cloudKind), globalClouds: manager.api.client(globalCloudKind) },
    readings,
    { metricMaxAgeMs: policy.metricMaxAgeMs, clock },
  );
  const clustersNeedingCloud = () => [...clusters.keys()].filter((key) => needsCloud(clusters.get(key)));
  const cloudController = controllerFor(manager, clusterKind)
    .named("cloud-scheduler")
    .withWorkers(Math.max(1, Math.min(opts.workers, 4)))
    .withEventFilter((change) => change.type !== "update" || cloudPlacementInputs(change.old) !== cloudPlacementInputs(change.obj))
    .watches(cloudKind, clustersNeedingCloud)
    .watches(globalCloudKind, clustersNeedingCloud)
    .watches(metricKind, clustersNeedingCloud)
    .watches(globalMetricKind, clustersNeedingCloud)
    .watches(metricsProviderKind, clustersNeedingCloud)
    .watches(globalMetricsProviderKind, clustersNeedingCloud)
    .complete(binder);
  return { controller, scheduler, cloudController };
}

/**
 * Whether a cluster's change can change a decision: what the filters and
 * the score read (labels, spec, state, deletion, the cloud it is bound to,
 * the metrics reasons). The cluster observer's periodic status writes
 * (nodes, kube_controller_triggered) change none of it, and would otherwise
 * bring back every Application of the namespace each time.
 */
export function clusterInputsChanged(old: Cluster, next: Cluster): boolean {
  return clusterInputs(old) !== clusterInputs(next);
}

function clusterInputs(c: Cluster): string {
  const m = c.metadata;
  const ref = c.status?.scheduledTo;
  return JSON.stringify([
    m?.uid ?? "",
    m?.generation ?? 0,
    timestampKey(m?.deleted),
    m?.labels ?? {},
    m?.inheritLabels ?? false,
    // ONLINE or not is what the filter reads (a cluster that fails to get a cloud goes DEGRADED on each retry)
    c.status?.state === ClusterState.ONLINE,
    c.status?.state === ClusterState.FAILING_METRICS,
    ref ? [ref.kind, ref.namespace, ref.name] : null,
    Object.keys(c.status?.metricsReasons ?? {}).sort(),
  ]);
}

function onEveryChange<T extends KrakeObject>(informer: Informer<T>, fn: (obj: T) => void): void {
  informer.addEventHandler({ onAdd: fn, onUpdate: (_old, obj) => fn(obj), onDelete: fn });
}
