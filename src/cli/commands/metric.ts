/** `krakectl core metric|globalmetric …`: Krake's metric commands, and the metrics' table columns. */
import { Command } from "commander";
import type { GlobalMetric, Metric } from "../../../gen/krake/core/v1/metric.js";
import { action } from "../context.js";
import { CliError } from "../errors.js";
import { globalMetricKind, metricKind } from "../kinds.js";
import type { KindInfo } from "../kinds.js";
import { formatList, formatValue } from "../output/format-values.js";
import { col } from "../output/views.js";
import type { KindView } from "../output/views.js";
import type { CommandGroup } from "./command-group.js";
import { addNamespace, addOutput, float, numberList } from "./options.js";
import type { NamespaceOptions, OutputOptions } from "./options.js";
import { createAndPrint, crudGroup, newObject } from "./resource-commands.js";

type AnyMetric = Metric | GlobalMetric;

interface MetricOptions extends NamespaceOptions, OutputOptions {
  mpName?: string;
  gmpName?: string;
  min?: number;
  max?: number;
  allowedValues?: number[];
  metricName?: string;
}

function metricCommand(): Command {
  return metricGroup(new Command("metric").description("manage metrics"), metricKind);
}

function globalMetricCommand(): Command {
  return metricGroup(new Command("globalmetric").aliases(["gmetric", "gm"]).description("manage global metrics"), globalMetricKind);
}

function metricGroup<T extends AnyMetric>(cmd: Command, kind: KindInfo<T>): Command {
  return crudGroup(cmd, kind, { create: createCommand(kind), update: updateCommand(kind) });
}

function addMetricFlags(cmd: Command, kind: KindInfo): Command {
  cmd
    .option("--mp-name <provider>", `${kind.namespaced ? "" : "global "}metrics provider that serves the metric`)
    .option("--gmp-name <provider>", "the same as --mp-name (Krake's spelling for global metrics)")
    .option("--min <value>", "minimum value of the metric", float)
    .option("--max <value>", "maximum value of the metric", float)
    .option("--allowed-values <values>", "restrict the metric to these values, e.g. --allowed-values 1 2 3", numberList)
    .option("--metric-name <name>", "name of the metric at the provider (default: the name of this metric)");
  if (kind.namespaced) addNamespace(cmd);
  return addOutput(cmd);
}

function createCommand<T extends AnyMetric>(kind: KindInfo<T>): Command {
  const cmd = new Command("create").description(`create a ${kind.kind}`).argument("<name>", "metric name");
  return addMetricFlags(cmd, kind as unknown as KindInfo).action(
    action<MetricOptions>(async (ctx, opts, [name]) => {
      const provider = opts.mpName ?? opts.gmpName;
      if (!provider) throw CliError.usage("the metrics provider is required: --mp-name PROVIDER");
      if (opts.min === undefined || opts.max === undefined) throw CliError.usage("--min and --max are required");
      const spec = {
        allowedValues: [...(opts.allowedValues ?? [])].sort((a, b) => a - b),
        min: opts.min,
        max: opts.max,
        provider: { name: provider, metric: opts.metricName ?? name },
      };
      await createAndPrint(ctx, kind, newObject(kind, name, {}, { spec }), opts);
    }),
  );
}

function updateCommand<T extends AnyMetric>(kind: KindInfo<T>): Command {
  const cmd = new Command("update").description(`update a ${kind.kind}`).argument("<name>", "metric name");
  return addMetricFlags(cmd, kind as unknown as KindInfo).action(
    action<MetricOptions>(async (ctx, opts, [name]) => {
      const provider = opts.mpName ?? opts.gmpName;
      const changes = [opts.min, opts.max, opts.allowedValues, provider, opts.metricName];
      if (changes.every((c) => c === undefined)) {
        throw CliError.usage("nothing to update: give --min, --max, --allowed-values, --mp-name or --metric-name");
      }
      const client = ctx.transport.resource(kind);
      const namespace = ctx.namespace(opts.namespace);
      const metric = await client.get(namespace, name);
      const spec = (metric.spec ??= { allowedValues: [], min: 0, max: 0, provider: undefined });
      const ref = (spec.provider ??= { name: "", metric: "" });
      if (opts.min !== undefined) spec.min = opts.min;
      if (opts.max !== undefined) spec.max = opts.max;
      if (opts.allowedValues !== undefined) spec.allowedValues = opts.allowedValues;
      if (provider !== undefined) ref.name = provider;
      if (opts.metricName !== undefined) ref.metric = opts.metricName;
      ctx.printer(opts.output).object(kind, await client.update(namespace, name, metric));
    }),
  );
}

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

export const group = {
  api: metricKind.api,
  commands: () => [metricCommand(), globalMetricCommand()],
  views: { Metric: metricView, GlobalMetric: metricView },
} satisfies CommandGroup;
