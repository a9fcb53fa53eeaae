import type { GlobalMetric, Metric } from "../../../gen/krake/core/v1/metric.js";
import type { GlobalMetricsProvider, MetricsProvider } from "../../../gen/krake/core/v1/metrics_provider.js";
import type { Role } from "../../../gen/krake/core/v1/role.js";
import type { RoleBinding } from "../../../gen/krake/core/v1/role_binding.js";
import * as generated from "../../kinds/index.js";
import { validateMetric } from "../registry/validation/metric.js";
import { validateMetricsProvider } from "../registry/validation/metrics-provider.js";
import { validateRole, validateRoleBinding } from "../registry/validation/role.js";
import { anyKind } from "../objects/kind.js";
import type { AnyKind } from "../objects/kind.js";
import { serverKind } from "./server-kind.js";

export const roleKind = serverKind<Role>(generated.roleKind, { validate: validateRole });
export const roleBindingKind = serverKind<RoleBinding>(generated.roleBindingKind, { validate: validateRoleBinding });
export const metricKind = serverKind<Metric>(generated.metricKind, { validate: validateMetric });
export const globalMetricKind = serverKind<GlobalMetric>(generated.globalMetricKind, { validate: validateMetric });
export const metricsProviderKind = serverKind<MetricsProvider>(generated.metricsProviderKind, { validate: validateMetricsProvider });
export const globalMetricsProviderKind = serverKind<GlobalMetricsProvider>(generated.globalMetricsProviderKind, { validate: validateMetricsProvider });

export const coreKinds: AnyKind[] = [
  anyKind(roleKind),
  anyKind(roleBindingKind),
  anyKind(metricKind),
  anyKind(globalMetricKind),
  anyKind(metricsProviderKind),
  anyKind(globalMetricsProviderKind),
];
