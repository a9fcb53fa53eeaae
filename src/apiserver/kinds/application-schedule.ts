/**
 * ScheduleApplication, the scheduler's dry run: where would the scheduler
 * place this Application now, and why. The registry has prepared and
 * validated the Application as Create would (an invalid one never gets
 * here); this reads the clusters of its namespace, the clouds, the metrics
 * and their providers from the watch cache, asks the providers for the
 * metric values (each query bounded by `scheduling.provider_timeout_ms`: a
 * dry run is rare, and a caller is waiting), and decides with src/scheduling,
 * the scheduler's own pure core, under the policy of the `scheduling:`
 * settings. Nothing is stored, bound or remembered.
 *
 * As a new Application, it has no current cluster (no stickiness, no
 * migration limits apply). Ties between clusters of equal score break on the
 * Application's uid, which a dry run makes up: the Application created later
 * gets another one, so such a tie may break the other way then.
 */
import { Registry } from "prom-client";
import {
  cloudKind,
  clusterKind,
  globalCloudKind,
  globalMetricKind,
  globalMetricsProviderKind,
  metricKind,
  metricsProviderKind,
} from "../../../gen/kinds.js";
import type { GlobalMetric, Metric } from "../../../gen/krake/core/v1/metric.js";
import type { GlobalMetricsProvider, MetricsProvider } from "../../../gen/krake/core/v1/metrics_provider.js";
import type { Cloud, GlobalCloud } from "../../../gen/krake/infrastructure/v1/cloud.js";
import type { Application } from "../../../gen/krake/kubernetes/v1/application.js";
import type { Cluster } from "../../../gen/krake/kubernetes/v1/cluster.js";
import { buildCandidates, decide, decisionStatus, policyFromSettings } from "../../scheduling/index.js";
import { MetricsFetcher, readMetrics } from "../../scheduling/providers/index.js";
import type { MetricSources } from "../../scheduling/providers/index.js";
import type { ActionHooks } from "./server-kind.js";

/** Where the fetchers count their provider queries: private, since krake-api's /metrics does not serve the scheduler's counters. */
const providerQueries = new Registry();

export const scheduleDryRun: ActionHooks<Application> = {
  async run({ ctx, namespace, body, objects, config }) {
    const app = body as Application;
    const settings = config.scheduling;
    const clusters = objects.list<Cluster>(clusterKind, namespace);
    const candidates = buildCandidates(clusters, {
      clouds: objects.list<Cloud>(cloudKind, ""),
      globalClouds: objects.list<GlobalCloud>(globalCloudKind, ""),
    });
    const sources: MetricSources = {
      metrics: objects.list<Metric>(metricKind, ""),
      globalMetrics: objects.list<GlobalMetric>(globalMetricKind, ""),
      providers: objects.list<MetricsProvider>(metricsProviderKind, ""),
      globalProviders: objects.list<GlobalMetricsProvider>(globalMetricsProviderKind, ""),
    };
    const fetcher = new MetricsFetcher(sources, {
      registry: providerQueries,
      providerOptions: { timeoutMs: settings.providerTimeoutMs },
      signal: ctx.signal,
    });
    const { values } = await readMetrics(fetcher, candidates, sources, ctx.signal);
    return decisionStatus(decide(app, candidates, values, new Date(), policyFromSettings(settings)));
  },
};
