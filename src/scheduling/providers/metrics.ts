import { Counter } from "prom-client";
import type { Registry } from "prom-client";

export const providerQueriesMetricName = "krake_scheduler_provider_queries_total";

export type ProviderQueriesCounter = Counter<"provider" | "metric">;

/**
 * `krake_scheduler_provider_queries_total{provider, metric}`: queries sent to
 * metrics providers (successful or not), by provider (`namespace/name` or, for
 * a global provider, `name`) and metric name at the provider.
 *
 * The counter is registered once per registry and found again afterwards, so
 * a MetricsFetcher per scheduling cycle can share one registry.
 */
export function providerQueriesCounter(registry: Registry): ProviderQueriesCounter {
  const existing = registry.getSingleMetric(providerQueriesMetricName);
  if (existing instanceof Counter) return existing as ProviderQueriesCounter;
  if (existing) throw new Error(`${providerQueriesMetricName} is registered, but not as a counter`);
  return new Counter({
    name: providerQueriesMetricName,
    help: "Queries sent to metrics providers, by provider and metric",
    labelNames: ["provider", "metric"],
    registers: [registry],
  });
}
