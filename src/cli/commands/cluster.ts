/** `krakectl kube cluster …`: Krake's cluster commands and flags, and the Cluster's table columns. */
import { Command } from "commander";
import { Cluster, ClusterSpec } from "../../../gen/krake/kubernetes/v1/cluster.js";
import type { ClusterNode } from "../../../gen/krake/kubernetes/v1/cluster.js";
import type { MetricRef } from "../../../gen/krake/core/v1/types.js";
import { action } from "../context.js";
import type { CliContext } from "../context.js";
import { readDocuments } from "../documents.js";
import { CliError } from "../errors.js";
import { clusterKind } from "../kinds.js";
import { readKubeconfig } from "../kubeconfig.js";
import {
  formatList, formatMetricRefs, formatMetricsReasons, formatNumber, formatReason, formatRef, formatState, formatTime, none,
} from "../output/format-values.js";
import { col } from "../output/views.js";
import type { KindView } from "../output/views.js";
import { waitForState, waitTarget } from "../wait.js";
import type { WaitOptions } from "../wait.js";
import type { CommandGroup } from "./command-group.js";
import { addNamespace, addOutput, addWait, collect, collectKeyValue, collectNamedNumber, integer } from "./options.js";
import type { NamedNumber, NamespaceOptions, OutputOptions } from "./options.js";
import { createAndPrint, deleteCommand, getCommand, listCommand, newObject } from "./resource-commands.js";

interface ClusterOptions extends NamespaceOptions, OutputOptions, WaitOptions {
  label?: Record<string, string>;
  customResource?: string[];
  metric?: NamedNumber[];
  globalMetric?: NamedNumber[];
  backoff?: number;
  backoffDelay?: number;
  backoffLimit?: number;
}

interface RegisterOptions extends ClusterOptions {
  kubeconfig: string;
  context?: string;
  name?: string;
}

interface CreateOptions extends ClusterOptions {
  file: string;
  inheritMetrics?: boolean;
  inheritLabels?: boolean;
  cloudLabelConstraint?: string[];
  cloudMetricConstraint?: string[];
}

interface UpdateOptions extends ClusterOptions {
  kubeconfig?: string;
  context?: string;
  file?: string;
  cloudLabelConstraint?: string[];
  cloudMetricConstraint?: string[];
  removeExistingLabels?: boolean;
  removeExistingMetrics?: boolean;
  removeExistingCloudLabelConstraints?: boolean;
  removeExistingCloudMetricConstraints?: boolean;
}

function clusterCommand(): Command {
  return new Command("cluster")
    .description("manage Kubernetes clusters")
    .addCommand(registerCommand())
    .addCommand(createCommand())
    .addCommand(listCommand(clusterKind))
    .addCommand(getCommand(clusterKind))
    .addCommand(updateCommand())
    .addCommand(deleteCommand(clusterKind, { wait: true }));
}

function addClusterFlags(cmd: Command): Command {
  return cmd
    .option("-l, --label <key=value>", "label of the cluster (repeatable)", collectKeyValue)
    .option("-R, --custom-resource <crd>", "custom resource the cluster serves, <plural>.<group> (repeatable)", collect)
    .option("-m, --metric <name weight>", "namespaced metric and its weight, e.g. -m heat-demand 0.5 (repeatable)", collectNamedNumber)
    .option("--global-metric <name weight>", "global metric and its weight (repeatable)", collectNamedNumber)
    .option("--backoff <n>", "multiplier of backoff-delay between attempts (default 1)", integer)
    .option("--backoff-delay <seconds>", "delay between attempts (default 1)", integer)
    .option("--backoff-limit <n>", "maximal number of attempts (default -1: no limit)", integer);
}

function addCloudConstraints(cmd: Command): Command {
  return cmd
    .option("-L, --cloud-label-constraint <constraint>", "label constraint for the cloud (repeatable)", collect)
    .option("-M, --cloud-metric-constraint <constraint>", "metric constraint for the cloud (repeatable)", collect);
}

function metricRefs(opts: ClusterOptions): MetricRef[] {
  return [
    ...(opts.metric ?? []).map((m) => ({ name: m.name, weight: m.value, namespaced: true })),
    ...(opts.globalMetric ?? []).map((m) => ({ name: m.name, weight: m.value, namespaced: false })),
  ];
}

function applyBackoff(spec: ClusterSpec, opts: ClusterOptions): void {
  if (opts.backoff !== undefined) spec.backoff = opts.backoff;
  if (opts.backoffDelay !== undefined) spec.backoffDelay = opts.backoffDelay;
  if (opts.backoffLimit !== undefined) spec.backoffLimit = opts.backoffLimit;
}

async function readTosca(file: string): Promise<Record<string, unknown>> {
  const docs = await readDocuments([file]);
  const tosca = docs[0]?.value;
  if (docs.length !== 1 || typeof tosca !== "object" || tosca === null || Array.isArray(tosca)) {
    throw CliError.invalid(`${file}: expected one TOSCA template`);
  }
  return tosca as Record<string, unknown>;
}

/** Creates, optionally waits, prints: the end of register and create. */
async function createCluster(ctx: CliContext, cluster: Cluster, opts: ClusterOptions): Promise<void> {
  applyBackoff(cluster.spec!, opts);
  await createAndPrint(ctx, clusterKind, cluster, opts, waitTarget(clusterKind, opts, "ONLINE", false));
}

function registerCommand(): Command {
  const cmd = new Command("register")
    .description("register an existing Kubernetes cluster from its kubeconfig")
    .requiredOption("-k, --kubeconfig <file>", "kubeconfig of the cluster")
    .option("-c, --context <context>", "context of the kubeconfig to use (default: its current-context)")
    .option("--name <name>", "name of the Cluster (default: the context's cluster name)");
  addClusterFlags(cmd);
  addWait(cmd, "online", "online, ...");
  addNamespace(cmd);
  addOutput(cmd).action(
    action<RegisterOptions>(async (ctx, opts) => {
      const { kubeconfig, clusterName } = await readKubeconfig(opts.kubeconfig, opts.context);
      const spec = { kubeconfig, customResources: opts.customResource ?? [], metrics: metricRefs(opts), constraints: { cloud: { labels: [], metrics: [] } } };
      await createCluster(ctx, newObject(clusterKind, opts.name ?? clusterName, opts.label ?? {}, { spec }), opts);
    }),
  );
  return cmd;
}

function createCommand(): Command {
  const cmd = new Command("create")
    .description("create a Kubernetes cluster from a TOSCA template (through an infrastructure provider)")
    .argument("<name>", "cluster name")
    .requiredOption("-f, --file <file>", "TOSCA template of the cluster")
    .option("--inherit-metrics", "inherit the metrics of the cloud the cluster is scheduled to")
    .option("--inherit-labels", "inherit the labels of the cloud the cluster is scheduled to");
  addClusterFlags(cmd);
  addCloudConstraints(cmd);
  addWait(cmd, "online", "creating, online, ...");
  addNamespace(cmd);
  addOutput(cmd).action(
    action<CreateOptions>(async (ctx, opts, [name]) => {
      const cluster = Cluster.fromPartial({
        api: clusterKind.api,
        kind: clusterKind.kind,
        metadata: { name, labels: opts.label ?? {}, inheritLabels: opts.inheritLabels ?? false },
        spec: {
          tosca: await readTosca(opts.file),
          customResources: opts.customResource ?? [],
          metrics: metricRefs(opts),
          inheritMetrics: opts.inheritMetrics ?? false,
          constraints: { cloud: { labels: opts.cloudLabelConstraint ?? [], metrics: opts.cloudMetricConstraint ?? [] } },
        },
      });
      await createCluster(ctx, cluster, opts);
    }),
  );
  return cmd;
}

function updateCommand(): Command {
  const cmd = new Command("update")
    .description("update a Kubernetes cluster; labels, metrics and cloud constraints are added to the current ones unless --remove-existing-… is given")
    .argument("<name>", "cluster name")
    .option("-k, --kubeconfig <file>", "new kubeconfig")
    .option("-c, --context <context>", "context of the new kubeconfig")
    .option("-f, --file <file>", "new TOSCA template")
    .option("--remove-existing-labels", "remove the current labels first")
    .option("--remove-existing-metrics", "remove the current metrics first")
    .option("--remove-existing-cloud-label-constraints", "remove the current cloud label constraints first")
    .option("--remove-existing-cloud-metric-constraints", "remove the current cloud metric constraints first");
  addClusterFlags(cmd);
  addCloudConstraints(cmd);
  addNamespace(cmd);
  addOutput(cmd).action(
    action<UpdateOptions>(async (ctx, opts, [name]) => {
      const client = ctx.transport.resource(clusterKind);
      const namespace = ctx.namespace(opts.namespace);
      const cluster = await client.get(namespace, name);
      const spec = (cluster.spec ??= ClusterSpec.fromPartial({}));
      const metadata = cluster.metadata!;
      if (opts.file) spec.tosca = await readTosca(opts.file);
      if (opts.kubeconfig) spec.kubeconfig = (await readKubeconfig(opts.kubeconfig, opts.context)).kubeconfig;
      if (opts.removeExistingLabels) metadata.labels = {};
      if (opts.label) metadata.labels = { ...metadata.labels, ...opts.label };
      if (opts.removeExistingMetrics) spec.metrics = [];
      for (const m of metricRefs(opts)) {
        if (!spec.metrics.some((x) => x.name === m.name && x.weight === m.weight && x.namespaced === m.namespaced)) spec.metrics.push(m);
      }
      if (opts.customResource) spec.customResources = opts.customResource;
      const constraints = (spec.constraints ??= { cloud: undefined });
      const cloud = (constraints.cloud ??= { labels: [], metrics: [] });
      if (opts.removeExistingCloudLabelConstraints) cloud.labels = [];
      if (opts.cloudLabelConstraint) cloud.labels = [...cloud.labels, ...opts.cloudLabelConstraint];
      if (opts.removeExistingCloudMetricConstraints) cloud.metrics = [];
      if (opts.cloudMetricConstraint) cloud.metrics = [...cloud.metrics, ...opts.cloudMetricConstraint];
      applyBackoff(spec, opts);
      ctx.printer(opts.output).object(clusterKind, await client.update(namespace, name, cluster));
    }),
  );
  return cmd;
}

/** Ready nodes of all, or those with `condition` (lower-case) true, as `n/total`. */
function nodes(list: ClusterNode[], condition?: string): string {
  if (!list.length) return none;
  const count = list.filter((n) => {
    const conditions = n.status?.conditions ?? [];
    if (condition) return conditions.some((c) => c.type.toLowerCase() === condition && c.status === "True");
    return !conditions.some((c) => c.type.toLowerCase() === "ready" && c.status !== "True");
  }).length;
  return `${count}/${list.length}`;
}

const clusterView: KindView<Cluster> = {
  list: [col("STATE", (c) => formatState(clusterKind, c)), col("NODES", (c) => nodes(c.status?.nodes ?? []))],
  detail: [
    col("state", (c) => formatState(clusterKind, c)),
    col("reason", (c) => formatReason(c.status?.reason)),
    col("custom_resources", (c) => formatList(c.spec?.customResources, "\n")),
    col("metrics", (c) => formatMetricRefs(c.spec?.metrics)),
    col("failing_metrics", (c) => formatMetricsReasons(c.status?.metricsReasons)),
    col("label constraints", (c) => formatList(c.spec?.constraints?.cloud?.labels, "\n")),
    col("metric constraints", (c) => formatList(c.spec?.constraints?.cloud?.metrics, "\n")),
    col("scheduled_to", (c) => formatRef(c.status?.scheduledTo)),
    col("scheduled", (c) => formatTime(c.status?.scheduled)),
    col("running_on", (c) => formatRef(c.status?.runningOn)),
    col("nodes", (c) => nodes(c.status?.nodes ?? [])),
    col("nodes_pid_pressure", (c) => nodes(c.status?.nodes ?? [], "pidpressure")),
    col("nodes_memory_pressure", (c) => nodes(c.status?.nodes ?? [], "memorypressure")),
    col("nodes_disk_pressure", (c) => nodes(c.status?.nodes ?? [], "diskpressure")),
    col("backoff", (c) => formatNumber(c.spec?.backoff)),
    col("backoff_delay", (c) => formatNumber(c.spec?.backoffDelay)),
    col("backoff_limit", (c) => formatNumber(c.spec?.backoffLimit)),
  ],
};

export const group = {
  api: clusterKind.api,
  commands: () => [clusterCommand()],
  views: { Cluster: clusterView },
} satisfies CommandGroup;
