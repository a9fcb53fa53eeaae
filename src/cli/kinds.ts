/**
 * The kinds krakectl knows, as data: names, scope, the ts-proto codec, the
 * generated service definition (its request codecs build the calls) and the
 * typed client it goes through. Commands and transports are generic over it.
 */
import { GlobalMetric, GlobalMetricServiceDefinition, Metric, MetricServiceDefinition } from "../../gen/krake/core/v1/metric.js";
import {
  GlobalMetricsProvider,
  GlobalMetricsProviderServiceDefinition,
  MetricsProvider,
  MetricsProviderServiceDefinition,
} from "../../gen/krake/core/v1/metrics_provider.js";
import { Role, RoleServiceDefinition } from "../../gen/krake/core/v1/role.js";
import { RoleBinding, RoleBindingServiceDefinition } from "../../gen/krake/core/v1/role_binding.js";
import type { Metadata } from "../../gen/krake/core/v1/types.js";
import {
  Application,
  ApplicationServiceDefinition,
  ApplicationStatus_State,
  applicationStatus_StateToJSON,
} from "../../gen/krake/kubernetes/v1/application.js";
import { Cluster, ClusterServiceDefinition, ClusterStatus_State, clusterStatus_StateToJSON } from "../../gen/krake/kubernetes/v1/cluster.js";
import type { KrakeClients } from "../client/clients.js";

/** What every Krake object has. */
export interface KrakeObject {
  api: string;
  kind: string;
  metadata: Metadata | undefined;
}

/** The part of a ts-proto message codec krakectl uses. */
export interface MessageCodec<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(input: Uint8Array): T;
  fromPartial(object: never): T;
}

/** The part of a ts-proto generic service definition krakectl uses. */
export interface ServiceDefinition {
  methods: Record<string, { requestType: { fromPartial(object: never): unknown } }>;
}

export type ClientKey = Exclude<keyof KrakeClients, "close">;

export interface KindInfo<T extends KrakeObject = KrakeObject> {
  /** API group as in URLs: "kubernetes", "core". */
  api: string;
  /** "Application". */
  kind: string;
  /** Lower-case plural as in URLs: "applications". */
  plural: string;
  namespaced: boolean;
  /** Fully qualified proto message name, for the JSON codec. */
  protoName: string;
  codec: MessageCodec<T>;
  definition: ServiceDefinition;
  client: ClientKey;
  /** Request field that carries the object: "application", "metricsProvider". */
  bodyField: string;
  /** `status.state` by enum name, for kinds that have one. */
  state?: (obj: T) => string | undefined;
  /** Every state name, for validating `--wait STATE`. */
  states?: string[];
}

function enumNames(e: Record<string, string | number>): string[] {
  return Object.keys(e).filter((k) => Number.isNaN(Number(k)) && k !== "UNRECOGNIZED");
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

function kind<T extends KrakeObject>(info: Omit<KindInfo<T>, "bodyField">): KindInfo<T> {
  return { ...info, bodyField: lowerFirst(info.kind) };
}

export const applicationKind = kind<Application>({
  api: "kubernetes",
  kind: "Application",
  plural: "applications",
  namespaced: true,
  protoName: "krake.kubernetes.v1.Application",
  codec: Application,
  definition: ApplicationServiceDefinition,
  client: "applications",
  state: (a) => (a.status ? applicationStatus_StateToJSON(a.status.state) : undefined),
  states: enumNames(ApplicationStatus_State),
});

export const clusterKind = kind<Cluster>({
  api: "kubernetes",
  kind: "Cluster",
  plural: "clusters",
  namespaced: true,
  protoName: "krake.kubernetes.v1.Cluster",
  codec: Cluster,
  definition: ClusterServiceDefinition,
  client: "clusters",
  state: (c) => (c.status ? clusterStatus_StateToJSON(c.status.state) : undefined),
  states: enumNames(ClusterStatus_State),
});

export const metricKind = kind<Metric>({
  api: "core",
  kind: "Metric",
  plural: "metrics",
  namespaced: true,
  protoName: "krake.core.v1.Metric",
  codec: Metric,
  definition: MetricServiceDefinition,
  client: "metrics",
});

export const globalMetricKind = kind<GlobalMetric>({
  api: "core",
  kind: "GlobalMetric",
  plural: "globalmetrics",
  namespaced: false,
  protoName: "krake.core.v1.GlobalMetric",
  codec: GlobalMetric,
  definition: GlobalMetricServiceDefinition,
  client: "globalMetrics",
});

export const metricsProviderKind = kind<MetricsProvider>({
  api: "core",
  kind: "MetricsProvider",
  plural: "metricsproviders",
  namespaced: true,
  protoName: "krake.core.v1.MetricsProvider",
  codec: MetricsProvider,
  definition: MetricsProviderServiceDefinition,
  client: "metricsProviders",
});

export const globalMetricsProviderKind = kind<GlobalMetricsProvider>({
  api: "core",
  kind: "GlobalMetricsProvider",
  plural: "globalmetricsproviders",
  namespaced: false,
  protoName: "krake.core.v1.GlobalMetricsProvider",
  codec: GlobalMetricsProvider,
  definition: GlobalMetricsProviderServiceDefinition,
  client: "globalMetricsProviders",
});

export const roleKind = kind<Role>({
  api: "core",
  kind: "Role",
  plural: "roles",
  namespaced: false,
  protoName: "krake.core.v1.Role",
  codec: Role,
  definition: RoleServiceDefinition,
  client: "roles",
});

export const roleBindingKind = kind<RoleBinding>({
  api: "core",
  kind: "RoleBinding",
  plural: "rolebindings",
  namespaced: false,
  protoName: "krake.core.v1.RoleBinding",
  codec: RoleBinding,
  definition: RoleBindingServiceDefinition,
  client: "roleBindings",
});

/** Every kind, for `apply` and other commands that take any kind. */
export const allKinds: KindInfo[] = [
  applicationKind,
  clusterKind,
  metricKind,
  globalMetricKind,
  metricsProviderKind,
  globalMetricsProviderKind,
  roleKind,
  roleBindingKind,
].map((k) => k as unknown as KindInfo);

export function kindByName(api: string | undefined, kindName: string): KindInfo | undefined {
  return allKinds.find((k) => k.kind === kindName && (api === undefined || api === "" || k.api === api));
}
