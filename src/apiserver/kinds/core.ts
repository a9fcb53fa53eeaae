import { GlobalMetric, GlobalMetricServiceService, Metric, MetricServiceService } from "../../../gen/krake/core/v1/metric.js";
import {
  GlobalMetricsProvider,
  GlobalMetricsProviderServiceService,
  MetricsProvider,
  MetricsProviderServiceService,
} from "../../../gen/krake/core/v1/metrics_provider.js";
import { Role, RoleServiceService } from "../../../gen/krake/core/v1/role.js";
import { RoleBinding, RoleBindingServiceService } from "../../../gen/krake/core/v1/role_binding.js";
import type { KindDescription } from "../registry/kind.js";
import { validateMetric } from "../registry/validation/metric.js";
import { validateMetricsProvider } from "../registry/validation/metrics-provider.js";
import { validateRole, validateRoleBinding } from "../registry/validation/role.js";
import { withMetadata } from "./validate.js";

export const roleKind: KindDescription<Role> = {
  api: "core",
  kind: "Role",
  plural: "roles",
  namespaced: false,
  codec: Role,
  service: RoleServiceService,
  validate: withMetadata(false, validateRole),
};

export const roleBindingKind: KindDescription<RoleBinding> = {
  api: "core",
  kind: "RoleBinding",
  plural: "rolebindings",
  namespaced: false,
  codec: RoleBinding,
  service: RoleBindingServiceService,
  validate: withMetadata(false, validateRoleBinding),
};

export const metricKind: KindDescription<Metric> = {
  api: "core",
  kind: "Metric",
  plural: "metrics",
  namespaced: true,
  codec: Metric,
  service: MetricServiceService,
  validate: withMetadata(true, validateMetric),
};

export const globalMetricKind: KindDescription<GlobalMetric> = {
  api: "core",
  kind: "GlobalMetric",
  plural: "globalmetrics",
  namespaced: false,
  codec: GlobalMetric,
  service: GlobalMetricServiceService,
  validate: withMetadata(false, validateMetric),
};

export const metricsProviderKind: KindDescription<MetricsProvider> = {
  api: "core",
  kind: "MetricsProvider",
  plural: "metricsproviders",
  namespaced: true,
  codec: MetricsProvider,
  service: MetricsProviderServiceService,
  validate: withMetadata(true, validateMetricsProvider),
};

export const globalMetricsProviderKind: KindDescription<GlobalMetricsProvider> = {
  api: "core",
  kind: "GlobalMetricsProvider",
  plural: "globalmetricsproviders",
  namespaced: false,
  codec: GlobalMetricsProvider,
  service: GlobalMetricsProviderServiceService,
  validate: withMetadata(false, validateMetricsProvider),
};
