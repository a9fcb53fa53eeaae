import type { StaticSpec } from "../../../gen/krake/core/v1/metrics_provider.js";
import { MetricError } from "./errors.js";
import type { MetricsProvider } from "./provider.js";

/**
 * Serves the fixed values of the spec's `metrics` map (tests and demos). A
 * name that is not in the map, or a value that is not finite, is INVALID_METRIC.
 */
export class StaticProvider implements MetricsProvider {
  private readonly what: string;

  constructor(
    label: string,
    private readonly spec: StaticSpec,
  ) {
    this.what = `static provider "${label}"`;
  }

  query(metricName: string, signal?: AbortSignal): Promise<number> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const metrics = this.spec.metrics ?? {};
    if (!Object.hasOwn(metrics, metricName)) {
      return Promise.reject(MetricError.invalid(`${this.what}: metric "${metricName}" is not defined`));
    }
    const value = metrics[metricName];
    if (typeof value !== "number" || !Number.isFinite(value)) {
      return Promise.reject(MetricError.invalid(`${this.what}: metric "${metricName}" has no finite value`));
    }
    return Promise.resolve(value);
  }
}
