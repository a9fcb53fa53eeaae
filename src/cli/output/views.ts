/**
 * What the table output shows for each kind: a few columns for lists
 * (kubectl-like: NAME, NAMESPACE, STATE, ..., AGE) and Krake's rows for one
 * object (name, namespace, labels, created, modified, deleted, then the kind's
 * own fields).
 */
import type { GlobalMetric, Metric } from "../../../gen/krake/core/v1/metric.js";
import type { GlobalMetricsProvider, MetricsProvider, MetricsProviderSpec } from "../../../gen/krake/core/v1/metrics_provider.js";
import type { Role } from "../../../gen/krake/core/v1/role.js";
import type { RoleBinding } from "../../../gen/krake/core/v1/role_binding.js";
import type { Reason, ResourceRef } from "../../../gen/krake/core/v1/types.js";
import { reason_CodeToJSON } from "../../../gen/krake/core/v1/types.js";
import type { Application } from "../../../gen/krake/kubernetes/v1/application.js";
import type { Cluster, ClusterNode } from "../../../gen/krake/kubernetes/v1/cluster.js";
import type { Cloud, GlobalCloud } from "../../../gen/krake/infrastructure/v1/cloud.js";
import { cloudStatus_StateToJSON } from "../../../gen/krake/infrastructure/v1/cloud.js";
import type { GlobalInfrastructureProvider, InfrastructureProvider } from "../../../gen/krake/infrastructure/v1/infrastructure_provider.js";
import { applicationKind, clusterKind } from "../kinds.js";
import type { KindInfo, KrakeObject } from "../kinds.js";
import type { MagnumCluster } from "../../../gen/krake/openstack/v1/magnum_cluster.js";
import type { Project } from "../../../gen/krake/openstack/v1/project.js";
import { magnumClusterKind, projectKind } from "../kinds.js";
import { formatAge, formatList, formatMap, formatTime, formatValue, none } from "./format-values.js";

export interface Column<T> {
  header: string;
  value(object: T, now: Date): string;
  /** Leave the row out of the one-object view when it has no value. */
  optional?: boolean;
}

export interface KindView<T> {
  list: Column<T>[];
  /** Rows of the one-object view, after the common metadata rows. */
  detail: Column<T>[];
}

const col = <T>(header: string, value: (o: T, now: Date) => string): Column<T> => ({ header, value });
const optionalCol = <T>(header: string, value: (o: T, now: Date) => string): Column<T> => ({ header, value, optional: true });

function state<T extends KrakeObject>(kind: KindInfo<T>, o: T): string {
  const s = kind.state?.(o) ?? none;
  return o.metadata?.deleted ? `${s} (deleting)` : s;
}

function ref(r: ResourceRef | undefined): string {
  if (!r || !r.name) return none;
  return r.namespace ? `${r.namespace}/${r.name}` : r.name;
}

function reason(r: Reason | undefined): string {
  return r && (r.code || r.message) ? `${reason_CodeToJSON(r.code)}: ${r.message}` : none;
}

function nodes(list: ClusterNode[], condition?: string): string {
  if (!list.length) return none;
  const count = list.filter((n) => {
    const conditions = n.status?.conditions ?? [];
    if (condition) return conditions.some((c) => c.type.toLowerCase() === condition && c.status === "True");
    return !conditions.some((c) => c.type.toLowerCase() === "ready" && c.status !== "True");
  }).length;
  return `${count}/${list.length}`;
}

function optionalNumber(n: number | undefined): string {
  return n === undefined ? none : String(n);
}

const applicationView: KindView<Application> = {
  list: [
    col("STATE", (a) => state(applicationKind, a)),
    col("CLUSTER", (a) => ref(a.status?.runningOn?.name ? a.status.runningOn : a.status?.scheduledTo)),
  ],
  detail: [
    col("state", (a) => state(applicationKind, a)),
    col("reason", (a) => reason(a.status?.reason)),
    col("container_health", (a) => {
      const h = a.status?.containerHealth;
      return h ? `${h.runningPods} active / ${h.failedPods} failed / ${h.completedPods} succeeded / ${h.desiredPods} desired` : none;
    }),
    col("services", (a) => formatMap(a.status?.services, "\n")),
    col("allow migration", (a) => String(a.spec?.constraints?.migration ?? true)),
    col("label constraints", (a) => formatList(a.spec?.constraints?.cluster?.labels, "\n")),
    col("resources constraints", (a) => formatList(a.spec?.constraints?.cluster?.customResources, "\n")),
    col("metric constraints", (a) => formatList(a.spec?.constraints?.cluster?.metrics, "\n")),
    col("hooks", (a) => formatList(a.spec?.hooks)),
    col("scheduled_to", (a) => ref(a.status?.scheduledTo)),
    col("scheduled", (a) => formatTime(a.status?.scheduled)),
    col("running_on", (a) => ref(a.status?.runningOn)),
    col("backoff", (a) => optionalNumber(a.spec?.backoff)),
    col("backoff_delay", (a) => optionalNumber(a.spec?.backoffDelay)),
    col("backoff_limit", (a) => optionalNumber(a.spec?.backoffLimit)),
  ],
};

const clusterView: KindView<Cluster> = {
  list: [col("STATE", (c) => state(clusterKind, c)), col("NODES", (c) => nodes(c.status?.nodes ?? []))],
  detail: [
    col("state", (c) => state(clusterKind, c)),
    col("reason", (c) => reason(c.status?.reason)),
    col("custom_resources", (c) => formatList(c.spec?.customResources, "\n")),
    col("metrics", (c) =>
      formatList(c.spec?.metrics.map((m) => `${m.name} (weight ${m.weight}${m.namespaced ? "" : ", global"})`), "\n")),
    col("failing_metrics", (c) =>
      formatList(Object.entries(c.status?.metricsReasons ?? {}).map(([m, r]) => `${m}: ${reason(r)}`), "\n")),
    col("label constraints", (c) => formatList(c.spec?.constraints?.cloud?.labels, "\n")),
    col("metric constraints", (c) => formatList(c.spec?.constraints?.cloud?.metrics, "\n")),
    col("scheduled_to", (c) => ref(c.status?.scheduledTo)),
    col("scheduled", (c) => formatTime(c.status?.scheduled)),
    col("running_on", (c) => ref(c.status?.runningOn)),
    col("nodes", (c) => nodes(c.status?.nodes ?? [])),
    col("nodes_pid_pressure", (c) => nodes(c.status?.nodes ?? [], "pidpressure")),
    col("nodes_memory_pressure", (c) => nodes(c.status?.nodes ?? [], "memorypressure")),
    col("nodes_disk_pressure", (c) => nodes(c.status?.nodes ?? [], "diskpressure")),
    col("backoff", (c) => optionalNumber(c.spec?.backoff)),
    col("backoff_delay", (c) => optionalNumber(c.spec?.backoffDelay)),
    col("backoff_limit", (c) => optionalNumber(c.spec?.backoffLimit)),
  ],
};

type AnyMetric = Metric | GlobalMetric;

const metricView: KindView<AnyMetric> = {
  list: [
    col("PROVIDER", (m) => formatValue(m.spec?.provider?.name)),
    col("METRIC", (m) => formatValue(m.spec?.provider?.metric)),
    col("MIN", (m) => String(m.spec?.min ?? 0)),
    col("MAX", (m) => String(m.spec?.max ?? 0)),
  ],
  detail: [
    col("provider", (m) => formatValue(m.spec?.provider?.name)),
    col("metric", (m) => formatValue(m.spec?.provider?.metric)),
    col("min", (m) => String(m.spec?.min ?? 0)),
    col("max", (m) => String(m.spec?.max ?? 0)),
    col("allowed_values", (m) => formatList(m.spec?.allowedValues)),
  ],
};

function providerTarget(spec: MetricsProviderSpec | undefined): string {
  if (!spec) return none;
  if (spec.static) return formatMap(spec.static.metrics);
  return formatValue(spec.prometheus?.url ?? spec.influx?.url ?? spec.kafka?.url);
}

type AnyProvider = MetricsProvider | GlobalMetricsProvider;

const providerView: KindView<AnyProvider> = {
  list: [col("TYPE", (p) => formatValue(p.spec?.type)), col("URL/METRICS", (p) => providerTarget(p.spec))],
  detail: [
    col("type", (p) => formatValue(p.spec?.type)),
    optionalCol("url", (p) => formatValue(p.spec?.prometheus?.url ?? p.spec?.influx?.url ?? p.spec?.kafka?.url)),
    optionalCol("metrics", (p) => formatMap(p.spec?.static?.metrics, "\n")),
    optionalCol("comparison_column", (p) => formatValue(p.spec?.kafka?.comparisonColumn)),
    optionalCol("value_column", (p) => formatValue(p.spec?.kafka?.valueColumn)),
    optionalCol("table", (p) => formatValue(p.spec?.kafka?.table)),
    optionalCol("org", (p) => formatValue(p.spec?.influx?.org)),
    optionalCol("bucket", (p) => formatValue(p.spec?.influx?.bucket)),
  ],
};

const roleView: KindView<Role> = {
  list: [col("RULES", (r) => String(r.rules.length))],
  detail: [
    col("rules", (r) =>
      formatList(
        r.rules.map((x) => `api=${x.api || '""'} resources=${x.resources.join(",")} namespaces=${x.namespaces.join(",")} verbs=${x.verbs.join(",")}`),
        "\n",
      )),
  ],
};

const roleBindingView: KindView<RoleBinding> = {
  list: [col("USERS", (b) => formatList(b.users, ",")), col("GROUPS", (b) => formatList(b.groups, ",")), col("ROLES", (b) => formatList(b.roles, ","))],
  detail: [
    col("users", (b) => formatList(b.users, "\n")),
    col("groups", (b) => formatList(b.groups, "\n")),
    col("roles", (b) => formatList(b.roles, "\n")),
  ],
};

type AnyInfrastructureProvider = InfrastructureProvider | GlobalInfrastructureProvider;

const infrastructureProviderView: KindView<AnyInfrastructureProvider> = {
  list: [col("TYPE", (p) => formatValue(p.spec?.type)), col("URL", (p) => formatValue(p.spec?.im?.url))],
  detail: [
    col("type", (p) => formatValue(p.spec?.type)),
    col("url", (p) => formatValue(p.spec?.im?.url)),
    optionalCol("username", (p) => formatValue(p.spec?.im?.username)),
  ],
};

type AnyCloud = Cloud | GlobalCloud;

function cloudState(c: AnyCloud): string {
  const s = c.status ? cloudStatus_StateToJSON(c.status.state) : none;
  return c.metadata?.deleted ? `${s} (deleting)` : s;
}

function cloudProvider(c: AnyCloud): string {
  const p = c.spec?.openstack?.infrastructureProvider;
  return p?.name ? `${p.name}${p.namespaced ? "" : " (global)"}` : none;
}

const cloudView: KindView<AnyCloud> = {
  list: [
    col("TYPE", (c) => formatValue(c.spec?.type)),
    col("INFRA PROVIDER", cloudProvider),
    col("STATE", cloudState),
  ],
  detail: [
    col("type", (c) => formatValue(c.spec?.type)),
    col("state", cloudState),
    col("url", (c) => formatValue(c.spec?.openstack?.url)),
    col("project", (c) => formatValue(c.spec?.openstack?.auth?.password?.project?.name)),
    col("username", (c) => formatValue(c.spec?.openstack?.auth?.password?.user?.username)),
    col("infra_provider", cloudProvider),
    col("metrics", (c) =>
      formatList(c.spec?.openstack?.metrics.map((m) => `${m.name} (weight ${m.weight}${m.namespaced ? "" : ", global"})`), "\n")),
    col("failing_metrics", (c) =>
      formatList(Object.entries(c.status?.metricsReasons ?? {}).map(([m, r]) => `${m}: ${reason(r)}`), "\n")),
  ],
};

const projectView: KindView<Project> = {
  list: [
    col("URL", (p) => formatValue(p.spec?.url)),
    col("TEMPLATE", (p) => formatValue(p.spec?.template)),
    col("AUTH", (p) => formatValue(p.spec?.auth?.type)),
  ],
  detail: [
    col("state", (p) => state(projectKind, p)),
    col("url", (p) => formatValue(p.spec?.url)),
    col("template", (p) => formatValue(p.spec?.template)),
    col("auth type", (p) => formatValue(p.spec?.auth?.type)),
    col("metrics", (p) =>
      formatList(p.spec?.metrics.map((m) => `${m.name} (weight ${m.weight}${m.namespaced ? "" : ", global"})`), "\n")),
    col("failing_metrics", (p) =>
      formatList(Object.entries(p.status?.metricsReasons ?? {}).map(([m, r]) => `${m}: ${reason(r)}`), "\n")),
  ],
};

const magnumClusterView: KindView<MagnumCluster> = {
  list: [col("STATE", (c) => state(magnumClusterKind, c)), col("PROJECT", (c) => ref(c.status?.project))],
  detail: [
    col("state", (c) => state(magnumClusterKind, c)),
    col("reason", (c) => reason(c.status?.reason)),
    col("master_count", (c) => optionalNumber(c.spec?.masterCount)),
    col("node_count", (c) => optionalNumber(c.spec?.nodeCount)),
    col("label constraints", (c) => formatList(c.spec?.constraints?.project?.labels, "\n")),
    col("metrics", (c) =>
      formatList(c.spec?.metrics.map((m) => `${m.name} (weight ${m.weight}${m.namespaced ? "" : ", global"})`), "\n")),
    col("project", (c) => ref(c.status?.project)),
    col("template", (c) => formatValue(c.status?.template)),
    col("cluster_id", (c) => formatValue(c.status?.clusterId)),
    col("nodes", (c) => optionalNumber(c.status?.nodeCount)),
    col("api_address", (c) => formatValue(c.status?.apiAddress)),
    col("master_addresses", (c) => formatList(c.status?.masterAddresses, "\n")),
    col("node_addresses", (c) => formatList(c.status?.nodeAddresses, "\n")),
    col("cluster", (c) => ref(c.status?.cluster)),
  ],
};

const views: Record<string, KindView<never>> = {
  Application: applicationView,
  Cluster: clusterView,
  Metric: metricView,
  GlobalMetric: metricView,
  MetricsProvider: providerView,
  GlobalMetricsProvider: providerView,
  Role: roleView,
  RoleBinding: roleBindingView,
  Project: projectView,
  MagnumCluster: magnumClusterView,
  GlobalInfrastructureProvider: infrastructureProviderView,
  InfrastructureProvider: infrastructureProviderView,
  GlobalCloud: cloudView,
  Cloud: cloudView,
};

function commonList(kind: KindInfo): { head: Column<KrakeObject>[]; tail: Column<KrakeObject>[] } {
  const head = [col<KrakeObject>("NAME", (o) => o.metadata?.name ?? "")];
  if (kind.namespaced) head.push(col("NAMESPACE", (o) => o.metadata?.namespace ?? ""));
  return { head, tail: [col("AGE", (o, now) => formatAge(o.metadata?.created, now))] };
}

const commonDetail: Column<KrakeObject>[] = [
  col("name", (o) => o.metadata?.name ?? ""),
  col("namespace", (o) => formatValue(o.metadata?.namespace)),
  col("labels", (o) => formatMap(o.metadata?.labels, "\n")),
  col("created", (o) => formatTime(o.metadata?.created)),
  col("modified", (o) => formatTime(o.metadata?.modified)),
  col("deleted", (o) => formatTime(o.metadata?.deleted)),
];

/** Columns of the list table and rows of the one-object table for a kind. */
export function viewFor(kind: KindInfo): KindView<KrakeObject> {
  const own = (views[kind.kind] ?? { list: [], detail: [] }) as unknown as KindView<KrakeObject>;
  const { head, tail } = commonList(kind);
  return { list: [...head, ...own.list, ...tail], detail: [...commonDetail, ...own.detail] };
}
