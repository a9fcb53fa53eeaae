/** list, get and delete: the same for every kind. */
import { Command } from "commander";
import { action } from "../context.js";
import type { CliContext } from "../context.js";
import type { KindInfo, KrakeObject } from "../kinds.js";
import { WatchPrinter } from "../output/printer.js";
import type { OutputFormat } from "../output/printer.js";
import type { WatchEvent } from "../transport/transport.js";
import { waitForState, waitTarget } from "../wait.js";
import type { WaitOptions } from "../wait.js";
import { addNamespace, addOutput, addWait } from "./options.js";
import type { NamespaceOptions, OutputOptions } from "./options.js";

interface ListOptions extends NamespaceOptions, OutputOptions {
  allNamespaces?: boolean;
  selector?: string;
  watch?: boolean;
}

/** `list [-n NS | -a] [-l SELECTOR] [--watch] [-o FORMAT]`. */
export function listCommand<T extends KrakeObject>(kind: KindInfo<T>): Command {
  const cmd = new Command("list").alias("ls").description(`list ${kind.plural}`);
  if (kind.namespaced) {
    addNamespace(cmd).option("-a, --all-namespaces", `list ${kind.plural} in every namespace`);
  }
  cmd
    .option("-l, --selector <selector>", "label selector, e.g. app=web,tier!=db")
    .option("-w, --watch", "after listing, print changes as they happen (until Ctrl-C)");
  addOutput(cmd).action(
    action<ListOptions>(async (ctx, opts) => {
      const namespace = !kind.namespaced || opts.allNamespaces ? undefined : ctx.namespace(opts.namespace);
      if (opts.watch) return watchList(ctx, kind, namespace, opts.selector, opts.output);
      const list = await ctx.transport.resource(kind).list({ namespace, labelSelector: opts.selector });
      if (list.items.length === 0 && opts.output === "table") {
        ctx.stderr.write(`No ${kind.plural} found${namespace ? ` in namespace ${namespace}` : ""}.\n`);
        return;
      }
      ctx.printer(opts.output).list(kind, list.items);
    }),
  );
  return cmd;
}

/**
 * The current objects, then every change, from one watch stream (initial
 * events end with a BOOKMARK), until Ctrl-C or the server ends it.
 */
async function watchList<T extends KrakeObject>(
  ctx: CliContext,
  kind: KindInfo<T>,
  namespace: string | undefined,
  selector: string | undefined,
  format: OutputFormat,
): Promise<void> {
  const watch = ctx.transport.resource(kind).watch({ namespace, labelSelector: selector, sendInitialEvents: true });
  const stop = () => watch.cancel();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  const printer = new WatchPrinter(ctx.stdout, format, kind, ctx.views);
  let initial: WatchEvent<T>[] | undefined = [];
  try {
    for await (const ev of watch) {
      if (ev.type === "BOOKMARK") {
        if (initial) printer.initial(initial);
        initial = undefined;
      } else if (initial) {
        initial.push(ev);
      } else {
        printer.event(ev);
      }
    }
  } finally {
    process.removeListener("SIGINT", stop);
    process.removeListener("SIGTERM", stop);
  }
}

/** `get NAME [-n NS] [-o FORMAT]`. */
export function getCommand<T extends KrakeObject>(kind: KindInfo<T>): Command {
  const cmd = new Command("get").description(`show one ${kind.kind}`).argument("<name>", `${kind.kind} name`);
  if (kind.namespaced) addNamespace(cmd);
  addOutput(cmd).action(
    action<NamespaceOptions & OutputOptions>(async (ctx, opts, [name]) => {
      const object = await ctx.transport.resource(kind).get(ctx.namespace(opts.namespace), name);
      ctx.printer(opts.output).object(kind, object);
    }),
  );
  return cmd;
}

interface DeleteOptions extends NamespaceOptions, OutputOptions, WaitOptions {
  force?: boolean;
}

/** `delete NAME [-n NS] [--force] [--wait [deleting|deleted]]`. */
export function deleteCommand<T extends KrakeObject>(kind: KindInfo<T>, options: { wait: boolean }): Command {
  const cmd = new Command("delete").alias("rm").description(`delete one ${kind.kind}`).argument("<name>", `${kind.kind} name`);
  if (kind.namespaced) addNamespace(cmd);
  cmd.option("--force", "remove from the store at once, skipping finalizers (no clean-up by controllers)");
  if (options.wait) addWait(cmd, "deleted", kind.states?.includes("DELETING") ? "deleting, deleted" : "deleted");
  addOutput(cmd).action(
    action<DeleteOptions>(async (ctx, opts, [name]) => {
      const target = options.wait ? waitTarget(kind, opts, "DELETED", true) : undefined;
      const client = ctx.transport.resource(kind);
      let object: T | undefined = await client.delete(ctx.namespace(opts.namespace), name, { force: opts.force });
      if (target) object = await waitForState(ctx, kind, object, target, opts.timeout);
      if (object) ctx.printer(opts.output).object(kind, object);
    }),
  );
  return cmd;
}

/** A resource's standard verbs: list, create, get, update and delete, with the kind's own create and update. */
export function crudGroup<T extends KrakeObject>(group: Command, kind: KindInfo<T>, own: { create: Command; update: Command }): Command {
  return group
    .addCommand(listCommand(kind))
    .addCommand(own.create)
    .addCommand(getCommand(kind))
    .addCommand(own.update)
    .addCommand(deleteCommand(kind, { wait: false }));
}

/**
 * `krakectl <api> <kind>` for a kind that no command group names: list, get
 * and delete, as for every kind; objects are created and changed with
 * `krakectl apply`.
 */
export function kindCommand(kind: KindInfo): Command {
  return new Command(kind.kind.toLowerCase())
    .description(`manage ${kind.plural} (create and update with apply)`)
    .addCommand(listCommand(kind))
    .addCommand(getCommand(kind))
    .addCommand(deleteCommand(kind, { wait: true }));
}

/** A new object of `kind` to create: its type, name and labels, and the command's other fields. */
export function newObject<T extends KrakeObject>(kind: KindInfo<T>, name: string, labels: Record<string, string>, fields: Record<string, unknown>): T {
  return kind.codec.fromPartial({ api: kind.api, kind: kind.kind, metadata: { name, labels }, ...fields } as never);
}

/**
 * The end of every create command: creates `object` in the flags' namespace,
 * waits for `target` when `--wait` asked for it (waitTarget), and prints the
 * object as the API answered it (or as it was when the wait ended).
 */
export async function createAndPrint<T extends KrakeObject>(
  ctx: CliContext,
  kind: KindInfo<T>,
  object: T,
  opts: NamespaceOptions & OutputOptions & Partial<WaitOptions>,
  target?: string,
): Promise<T> {
  let created = await ctx.transport.resource(kind).create(ctx.namespace(opts.namespace), object);
  if (target) created = (await waitForState(ctx, kind, created, target, opts.timeout ?? 0)) ?? created;
  ctx.printer(opts.output).object(kind, created);
  return created;
}
