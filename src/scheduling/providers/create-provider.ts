import { MetricError } from "./errors.js";
import { InfluxProvider } from "./influx.js";
import { KafkaProvider } from "./kafka.js";
import { PrometheusProvider } from "./prometheus.js";
import { providerLabel, providerOptions } from "./provider.js";
import type { MetricsProvider, ProviderObject, ProviderOptions } from "./provider.js";
import { StaticProvider } from "./static.js";

/**
 * The MetricsProvider for a (Global)MetricsProvider object, by `spec.type`:
 * prometheus, influx, kafka or static. Never throws for a bad object (the API
 * server validates specs, but the scheduler must survive one that slipped
 * through): a spec that names no known type, or lacks the variant its type
 * names, gives a provider whose every query fails with
 * UNREACHABLE_METRICS_PROVIDER, since it cannot be asked.
 */
export function createMetricsProvider(object: ProviderObject, options: Partial<ProviderOptions> = {}): MetricsProvider {
  const opts = providerOptions(options);
  const label = providerLabel(object);
  const spec = object.spec;
  switch (spec?.type) {
    case "prometheus":
      if (spec.prometheus) return new PrometheusProvider(label, spec.prometheus, opts);
      break;
    case "influx":
      if (spec.influx) return new InfluxProvider(label, spec.influx, opts);
      break;
    case "kafka":
      if (spec.kafka) return new KafkaProvider(label, spec.kafka, opts);
      break;
    case "static":
      if (spec.static) return new StaticProvider(label, spec.static);
      break;
  }
  const why = spec === undefined ? "has no spec" : `has no usable "${spec.type}" spec`;
  return {
    query: () => Promise.reject(MetricError.unreachable(`metrics provider "${label}" ${why}`)),
  };
}
