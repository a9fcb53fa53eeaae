import type { Registry } from "prom-client";
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
import { ClusterMetricsStatus } from "./cluster-metrics-status.js";
import { MetricReadings } from "./metric-readings.js";
import { Scheduler } from "./reconciler.js";
import { SchedulerMetrics } from "./scheduler-metrics.js";

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
 * and one controller keyed by Application. A Cluster's change brings back
 * the Applications of its namespace; any other input brings back them all.
 */
export function setupScheduler(
  manager: Manager,
  opts: { settings: SchedulerSettings; workers: number; registry: Registry; clock?: Clock },
): { controller: Controller; scheduler: Scheduler } {
  const clock = opts.clock ?? realClock;
  const apps = manager.informer(applicationKind).store;
  const metrics = manager.informer(metricKind).store;
  const globalMetrics = manager.informer(globalMetricKind).store;
  const providers = manager.informer(metricsProviderKind).store;
  const globalProviders = manager.informer(globalMetricsProviderKind).store;
  const clusters = manager.informer(clusterKind).store;
  const scheduler = new Scheduler(
    {
      applications: apps,
      clusters,
      clouds: manager.informer(cloudKind).store,
      globalClouds: manager.informer(globalCloudKind).store,
      metricSources: () => ({
        metrics: metrics.list(),
        globalMetrics: globalMetrics.list(),
        providers: providers.list(),
        globalProviders: globalProviders.list(),
      }),
    },
    manager.api.client(applicationKind),
    new MetricReadings({ cycleMs: opts.settings.metricsCycleMs, clock, registry: opts.registry, providerOptions: { timeoutMs: opts.settings.providerTimeoutMs } }),
    new ClusterMetricsStatus(manager.api.client(clusterKind), clusters),
    new SchedulerMetrics(opts.registry),
    { policy: policyFromSettings(opts.settings), rescheduleAfterMs: opts.settings.rescheduleAfterMs, clock },
  );
  const everyApp = () => [...apps.keys()];
  let builder = controllerFor(manager, applicationKind)
    .named("scheduler")
    .withWorkers(opts.workers)
    .watches(clusterKind, (change: Change<Cluster>) => apps.indexKeys(namespaceIndex, change.obj.metadata?.namespace ?? ""));
  builder = builder
    .watches(cloudKind, everyApp)
    .watches(globalCloudKind, everyApp)
    .watches(metricKind, everyApp)
    .watches(globalMetricKind, everyApp)
    .watches(metricsProviderKind, everyApp)
    .watches(globalMetricsProviderKind, everyApp);
  return { controller: builder.complete(scheduler), scheduler };
}
