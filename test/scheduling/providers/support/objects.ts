/** Metric and provider objects for the providers' tests, as the API server would hand them out. */
import type { GlobalMetric, Metric, MetricSpec } from "../../../../gen/krake/core/v1/metric.js";
import type {
  GlobalMetricsProvider,
  MetricsProvider,
  MetricsProviderSpec,
} from "../../../../gen/krake/core/v1/metrics_provider.js";
import type { Metadata } from "../../../../gen/krake/core/v1/types.js";
import { timestampFromDate } from "../../../../src/kinds/timestamp.js";

function metadata(name: string, namespace = ""): Metadata {
  return {
    name,
    namespace,
    labels: {},
    inheritLabels: false,
    finalizers: [],
    uid: `uid-${namespace}-${name}`,
    created: timestampFromDate(new Date(0)),
    modified: timestampFromDate(new Date(0)),
    deleted: undefined,
    owners: [],
    resourceVersion: "1",
    generation: 1,
    generateName: "",
  };
}

export function globalProvider(name: string, spec: MetricsProviderSpec): GlobalMetricsProvider {
  return { api: "core", kind: "GlobalMetricsProvider", metadata: metadata(name), spec };
}

export function provider(namespace: string, name: string, spec: MetricsProviderSpec): MetricsProvider {
  return { api: "core", kind: "MetricsProvider", metadata: metadata(name, namespace), spec };
}

export function prometheusSpec(url: string): MetricsProviderSpec {
  return { type: "prometheus", prometheus: { url } };
}

export function staticSpec(metrics: Record<string, number>): MetricsProviderSpec {
  return { type: "static", static: { metrics } };
}

export interface MetricShape {
  provider: string;
  metric: string;
  min?: number;
  max?: number;
  allowedValues?: number[];
}

function metricSpec(m: MetricShape): MetricSpec {
  return { allowedValues: m.allowedValues ?? [], min: m.min ?? 0, max: m.max ?? 1, provider: { name: m.provider, metric: m.metric } };
}

export function globalMetric(name: string, m: MetricShape): GlobalMetric {
  return { api: "core", kind: "GlobalMetric", metadata: metadata(name), spec: metricSpec(m) };
}

export function metric(namespace: string, name: string, m: MetricShape): Metric {
  return { api: "core", kind: "Metric", metadata: metadata(name, namespace), spec: metricSpec(m) };
}
