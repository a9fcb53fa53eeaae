/**
 * `krakectl infrastructure|infra globalinfrastructureprovider|infrastructureprovider|globalcloud|cloud …`
 * (gip, ip, gc): Krake's infrastructure commands, with Krake's flags
 * (krakectl/infrastructure.py): register, list, get, update, delete; and
 * the table columns of providers and clouds.
 */
import { Command, Option } from "commander";
import type { MetricRef } from "../../../gen/krake/core/v1/types.js";
import { cloudStatus_StateToJSON } from "../../../gen/krake/infrastructure/v1/cloud.js";
import type { CloudSpec, GlobalCloud, Cloud } from "../../../gen/krake/infrastructure/v1/cloud.js";
import type {
  GlobalInfrastructureProvider,
  InfrastructureProvider,
} from "../../../gen/krake/infrastructure/v1/infrastructure_provider.js";
import { action } from "../context.js";
import { CliError } from "../errors.js";
import { kindByName } from "../kinds.js";
import type { KindInfo, KrakeObject } from "../kinds.js";
import { formatMetricRefs, formatMetricsReasons, formatValue, none } from "../output/format-values.js";
import { col, optionalCol } from "../output/views.js";
import type { KindView } from "../output/views.js";
import { readPassword } from "../password.js";
import type { CommandGroup } from "./command-group.js";
import { addNamespace, addOutput, collectKeyValue, collectNamedNumber } from "./options.js";
import type { NamedNumber, NamespaceOptions, OutputOptions } from "./options.js";
import { createAndPrint, crudGroup, newObject } from "./resource-commands.js";

type AnyProvider = InfrastructureProvider | GlobalInfrastructureProvider;
type AnyCloud = Cloud | GlobalCloud;

/** The kind table's entry (gen/kinds.ts), typed. */
function kind<T extends KrakeObject>(name: string): KindInfo<T> {
  const k = kindByName("infrastructure", name);
  if (!k) throw new Error(`the kind table has no infrastructure ${name}: run make gen`);
  return k as unknown as KindInfo<T>;
}

const providerTypes = ["im"] as const;
const cloudTypes = ["openstack"] as const;

function infrastructureCommands(): Command[] {
  return [
    providerGroup(
      new Command("globalinfrastructureprovider").aliases(["gprovider", "gip"]).description("manage global infrastructure providers"),
      kind<GlobalInfrastructureProvider>("GlobalInfrastructureProvider"),
    ),
    providerGroup(
      new Command("infrastructureprovider").aliases(["provider", "ip"]).description("manage infrastructure providers"),
      kind<InfrastructureProvider>("InfrastructureProvider"),
    ),
    cloudGroup(new Command("globalcloud").aliases(["gcloud", "gc"]).description("manage global clouds"), kind<GlobalCloud>("GlobalCloud")),
    cloudGroup(new Command("cloud").description("manage clouds"), kind<Cloud>("Cloud")),
  ];
}

// ---------------------------------------------------------------- providers

interface ProviderOptions extends NamespaceOptions, OutputOptions {
  type?: string;
  url?: string;
  username?: string;
  password?: string;
  token?: string;
}

function providerGroup<T extends AnyProvider>(cmd: Command, k: KindInfo<T>): Command {
  return crudGroup(cmd, k, { create: registerProvider(k), update: updateProvider(k) });
}

function addProviderFlags(cmd: Command, k: KindInfo): Command {
  const what = `${k.namespaced ? "" : "global "}infrastructure provider`;
  cmd
    .option("--url <url>", `${what} API URL (type im)`)
    .option("--username <username>", `${what} API username (type im)`)
    .option("--password <password>", `${what} API password (type im; asked for when --username is given without it)`)
    .option("--token <token>", `${what} API token (type im)`);
  if (k.namespaced) addNamespace(cmd);
  return addOutput(cmd);
}

function registerProvider<T extends AnyProvider>(k: KindInfo<T>): Command {
  const cmd = new Command("register")
    .alias("create")
    .description(`register a ${k.kind}: --type im --url URL, and --token TOKEN or --username USER [--password PASSWORD]`)
    .argument("<name>", "name of the infrastructure provider")
    .addOption(new Option("--type <type>", "infrastructure provider type").choices(providerTypes).makeOptionMandatory());
  return addProviderFlags(cmd, k as unknown as KindInfo).action(
    action<ProviderOptions>(async (ctx, opts, [name]) => {
      if (!opts.url) throw CliError.usage("--url is required");
      let password = opts.password;
      if (password === undefined && opts.username !== undefined) {
        password = await readPassword(ctx, "Please set your Infrastructure Provider password: ");
      }
      if (!opts.token && !(opts.username && password)) {
        throw CliError.usage("give --token, or --username and --password");
      }
      const spec = { type: "im", im: { url: opts.url, username: opts.username ?? "", password: password ?? "", token: opts.token ?? "" } };
      await createAndPrint(ctx, k, newObject(k, name, {}, { spec }), opts);
    }),
  );
}

function updateProvider<T extends AnyProvider>(k: KindInfo<T>): Command {
  const cmd = new Command("update").description(`update a ${k.kind}`).argument("<name>", "name of the infrastructure provider");
  return addProviderFlags(cmd, k as unknown as KindInfo).action(
    action<ProviderOptions>(async (ctx, opts, [name]) => {
      if ([opts.url, opts.username, opts.password, opts.token].every((v) => v === undefined)) {
        throw CliError.usage("nothing to update: give --url, --username, --password or --token");
      }
      const client = ctx.transport.resource(k);
      const namespace = ctx.namespace(opts.namespace);
      const provider = await client.get(namespace, name);
      const spec = (provider.spec ??= { type: "im" });
      if (spec.type !== "im") throw CliError.invalid(`${k.kind} '${name}' has an unknown type '${spec.type}'`);
      const im = (spec.im ??= { url: "", username: "", password: "", token: "" });
      if (opts.url !== undefined) im.url = opts.url;
      if (opts.username !== undefined) im.username = opts.username;
      if (opts.password !== undefined) im.password = opts.password;
      if (opts.token !== undefined) im.token = opts.token;
      ctx.printer(opts.output).object(k, await client.update(namespace, name, provider));
    }),
  );
}

// ---------------------------------------------------------------- clouds

interface CloudOptions extends NamespaceOptions, OutputOptions {
  type?: string;
  url?: string;
  username?: string;
  password?: string;
  project?: string;
  domainName?: string;
  domainId?: string;
  infraProvider?: string;
  globalInfraProvider?: string;
  metric?: NamedNumber[];
  globalMetric?: NamedNumber[];
  label?: Record<string, string>;
}

function cloudGroup<T extends AnyCloud>(cmd: Command, k: KindInfo<T>): Command {
  return crudGroup(cmd, k, { create: registerCloud(k), update: updateCloud(k) });
}

function addCloudFlags(cmd: Command, k: KindInfo, creating: boolean): Command {
  cmd
    .option("--url <url>", "URL of the OpenStack identity service, Keystone (type openstack)")
    .option("--username <username>", "name or UUID of the OpenStack user (type openstack)")
    .option("--password <password>", `password of the OpenStack user (type openstack${creating ? "; asked for when not given" : ""})`)
    .option("--project <project>", "name or UUID of the OpenStack project (type openstack)")
    .option("--domain-name <name>", `domain name of the OpenStack user${creating ? ' (default "Default")' : ""}`)
    .option("--domain-id <id>", `domain ID of the OpenStack project${creating ? ' (default "default")' : ""}`);
  if (k.namespaced) cmd.option("--infra-provider <name>", "infrastructure provider (in the cloud's namespace) that manages the cloud");
  cmd.option("--global-infra-provider <name>", "global infrastructure provider that manages the cloud");
  if (k.namespaced) cmd.option("-m, --metric <name weight>", "namespaced metric and its weight, e.g. -m heat-demand 0.5 (repeatable)", collectNamedNumber);
  cmd
    .option("--global-metric <name weight>", "global metric and its weight (repeatable)", collectNamedNumber)
    .option("-l, --label <key=value>", "label of the cloud (repeatable)", collectKeyValue);
  if (k.namespaced) addNamespace(cmd);
  return addOutput(cmd);
}

function metricRefs(opts: CloudOptions): MetricRef[] {
  return [
    ...(opts.metric ?? []).map((m) => ({ name: m.name, weight: m.value, namespaced: true })),
    ...(opts.globalMetric ?? []).map((m) => ({ name: m.name, weight: m.value, namespaced: false })),
  ];
}

/** The infrastructure provider the flags name, if any: at most one of --infra-provider and --global-infra-provider. */
function providerRef(opts: CloudOptions): { name: string; namespaced: boolean } | undefined {
  if (opts.infraProvider !== undefined && opts.globalInfraProvider !== undefined) {
    throw CliError.usage("a cloud has one infrastructure provider: give --infra-provider or --global-infra-provider, not both");
  }
  if (opts.infraProvider !== undefined) return { name: opts.infraProvider, namespaced: true };
  if (opts.globalInfraProvider !== undefined) return { name: opts.globalInfraProvider, namespaced: false };
  return undefined;
}

function registerCloud<T extends AnyCloud>(k: KindInfo<T>): Command {
  const flags = k.namespaced ? "--infra-provider NAME | --global-infra-provider NAME" : "--global-infra-provider NAME";
  const cmd = new Command("register")
    .alias("create")
    .description(`register a ${k.kind}: --type openstack --url URL --username USER --project PROJECT ${flags}`)
    .argument("<name>", "name of the cloud")
    .addOption(new Option("--type <type>", "cloud type").choices(cloudTypes).makeOptionMandatory());
  return addCloudFlags(cmd, k as unknown as KindInfo, true).action(
    action<CloudOptions>(async (ctx, opts, [name]) => {
      for (const [flag, value] of [["--url", opts.url], ["--username", opts.username], ["--project", opts.project]] as const) {
        if (!value) throw CliError.usage(`${flag} is required`);
      }
      const provider = providerRef(opts);
      if (!provider) throw CliError.usage(`the cloud needs an infrastructure provider: ${flags}`);
      const password = opts.password ?? (await readPassword(ctx, "Please enter your OpenStack password: "));
      if (!password) throw CliError.usage("the OpenStack password is required: --password PASSWORD");
      const spec: CloudSpec = {
        type: "openstack",
        openstack: {
          url: opts.url!,
          metrics: metricRefs(opts),
          infrastructureProvider: provider,
          auth: {
            type: "password",
            password: {
              version: "3",
              user: { username: opts.username!, password, domainName: opts.domainName ?? "Default", comment: "" },
              project: { name: opts.project!, domainId: opts.domainId ?? "default", comment: "" },
            },
          },
        },
      };
      await createAndPrint(ctx, k, newObject(k, name, opts.label ?? {}, { spec }), opts);
    }),
  );
}

/** As Krake's: the given flags replace their fields; metrics and labels, when given, replace the current ones. */
function updateCloud<T extends AnyCloud>(k: KindInfo<T>): Command {
  const cmd = new Command("update").description(`update a ${k.kind}`).argument("<name>", "name of the cloud");
  return addCloudFlags(cmd, k as unknown as KindInfo, false).action(
    action<CloudOptions>(async (ctx, opts, [name]) => {
      const given = [
        opts.url, opts.username, opts.password, opts.project, opts.domainName, opts.domainId,
        opts.infraProvider, opts.globalInfraProvider, opts.metric, opts.globalMetric, opts.label,
      ];
      if (given.every((v) => v === undefined)) throw CliError.usage("nothing to update: give the flags to change");
      const provider = providerRef(opts);
      const client = ctx.transport.resource(k);
      const namespace = ctx.namespace(opts.namespace);
      const cloud = await client.get(namespace, name);
      const spec = (cloud.spec ??= { type: "openstack" });
      if (spec.type !== "openstack" || !spec.openstack) throw CliError.invalid(`${k.kind} '${name}' has an unknown type '${spec.type}'`);
      const os = spec.openstack;
      if (opts.url !== undefined) os.url = opts.url;
      if (opts.metric !== undefined || opts.globalMetric !== undefined) os.metrics = metricRefs(opts);
      if (provider) os.infrastructureProvider = provider;
      const auth = (os.auth ??= { type: "password" });
      const password = (auth.password ??= { version: "3", user: undefined, project: undefined });
      const user = (password.user ??= { username: "", password: "", domainName: "Default", comment: "" });
      const project = (password.project ??= { name: "", domainId: "default", comment: "" });
      if (opts.username !== undefined) user.username = opts.username;
      if (opts.password !== undefined) user.password = opts.password;
      if (opts.domainName !== undefined) user.domainName = opts.domainName;
      if (opts.project !== undefined) project.name = opts.project;
      if (opts.domainId !== undefined) project.domainId = opts.domainId;
      const metadata = (cloud.metadata ??= { name } as never);
      if (opts.label !== undefined) (metadata as { labels: Record<string, string> }).labels = opts.label;
      ctx.printer(opts.output).object(k, await client.update(namespace, name, cloud));
    }),
  );
}

// ---------------------------------------------------------------- table columns

const providerView: KindView<AnyProvider> = {
  list: [col("TYPE", (p) => formatValue(p.spec?.type)), col("URL", (p) => formatValue(p.spec?.im?.url))],
  detail: [
    col("type", (p) => formatValue(p.spec?.type)),
    col("url", (p) => formatValue(p.spec?.im?.url)),
    optionalCol("username", (p) => formatValue(p.spec?.im?.username)),
  ],
};

function cloudState(c: AnyCloud): string {
  const s = c.status ? cloudStatus_StateToJSON(c.status.state) : none;
  return c.metadata?.deleted ? `${s} (deleting)` : s;
}

function cloudProvider(c: AnyCloud): string {
  const p = c.spec?.openstack?.infrastructureProvider;
  return p?.name ? `${p.name}${p.namespaced ? "" : " (global)"}` : none;
}

const cloudView: KindView<AnyCloud> = {
  list: [col("TYPE", (c) => formatValue(c.spec?.type)), col("INFRA PROVIDER", cloudProvider), col("STATE", cloudState)],
  detail: [
    col("type", (c) => formatValue(c.spec?.type)),
    col("state", cloudState),
    col("url", (c) => formatValue(c.spec?.openstack?.url)),
    col("project", (c) => formatValue(c.spec?.openstack?.auth?.password?.project?.name)),
    col("username", (c) => formatValue(c.spec?.openstack?.auth?.password?.user?.username)),
    col("infra_provider", cloudProvider),
    col("metrics", (c) => formatMetricRefs(c.spec?.openstack?.metrics)),
    col("failing_metrics", (c) => formatMetricsReasons(c.status?.metricsReasons)),
  ],
};

export const group = {
  api: "infrastructure",
  commands: infrastructureCommands,
  views: {
    GlobalInfrastructureProvider: providerView,
    InfrastructureProvider: providerView,
    GlobalCloud: cloudView,
    Cloud: cloudView,
  },
} satisfies CommandGroup;
