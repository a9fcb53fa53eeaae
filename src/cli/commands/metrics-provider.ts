/**
 * `krakectl core metricsprovider|globalmetricsprovider …` (mp, gmp): Krake's
 * provider commands, and the providers' table columns.
 */
import { Command, Option } from "commander";
import type { GlobalMetricsProvider, MetricsProvider, MetricsProviderSpec } from "../../../gen/krake/core/v1/metrics_provider.js";
import { action } from "../context.js";
import { CliError } from "../errors.js";
import { globalMetricsProviderKind, metricsProviderKind } from "../kinds.js";
import type { KindInfo } from "../kinds.js";
import { formatMap, formatValue, none } from "../output/format-values.js";
import { col, optionalCol } from "../output/views.js";
import type { KindView } from "../output/views.js";
import type { CommandGroup } from "./command-group.js";
import { addNamespace, addOutput, collectNamedNumber } from "./options.js";
import type { NamedNumber, NamespaceOptions, OutputOptions } from "./options.js";
import { createAndPrint, crudGroup, newObject } from "./resource-commands.js";

type AnyProvider = MetricsProvider | GlobalMetricsProvider;

const providerTypes = ["prometheus", "static", "kafka", "influx"] as const;
type ProviderType = (typeof providerTypes)[number];

interface ProviderOptions extends NamespaceOptions, OutputOptions {
  type?: ProviderType;
  url?: string;
  metric?: NamedNumber[];
  staticMetric?: NamedNumber[];
  table?: string;
  comparisonColumn?: string;
  valueColumn?: string;
  token?: string;
  org?: string;
  bucket?: string;
}

/** The flags each type needs (create) and accepts (create and update), as in Krake. */
const flagsOf: Record<ProviderType, { required: string[]; allowed: string[] }> = {
  prometheus: { required: ["url"], allowed: ["url"] },
  static: { required: ["metric"], allowed: ["metric"] },
  kafka: { required: ["url", "comparison-column", "value-column", "table"], allowed: ["url", "comparison-column", "value-column", "table"] },
  influx: { required: ["url", "token", "org", "bucket"], allowed: ["url", "token", "org", "bucket"] },
};

function metricsProviderCommand(): Command {
  return providerGroup(new Command("metricsprovider").alias("mp").description("manage metrics providers"), metricsProviderKind);
}

function globalMetricsProviderCommand(): Command {
  return providerGroup(
    new Command("globalmetricsprovider").alias("gmp").description("manage global metrics providers"),
    globalMetricsProviderKind,
  );
}

function providerGroup<T extends AnyProvider>(cmd: Command, kind: KindInfo<T>): Command {
  return crudGroup(cmd, kind, { create: createCommand(kind), update: updateCommand(kind) });
}

function addProviderFlags(cmd: Command, kind: KindInfo): Command {
  cmd
    .option("--url <url>", "URL of the provider (prometheus, kafka, influx)")
    .option("-m, --metric <name value>", "static metric and its value, e.g. -m heat-demand 0.4 (static; repeatable)", collectNamedNumber)
    .option("--static-metric <name=value>", "the same as -m NAME VALUE (repeatable)", collectNamedNumber)
    .option("--table <table>", "KSQL table (kafka)")
    .option("--comparison-column <column>", "column compared with the metric name (kafka)")
    .option("--value-column <column>", "column holding the metric's value (kafka)")
    .option("--token <token>", "token for InfluxDB (influx)")
    .option("--org <org>", "organisation (influx)")
    .option("--bucket <bucket>", "bucket (influx)");
  if (kind.namespaced) addNamespace(cmd);
  return addOutput(cmd);
}

function given(opts: ProviderOptions): Record<string, unknown> {
  const metrics = [...(opts.metric ?? []), ...(opts.staticMetric ?? [])];
  return {
    url: opts.url,
    metric: metrics.length ? metrics : undefined,
    table: opts.table,
    "comparison-column": opts.comparisonColumn,
    "value-column": opts.valueColumn,
    token: opts.token,
    org: opts.org,
    bucket: opts.bucket,
  };
}

function checkFlags(type: ProviderType, opts: ProviderOptions, creating: boolean): void {
  const flags = given(opts);
  for (const [flag, value] of Object.entries(flags)) {
    if (value !== undefined && !flagsOf[type].allowed.includes(flag)) {
      throw CliError.usage(`--${flag} is not a valid flag for metrics providers of type ${type}`);
    }
  }
  if (!creating) return;
  for (const flag of flagsOf[type].required) {
    if (flags[flag] === undefined) throw CliError.usage(`metrics provider type '${type}' requires --${flag}`);
  }
}

/** Writes the given flags into the spec's section for its type. */
function applyFlags(spec: MetricsProviderSpec, type: ProviderType, opts: ProviderOptions): void {
  const metrics = [...(opts.metric ?? []), ...(opts.staticMetric ?? [])];
  switch (type) {
    case "prometheus":
      spec.prometheus = { url: opts.url ?? spec.prometheus?.url ?? "" };
      break;
    case "static":
      spec.static = { metrics: metrics.length ? Object.fromEntries(metrics.map((m) => [m.name, m.value])) : (spec.static?.metrics ?? {}) };
      break;
    case "kafka": {
      const k = spec.kafka ?? { url: "", table: "", comparisonColumn: "", valueColumn: "" };
      spec.kafka = {
        url: opts.url ?? k.url,
        table: opts.table ?? k.table,
        comparisonColumn: opts.comparisonColumn ?? k.comparisonColumn,
        valueColumn: opts.valueColumn ?? k.valueColumn,
      };
      break;
    }
    case "influx": {
      const i = spec.influx ?? { url: "", token: "", org: "", bucket: "" };
      spec.influx = { url: opts.url ?? i.url, token: opts.token ?? i.token, org: opts.org ?? i.org, bucket: opts.bucket ?? i.bucket };
      break;
    }
  }
}

function createCommand<T extends AnyProvider>(kind: KindInfo<T>): Command {
  const cmd = new Command("create")
    .description(`create a ${kind.kind}`)
    .argument("<name>", "provider name")
    .addOption(new Option("--type <type>", "provider type").choices(providerTypes).makeOptionMandatory());
  return addProviderFlags(cmd, kind as unknown as KindInfo).action(
    action<ProviderOptions & { type: ProviderType }>(async (ctx, opts, [name]) => {
      checkFlags(opts.type, opts, true);
      const spec: MetricsProviderSpec = { type: opts.type };
      applyFlags(spec, opts.type, opts);
      await createAndPrint(ctx, kind, newObject(kind, name, {}, { spec }), opts);
    }),
  );
}

function updateCommand<T extends AnyProvider>(kind: KindInfo<T>): Command {
  const cmd = new Command("update").description(`update a ${kind.kind}`).argument("<name>", "provider name");
  return addProviderFlags(cmd, kind as unknown as KindInfo).action(
    action<ProviderOptions>(async (ctx, opts, [name]) => {
      if (Object.values(given(opts)).every((v) => v === undefined)) throw CliError.usage("nothing to update: give the flags to change");
      const client = ctx.transport.resource(kind);
      const namespace = ctx.namespace(opts.namespace);
      const provider = await client.get(namespace, name);
      const spec = (provider.spec ??= { type: "" });
      const type = spec.type as ProviderType;
      if (!providerTypes.includes(type)) throw CliError.invalid(`${kind.kind} '${name}' has an unknown type '${spec.type}'`);
      checkFlags(type, opts, false);
      applyFlags(spec, type, opts);
      ctx.printer(opts.output).object(kind, await client.update(namespace, name, provider));
    }),
  );
}

function providerTarget(spec: MetricsProviderSpec | undefined): string {
  if (!spec) return none;
  if (spec.static) return formatMap(spec.static.metrics);
  return formatValue(spec.prometheus?.url ?? spec.influx?.url ?? spec.kafka?.url);
}

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

export const group = {
  api: metricsProviderKind.api,
  commands: () => [metricsProviderCommand(), globalMetricsProviderCommand()],
  views: { MetricsProvider: providerView, GlobalMetricsProvider: providerView },
} satisfies CommandGroup;
