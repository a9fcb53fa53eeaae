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
import { resolvePolicy } from "../../scheduling/index.js";
import type { SchedulingPolicy } from "../../scheduling/index.js";
import { MetricReadings } from "./metric-readings.js";
import { Scheduler } from "./reconciler.js";
import { SchedulerMetrics } from "./scheduler-metrics.js";

/** krake-scheduler's own settings (`scheduler:` in its config file, `--scheduler.<key>` flags). */
export interface SchedulerSettings {
  stickiness: number;
  /** A move needs the best cluster to beat the current one by more than this (score units, 0..1). */
  margin: number;
  minDwellMs: number;
  maxMigrationsPerWindow: number;
  migrationWindowMs: number;
  /** A metric value older than this counts as missing. */
  metricMaxAgeMs: number;
  /** Candidates listed in an explanation, per list. */
  explainLimit: number;
  /** Krake's reschedule_after. */
  rescheduleAfterMs: number;
  /** Metric values are read once per cycle, shared by every Application decided in it. */
  metricsCycleMs: number;
  /** Each provider query's timeout (Krake: 20 s). */
  providerTimeoutMs: number;
}

export const defaultSchedulerSettings: SchedulerSettings = {
  stickiness: 0.1,
  margin: 0.1,
  minDwellMs: 5 * 60_000,
  maxMigrationsPerWindow: 3,
  migrationWindowMs: 60 * 60_000,
  metricMaxAgeMs: 5 * 60_000,
  explainLimit: 10,
  rescheduleAfterMs: 60_000,
  metricsCycleMs: 10_000,
  providerTimeoutMs: 20_000,
};

export function schedulingPolicy(s: SchedulerSettings): SchedulingPolicy {
  return resolvePolicy({
    stickiness: s.stickiness,
    margin: s.margin,
    minDwellMs: s.minDwellMs,
    maxMigrationsPerWindow: s.maxMigrationsPerWindow,
    windowMs: s.migrationWindowMs,
    metricMaxAgeMs: s.metricMaxAgeMs,
    limit: s.explainLimit,
  });
}

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
  const scheduler = new Scheduler(
    {
      applications: apps,
      clusters: manager.informer(clusterKind).store,
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
    new SchedulerMetrics(opts.registry),
    { policy: schedulingPolicy(opts.settings), rescheduleAfterMs: opts.settings.rescheduleAfterMs, clock },
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
