/**
 * `krakectl openstack|os project|cluster …`: Krake's OpenStack commands.
 * `project` manages Projects, `cluster` MagnumClusters; both have list,
 * create (alias register), get, update and delete, with Krake's flags.
 * Their table columns are at the end.
 */
import { Command } from "commander";
import type { MetricRef } from "../../../gen/krake/core/v1/types.js";
import { MagnumClusterSpec } from "../../../gen/krake/openstack/v1/magnum_cluster.js";
import type { MagnumCluster } from "../../../gen/krake/openstack/v1/magnum_cluster.js";
import type { AuthMethod, Project } from "../../../gen/krake/openstack/v1/project.js";
import { action } from "../context.js";
import { CliError } from "../errors.js";
import { magnumClusterKind, projectKind } from "../kinds.js";
import {
  formatList, formatMetricRefs, formatMetricsReasons, formatNumber, formatReason, formatRef, formatState, formatValue,
} from "../output/format-values.js";
import { col } from "../output/views.js";
import type { KindView } from "../output/views.js";
import type { CommandGroup } from "./command-group.js";
import { addNamespace, addOutput, collect, collectKeyValue, collectNamedNumber, integer } from "./options.js";
import type { NamedNumber, NamespaceOptions, OutputOptions } from "./options.js";
import { createAndPrint, deleteCommand, getCommand, listCommand, newObject } from "./resource-commands.js";

interface MetricOptions {
  metric?: NamedNumber[];
  globalMetric?: NamedNumber[];
}

function addMetricFlags(cmd: Command): Command {
  return cmd
    .option("-m, --metric <name weight>", "namespaced metric and its weight, e.g. -m heat-demand 0.5 (repeatable)", collectNamedNumber)
    .option("--global-metric <name weight>", "global metric and its weight (repeatable)", collectNamedNumber);
}

/** The metrics given by flags, or undefined when none is. */
function metricRefs(opts: MetricOptions): MetricRef[] | undefined {
  if (!opts.metric && !opts.globalMetric) return undefined;
  return [
    ...(opts.metric ?? []).map((m) => ({ name: m.name, weight: m.value, namespaced: true })),
    ...(opts.globalMetric ?? []).map((m) => ({ name: m.name, weight: m.value, namespaced: false })),
  ];
}

// ---- project ---------------------------------------------------------------

interface ProjectOptions extends NamespaceOptions, OutputOptions, MetricOptions {
  authUrl?: string;
  url?: string;
  template?: string;
  userId?: string;
  password?: string;
  projectId?: string;
  applicationCredential?: string;
  appId?: string;
  appSecret?: string;
  label?: Record<string, string>;
}

function projectCommand(): Command {
  return new Command("project")
    .description("manage OpenStack projects")
    .addCommand(listCommand(projectKind))
    .addCommand(createProjectCommand())
    .addCommand(getCommand(projectKind))
    .addCommand(updateProjectCommand())
    .addCommand(deleteCommand(projectKind, { wait: false }));
}

function addProjectFlags(cmd: Command): Command {
  cmd
    .option("--auth-url <url>", "URL of the OpenStack identity service, Keystone (create: default $OS_AUTH_URL)")
    .option("--url <url>", "the same as --auth-url")
    .option("--user-id <id>", "UUID of the OpenStack user (password auth; create: default $OS_USER_ID)")
    .option("--password <password>", "password of the OpenStack user (password auth; create: default $OS_PASSWORD)")
    .option("--project-id <id>", "UUID of the OpenStack project (password auth; create: default $OS_PROJECT_ID)")
    .option("--application-credential <id=secret>", "application credential and its secret, as ID=SECRET (application_credential auth)")
    .option("--app-id <id>", "UUID of the application credential (with --app-secret)")
    .option("--app-secret <secret>", "secret of the application credential (with --app-id)")
    .option("-l, --label <key=value>", "label of the project (repeatable)", collectKeyValue);
  addMetricFlags(cmd);
  addNamespace(cmd);
  return addOutput(cmd);
}

/** `--application-credential ID=SECRET` or `--app-id ID --app-secret SECRET`: the given parts. */
function applicationCredential(opts: ProjectOptions): { id?: string; secret?: string } | undefined {
  if (opts.applicationCredential !== undefined) {
    if (opts.appId !== undefined || opts.appSecret !== undefined) {
      throw CliError.usage("give --application-credential ID=SECRET or --app-id/--app-secret, not both");
    }
    const i = opts.applicationCredential.indexOf("=");
    if (i <= 0 || i === opts.applicationCredential.length - 1) throw CliError.usage("--application-credential expects ID SECRET (or ID=SECRET)");
    return { id: opts.applicationCredential.slice(0, i), secret: opts.applicationCredential.slice(i + 1) };
  }
  if (opts.appId === undefined && opts.appSecret === undefined) return undefined;
  return { id: opts.appId, secret: opts.appSecret };
}

/**
 * The auth the flags ask for: an application credential when one is given,
 * else a password when any password flag is (or, on create, always, with
 * Krake's OS_* environment variables for what is not given). On update the
 * flags change the current auth of the same type; undefined means "keep it".
 */
function authFromFlags(opts: ProjectOptions, current: AuthMethod | undefined, creating: boolean): AuthMethod | undefined {
  const credential = applicationCredential(opts);
  const passwordFlags = [opts.userId, opts.password, opts.projectId].some((v) => v !== undefined);
  if (credential && passwordFlags) throw CliError.usage("give either an application credential or --user-id/--password/--project-id, not both");
  if (credential) {
    const old = current?.type === "application_credential" ? current.applicationCredential : undefined;
    const id = credential.id ?? old?.id;
    const secret = credential.secret ?? old?.secret;
    if (!id || !secret) throw CliError.usage("an application credential needs its id and secret: --app-id ID --app-secret SECRET");
    return { type: "application_credential", applicationCredential: { id, secret } };
  }
  if (!creating && !passwordFlags) return undefined;
  const old = current?.type === "password" ? current.password : undefined;
  const env = creating ? process.env : {};
  const values = {
    "--user-id": opts.userId ?? old?.user?.id ?? env["OS_USER_ID"],
    "--password": opts.password ?? old?.user?.password ?? env["OS_PASSWORD"],
    "--project-id": opts.projectId ?? old?.project?.id ?? env["OS_PROJECT_ID"],
  };
  for (const [flag, value] of Object.entries(values)) {
    if (!value) {
      const variable = `OS_${flag.slice(2).replace("-", "_").toUpperCase()}`;
      throw CliError.usage(`password auth needs ${flag}${creating ? ` (or $${variable})` : ""}, or give an application credential`);
    }
  }
  return {
    type: "password",
    password: {
      user: { id: values["--user-id"]!, password: values["--password"]!, comment: old?.user?.comment ?? "" },
      project: { id: values["--project-id"]!, comment: old?.project?.comment ?? "" },
    },
  };
}

function createProjectCommand(): Command {
  const cmd = new Command("create")
    .alias("register")
    .description("create (register) an OpenStack project")
    .argument("<name>", "name of the project")
    .requiredOption("--template <uuid>", "UUID of the Magnum cluster template");
  return addProjectFlags(cmd).action(
    action<ProjectOptions>(async (ctx, opts, [name]) => {
      const url = opts.authUrl ?? opts.url ?? process.env["OS_AUTH_URL"];
      if (!url) throw CliError.usage("the identity service URL is required: --auth-url URL (or $OS_AUTH_URL)");
      const spec = { url, auth: authFromFlags(opts, undefined, true), template: opts.template, metrics: metricRefs(opts) ?? [] };
      await createAndPrint(ctx, projectKind, newObject(projectKind, name, opts.label ?? {}, { spec }), opts);
    }),
  );
}

function updateProjectCommand(): Command {
  const cmd = new Command("update")
    .description("update an OpenStack project")
    .argument("<name>", "name of the project")
    .option("--template <uuid>", "UUID of the Magnum cluster template");
  return addProjectFlags(cmd).action(
    action<ProjectOptions>(async (ctx, opts, [name]) => {
      const given: unknown[] = [opts.authUrl, opts.url, opts.template, opts.userId, opts.password, opts.projectId];
      given.push(opts.applicationCredential, opts.appId, opts.appSecret, opts.label, opts.metric, opts.globalMetric);
      if (given.every((v) => v === undefined)) throw CliError.usage("nothing to update: give the flags to change");
      const client = ctx.transport.resource(projectKind);
      const namespace = ctx.namespace(opts.namespace);
      const project = await client.get(namespace, name);
      const spec = (project.spec ??= { url: "", auth: undefined, template: "", metrics: [] });
      const auth = authFromFlags(opts, spec.auth, false);
      if (auth) spec.auth = auth;
      const url = opts.authUrl ?? opts.url;
      if (url !== undefined) spec.url = url;
      if (opts.template !== undefined) spec.template = opts.template;
      const metrics = metricRefs(opts);
      if (metrics) spec.metrics = metrics;
      if (opts.label) project.metadata!.labels = opts.label;
      ctx.printer(opts.output).object(projectKind, await client.update(namespace, name, project));
    }),
  );
}

// ---- cluster (MagnumCluster) ------------------------------------------------

interface ClusterOptions extends NamespaceOptions, OutputOptions, MetricOptions {
  masterCount?: number;
  nodeCount?: number;
  label?: Record<string, string>;
  projectLabelConstraint?: string[];
}

function magnumClusterCommand(): Command {
  return new Command("cluster")
    .description("manage Magnum clusters")
    .addCommand(listCommand(magnumClusterKind))
    .addCommand(createClusterCommand())
    .addCommand(getCommand(magnumClusterKind))
    .addCommand(updateClusterCommand())
    .addCommand(deleteCommand(magnumClusterKind, { wait: true }));
}

function addClusterFlags(cmd: Command): Command {
  cmd
    .option("--node-count <n>", "number of worker nodes", integer)
    .option("-L, --project-label-constraint <constraint>", "label constraint for the OpenStack project, e.g. 'location is DE' (repeatable)", collect);
  addMetricFlags(cmd);
  addNamespace(cmd);
  return addOutput(cmd);
}

function createClusterCommand(): Command {
  const cmd = new Command("create")
    .alias("register")
    .description("create (register) a Magnum cluster")
    .argument("<name>", "name of the cluster")
    .option("--master-count <n>", "number of master nodes (cannot be changed later)", integer)
    .option("-l, --label <key=value>", "label of the cluster (repeatable)", collectKeyValue);
  return addClusterFlags(cmd).action(
    action<ClusterOptions>(async (ctx, opts, [name]) => {
      const spec = MagnumClusterSpec.fromPartial({ metrics: metricRefs(opts) ?? [] });
      if (opts.masterCount !== undefined) spec.masterCount = opts.masterCount;
      if (opts.nodeCount !== undefined) spec.nodeCount = opts.nodeCount;
      if (opts.projectLabelConstraint) spec.constraints = { project: { labels: opts.projectLabelConstraint } };
      await createAndPrint(ctx, magnumClusterKind, newObject(magnumClusterKind, name, opts.label ?? {}, { spec }), opts);
    }),
  );
}

function updateClusterCommand(): Command {
  const cmd = new Command("update").description("update a Magnum cluster").argument("<name>", "name of the cluster");
  return addClusterFlags(cmd).action(
    action<ClusterOptions>(async (ctx, opts, [name]) => {
      const metrics = metricRefs(opts);
      if (opts.nodeCount === undefined && metrics === undefined && opts.projectLabelConstraint === undefined) {
        throw CliError.usage("nothing to update: give --node-count, --metric, --global-metric or --project-label-constraint");
      }
      const client = ctx.transport.resource(magnumClusterKind);
      const namespace = ctx.namespace(opts.namespace);
      const cluster = await client.get(namespace, name);
      const spec = (cluster.spec ??= MagnumClusterSpec.fromPartial({}));
      if (opts.nodeCount !== undefined) spec.nodeCount = opts.nodeCount;
      if (metrics) spec.metrics = metrics;
      if (opts.projectLabelConstraint) {
        spec.constraints ??= { project: undefined };
        spec.constraints.project = { labels: opts.projectLabelConstraint };
      }
      ctx.printer(opts.output).object(magnumClusterKind, await client.update(namespace, name, cluster));
    }),
  );
}

// ---- table columns -----------------------------------------------------------

const projectView: KindView<Project> = {
  list: [
    col("URL", (p) => formatValue(p.spec?.url)),
    col("TEMPLATE", (p) => formatValue(p.spec?.template)),
    col("AUTH", (p) => formatValue(p.spec?.auth?.type)),
  ],
  detail: [
    col("state", (p) => formatState(projectKind, p)),
    col("url", (p) => formatValue(p.spec?.url)),
    col("template", (p) => formatValue(p.spec?.template)),
    col("auth type", (p) => formatValue(p.spec?.auth?.type)),
    col("metrics", (p) => formatMetricRefs(p.spec?.metrics)),
    col("failing_metrics", (p) => formatMetricsReasons(p.status?.metricsReasons)),
  ],
};

const magnumClusterView: KindView<MagnumCluster> = {
  list: [col("STATE", (c) => formatState(magnumClusterKind, c)), col("PROJECT", (c) => formatRef(c.status?.project))],
  detail: [
    col("state", (c) => formatState(magnumClusterKind, c)),
    col("reason", (c) => formatReason(c.status?.reason)),
    col("master_count", (c) => formatNumber(c.spec?.masterCount)),
    col("node_count", (c) => formatNumber(c.spec?.nodeCount)),
    col("label constraints", (c) => formatList(c.spec?.constraints?.project?.labels, "\n")),
    col("metrics", (c) => formatMetricRefs(c.spec?.metrics)),
    col("project", (c) => formatRef(c.status?.project)),
    col("template", (c) => formatValue(c.status?.template)),
    col("cluster_id", (c) => formatValue(c.status?.clusterId)),
    col("nodes", (c) => formatNumber(c.status?.nodeCount)),
    col("api_address", (c) => formatValue(c.status?.apiAddress)),
    col("master_addresses", (c) => formatList(c.status?.masterAddresses, "\n")),
    col("node_addresses", (c) => formatList(c.status?.nodeAddresses, "\n")),
    col("cluster", (c) => formatRef(c.status?.cluster)),
  ],
};

export const group = {
  api: projectKind.api,
  commands: () => [projectCommand(), magnumClusterCommand()],
  views: { Project: projectView, MagnumCluster: magnumClusterView },
} satisfies CommandGroup;
