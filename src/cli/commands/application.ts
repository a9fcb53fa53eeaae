/** `krakectl kube app …`: Krake's application commands and flags, and the Application's table columns. */
import { Command, Option } from "commander";
import { ApplicationSpec, SchedulingDecision } from "../../../gen/krake/kubernetes/v1/application.js";
import type { Application } from "../../../gen/krake/kubernetes/v1/application.js";
import { action } from "../context.js";
import { readDocuments } from "../documents.js";
import { CliError } from "../errors.js";
import { applicationKind } from "../kinds.js";
import { formatList, formatMap, formatNumber, formatReason, formatRef, formatState, formatTime, none } from "../output/format-values.js";
import type { MessageType } from "../output/printer.js";
import { renderDecision } from "../output/scheduling.js";
import { col } from "../output/views.js";
import type { KindView } from "../output/views.js";
import { waitForState, waitTarget } from "../wait.js";
import type { WaitOptions } from "../wait.js";
import type { CommandGroup } from "./command-group.js";
import { addNamespace, addOutput, addWait, collect, collectKeyValue, integer } from "./options.js";
import type { NamespaceOptions, OutputOptions } from "./options.js";
import { createAndPrint, deleteCommand, getCommand, listCommand, newObject } from "./resource-commands.js";

type Manifest = { [key: string]: unknown };

interface DefinitionOptions {
  file?: string;
  url?: string;
  observerSchemaFile?: string;
}

interface AppOptions extends DefinitionOptions, NamespaceOptions, OutputOptions, WaitOptions {
  label?: Record<string, string>;
  enableMigration?: boolean;
  disableMigration?: boolean;
  clusterLabelConstraint?: string[];
  clusterResourceConstraint?: string[];
  clusterMetricConstraint?: string[];
  hookComplete?: boolean;
  /** "" for a bare --hook-shutdown, else the timeout in seconds. */
  hookShutdown?: string;
  backoff?: number;
  backoffDelay?: number;
  backoffLimit?: number;
  autoClusterCreate?: boolean;
}

interface CreateOptions extends AppOptions {
  dryRun?: boolean;
}

interface UpdateOptions extends AppOptions {
  removeExistingLabels?: boolean;
  removeExistingLabelConstraints?: boolean;
  removeExistingResourceConstraints?: boolean;
  removeExistingMetricConstraints?: boolean;
}

const shutdownTimeoutDefault = 60;

function applicationCommand(): Command {
  return new Command("application")
    .alias("app")
    .description("manage Kubernetes applications")
    .addCommand(listCommand(applicationKind))
    .addCommand(createCommand())
    .addCommand(getCommand(applicationKind))
    .addCommand(updateCommand())
    .addCommand(deleteCommand(applicationKind, { wait: true }))
    .addCommand(retryCommand())
    .addCommand(explainCommand());
}

function addDefinition(cmd: Command): Command {
  return cmd
    .option("-f, --file <file>", "Kubernetes manifests (YAML or JSON, several documents) or a TOSCA template; - reads stdin")
    .option("-u, --url <url>", "URL of a TOSCA template (.yaml/.yml) or a CSAR archive (.csar/.zip)")
    .option("-O, --observer-schema-file <file>", "observer schema (default: every field of the manifests is observed)");
}

function addConstraints(cmd: Command): Command {
  return cmd
    .addOption(new Option("--enable-migration", "allow the scheduler to move the application (default)").conflicts("disableMigration"))
    .option("--disable-migration", "keep the application on the cluster it was scheduled to")
    .option("-L, --cluster-label-constraint <constraint>", 'cluster label constraint, e.g. "location is DE" (repeatable)', collect)
    .option("-R, --cluster-resource-constraint <crd>", "custom resource the cluster must serve, <plural>.<group> (repeatable)", collect)
    .option("-M, --cluster-metric-constraint <constraint>", 'cluster metric constraint, e.g. "load < 5" (repeatable)', collect)
    .option("-l, --label <key=value>", "label of the application (repeatable)", collectKeyValue)
    .option("--hook-complete", "enable the complete hook")
    .option("--hook-shutdown [timeout]", `enable the shutdown hook; grace period in seconds (default ${shutdownTimeoutDefault})`)
    .option("--backoff <n>", "multiplier of backoff-delay between attempts (default 1)", integer)
    .option("--backoff-delay <seconds>", "delay between attempts (default 1)", integer)
    .option("--backoff-limit <n>", "maximal number of attempts (default -1: no limit)", integer);
}

function createCommand(): Command {
  const cmd = new Command("create").description("create a Kubernetes application").argument("<name>", "application name");
  addDefinition(cmd);
  addConstraints(cmd).option("--auto-cluster-create", "let Krake create a cluster when none fits");
  addWait(cmd, "running", "pending, creating, running, ...");
  cmd.option("--dry-run", "create nothing: show where the scheduler would place the application now, and why");
  addNamespace(cmd);
  addOutput(cmd).action(
    action<CreateOptions>(async (ctx, opts, [name]) => {
      if (opts.dryRun && opts.wait !== undefined) throw CliError.usage("--dry-run creates nothing to --wait for");
      const target = waitTarget(applicationKind, opts, "RUNNING", false);
      if (!opts.file && !opts.url) throw CliError.usage("give the application's manifests with -f FILE or a TOSCA/CSAR URL with -u URL");
      const spec: Partial<ApplicationSpec> = { manifest: [], tosca: {}, observerSchema: [], hooks: [] };
      await applyDefinition(spec, opts);
      spec.constraints = {
        migration: !opts.disableMigration,
        cluster: {
          labels: opts.clusterLabelConstraint ?? [],
          customResources: opts.clusterResourceConstraint ?? [],
          metrics: opts.clusterMetricConstraint ?? [],
        },
      };
      applyHooksAndBackoff(spec, opts);
      spec.autoClusterCreate = opts.autoClusterCreate ?? false;
      const app = newObject(applicationKind, name, opts.label ?? {}, { spec });
      if (opts.dryRun) {
        const decision = await ctx.transport.resource(applicationKind).action<SchedulingDecision>("schedule", ctx.namespace(opts.namespace), app);
        ctx.printer(opts.output).message(decisionType, decision, explanation(name));
        return;
      }
      await createAndPrint(ctx, applicationKind, app, opts, target);
    }),
  );
  return cmd;
}

function updateCommand(): Command {
  const cmd = new Command("update")
    .description("update a Kubernetes application (flags change only what they name)")
    .argument("<name>", "application name");
  addDefinition(cmd);
  addConstraints(cmd)
    .option("--remove-existing-labels", "remove the current labels first")
    .option("--remove-existing-label-constraints", "remove the current cluster label constraints")
    .option("--remove-existing-resource-constraints", "remove the current custom resource constraints")
    .option("--remove-existing-metric-constraints", "remove the current cluster metric constraints");
  addWait(cmd, "running", "reconciling, running, ...");
  addNamespace(cmd);
  addOutput(cmd).action(
    action<UpdateOptions>(async (ctx, opts, [name]) => {
      const target = waitTarget(applicationKind, opts, "RUNNING", false);
      const client = ctx.transport.resource(applicationKind);
      const namespace = ctx.namespace(opts.namespace);
      const app = await client.get(namespace, name);
      const spec = (app.spec ??= ApplicationSpec.fromPartial({}));
      await applyDefinition(spec, opts);
      const metadata = app.metadata!;
      if (opts.removeExistingLabels) metadata.labels = {};
      if (opts.label) metadata.labels = { ...metadata.labels, ...opts.label };
      const constraints = (spec.constraints ??= { cluster: undefined, migration: true });
      const cluster = (constraints.cluster ??= { labels: [], customResources: [], metrics: [] });
      // Krake's update: label and resource constraints are replaced, metric constraints appended.
      if (opts.removeExistingLabelConstraints) cluster.labels = [];
      if (opts.clusterLabelConstraint) cluster.labels = opts.clusterLabelConstraint;
      if (opts.removeExistingResourceConstraints) cluster.customResources = [];
      if (opts.clusterResourceConstraint) cluster.customResources = opts.clusterResourceConstraint;
      if (opts.removeExistingMetricConstraints) cluster.metrics = [];
      if (opts.clusterMetricConstraint) cluster.metrics = [...cluster.metrics, ...opts.clusterMetricConstraint];
      if (opts.enableMigration || opts.disableMigration) constraints.migration = !!opts.enableMigration;
      applyHooksAndBackoff(spec, opts);
      let updated = await client.update(namespace, name, app);
      if (target) updated = (await waitForState(ctx, applicationKind, updated, target, opts.timeout)) ?? updated;
      ctx.printer(opts.output).object(applicationKind, updated);
    }),
  );
  return cmd;
}

function retryCommand(): Command {
  const cmd = new Command("retry")
    .description("retry the migration or deletion of a DEGRADED application")
    .argument("<name>", "application name");
  addNamespace(cmd);
  addOutput(cmd).action(
    action<NamespaceOptions & OutputOptions>(async (ctx, opts, [name]) => {
      const app = await ctx.transport.retryApplication(ctx.namespace(opts.namespace), name);
      ctx.printer(opts.output).object(applicationKind, app);
    }),
  );
  return cmd;
}

/** `explain NAME`: the scheduler's last decision about the application (status.scheduling). */
function explainCommand(): Command {
  const cmd = new Command("explain")
    .description("show the scheduler's last decision about an application: the chosen cluster, its score, the other candidates")
    .argument("<name>", "application name");
  addNamespace(cmd);
  addOutput(cmd).action(
    action<NamespaceOptions & OutputOptions>(async (ctx, opts, [name]) => {
      const app = await ctx.transport.resource(applicationKind).get(ctx.namespace(opts.namespace), name);
      ctx.printer(opts.output).message(decisionType, app.status?.scheduling, explanation(name));
    }),
  );
  return cmd;
}

/** status.scheduling and the dry run's answer: the message of the `schedule` action, which the kind table declares. */
const decisionType: MessageType<SchedulingDecision> = {
  typeName: applicationKind.actions.find((a) => a.name === "schedule")!.responseType,
  codec: SchedulingDecision,
};

function explanation(name: string): (decision: SchedulingDecision | undefined) => string {
  return (decision) => (decision ? renderDecision(decision) : `Application ${name} is not scheduled yet.\n`);
}

/** -f (manifests or TOSCA), -u (TOSCA or CSAR URL) and -O, as Krake reads them. */
async function applyDefinition(spec: Partial<ApplicationSpec>, opts: DefinitionOptions): Promise<void> {
  if (opts.file && opts.url) throw CliError.usage("give either -f FILE or -u URL, not both");
  if (opts.file) {
    const docs = (await readDocuments([opts.file])).map((d) => d.value);
    for (const [i, doc] of docs.entries()) {
      if (typeof doc !== "object" || doc === null) throw CliError.invalid(`${opts.file}: document ${i + 1} is not a mapping`);
    }
    const first = docs[0] as Manifest | undefined;
    if (docs.length === 1 && first && "tosca_definitions_version" in first) {
      spec.manifest = [];
      spec.tosca = first;
    } else {
      if (docs.length === 0) throw CliError.invalid(`${opts.file}: no manifests in the file`);
      spec.manifest = docs as Manifest[];
    }
  } else if (opts.url) {
    if (/\.ya?ml$/i.test(opts.url)) {
      spec.manifest = [];
      spec.tosca = opts.url;
    } else if (/\.(csar|zip)$/i.test(opts.url)) {
      spec.manifest = [];
      spec.tosca = {};
      spec.csar = opts.url;
    } else {
      throw CliError.usage("-u: the URL must name a TOSCA template (.yaml, .yml) or a CSAR archive (.csar, .zip)");
    }
  }
  if (opts.observerSchemaFile) {
    spec.observerSchema = (await readDocuments([opts.observerSchemaFile])).map((d) => d.value as Manifest);
  }
}

function applyHooksAndBackoff(spec: Partial<ApplicationSpec>, opts: AppOptions): void {
  if (opts.hookComplete || opts.hookShutdown !== undefined) {
    spec.hooks = [...(opts.hookComplete ? ["complete"] : []), ...(opts.hookShutdown !== undefined ? ["shutdown"] : [])];
  }
  if (opts.hookShutdown !== undefined) {
    const timeout = opts.hookShutdown === "" ? shutdownTimeoutDefault : Number(opts.hookShutdown);
    if (!Number.isInteger(timeout) || timeout < 0) throw CliError.usage(`--hook-shutdown: "${opts.hookShutdown}" is not a number of seconds`);
    spec.shutdownGraceTime = timeout;
  }
  if (opts.backoff !== undefined) spec.backoff = opts.backoff;
  if (opts.backoffDelay !== undefined) spec.backoffDelay = opts.backoffDelay;
  if (opts.backoffLimit !== undefined) spec.backoffLimit = opts.backoffLimit;
}

const applicationView: KindView<Application> = {
  list: [
    col("STATE", (a) => formatState(applicationKind, a)),
    col("CLUSTER", (a) => formatRef(a.status?.runningOn?.name ? a.status.runningOn : a.status?.scheduledTo)),
  ],
  detail: [
    col("state", (a) => formatState(applicationKind, a)),
    col("reason", (a) => formatReason(a.status?.reason)),
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
    col("scheduled_to", (a) => formatRef(a.status?.scheduledTo)),
    col("scheduled", (a) => formatTime(a.status?.scheduled)),
    col("running_on", (a) => formatRef(a.status?.runningOn)),
    col("backoff", (a) => formatNumber(a.spec?.backoff)),
    col("backoff_delay", (a) => formatNumber(a.spec?.backoffDelay)),
    col("backoff_limit", (a) => formatNumber(a.spec?.backoffLimit)),
  ],
};

export const group = {
  api: applicationKind.api,
  commands: () => [applicationCommand()],
  views: { Application: applicationView },
} satisfies CommandGroup;
