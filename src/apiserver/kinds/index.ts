import { generatedKinds } from "../../../gen/kinds.js";
import type { GeneratedKind } from "../../kinds/index.js";
import { anyKind } from "../objects/kind.js";
import type { AnyKind, KrakeObject } from "../objects/kind.js";
import { applicationKind } from "./application.js";
import { clusterKind } from "./cluster.js";
import { infrastructureKinds } from "./infrastructure.js";
import { leaseKind } from "./lease.js";
import { globalMetricKind, metricKind } from "./metric.js";
import { globalMetricsProviderKind, metricsProviderKind } from "./metrics-provider.js";
import { openstackKinds } from "./openstack.js";
import { roleBindingKind, roleKind } from "./role.js";
import { serverKind } from "./server-kind.js";

/** The kinds with server hooks of their own (validation, defaults, subresource rules), one module each or per group. */
const withHooks: AnyKind[] = [
  anyKind(roleKind),
  anyKind(roleBindingKind),
  anyKind(metricKind),
  anyKind(globalMetricKind),
  anyKind(metricsProviderKind),
  anyKind(globalMetricsProviderKind),
  anyKind(leaseKind),
  anyKind(applicationKind),
  anyKind(clusterKind),
  ...infrastructureKinds,
  ...openstackKinds,
];

/**
 * Every kind the API serves: every kind of the generated table (gen/kinds.ts),
 * with its hooks where it has some and the shared metadata rules otherwise. A
 * new proto is served after `make gen` with no line here.
 */
export const allKinds: AnyKind[] = generatedKinds.map(
  (g) => withHooks.find((k) => k.api === g.api && k.kind === g.kind) ?? anyKind(serverKind(g as GeneratedKind<KrakeObject>)),
);

export { applicationKind, clusterKind, roleKind, roleBindingKind };
