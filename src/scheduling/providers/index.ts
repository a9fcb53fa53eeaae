// The metrics providers (krake-model.md §7): a MetricsProvider per
// (Global)MetricsProvider object, and the MetricsFetcher that the scheduler
// (once per cycle) and the API's dry run (once per call) ask for values.

// For the scheduler and the API.
export { MetricsFetcher, checkValue, isFresh } from "./fetcher.js";
export type { MetricFailure, MetricReference, MetricResult, MetricSources, MetricValue, MetricsFetcherOptions } from "./fetcher.js";
export { MetricError } from "./errors.js";
export type { MetricReasonCode } from "./errors.js";
export { providerQueriesCounter, providerQueriesMetricName } from "./metrics.js";

// For provider implementations and tests.
export { createMetricsProvider } from "./create-provider.js";
export { defaultProviderOptions, providerLabel, providerOptions } from "./provider.js";
export type { MetricsProvider, ProviderObject, ProviderOptions } from "./provider.js";
export { PrometheusProvider } from "./prometheus.js";
export { InfluxProvider, fluxQuery, influxQueryBody } from "./influx.js";
export { KafkaProvider, ksqlQueryBody } from "./kafka.js";
export { StaticProvider } from "./static.js";

// For the scheduler and the API's dry run: the MetricValues of some candidates.
export { readMetrics } from "./readings.js";
export type { MetricUser, Readings } from "./readings.js";
