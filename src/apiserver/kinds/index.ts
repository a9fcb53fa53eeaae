import { anyKind } from "../registry/kind.js";
import type { AnyKind } from "../registry/kind.js";
import { applicationKind } from "./application.js";
import { clusterKind } from "./cluster.js";
import {
  globalMetricKind,
  globalMetricsProviderKind,
  metricKind,
  metricsProviderKind,
  roleBindingKind,
  roleKind,
} from "./core.js";
import { leaseKind } from "./lease.js";

/** Every kind the API serves. Adding a kind: its proto, `make gen`, a description, one line here. */
export const allKinds: AnyKind[] = [
  anyKind(roleKind),
  anyKind(roleBindingKind),
  anyKind(metricKind),
  anyKind(globalMetricKind),
  anyKind(metricsProviderKind),
  anyKind(globalMetricsProviderKind),
  anyKind(applicationKind),
  anyKind(clusterKind),
  anyKind(leaseKind),
];

export { applicationKind, clusterKind, roleKind, roleBindingKind };
