import type { Command } from "commander";
import { loadConfig } from "./config.js";
import type { CliConfig, ConfigFlags } from "./config.js";
import { Printer } from "./output/printer.js";
import type { OutputFormat } from "./output/printer.js";
import type { ViewTable } from "./output/views.js";
import { createTransport } from "./transport/index.js";
import type { Transport } from "./transport/index.js";

/** The root command's options: where the API is and who we are. */
export interface GlobalOptions extends ConfigFlags {
  requestTimeout: number;
}

/** What a command's action works with: the resolved config, the API and the terminal. */
export class CliContext {
  readonly config: CliConfig;
  readonly stdout: NodeJS.WriteStream = process.stdout;
  readonly stderr: NodeJS.WriteStream = process.stderr;
  private connection: Transport | undefined;

  constructor(
    private readonly globals: GlobalOptions,
    /** The kinds' own table columns, for the printers. */
    readonly views: ViewTable,
  ) {
    this.config = loadConfig(globals);
  }

  /** Connects on first use, so commands that fail early never dial. */
  get transport(): Transport {
    this.connection ??= createTransport(this.config, {
      requestTimeoutMs: this.globals.requestTimeout * 1000,
      warn: (message) => this.warn(message),
    });
    return this.connection;
  }

  /** `-n` when given, else the config's user (Krake's default namespace). */
  namespace(flag: string | undefined): string {
    return flag || this.config.user;
  }

  printer(format: OutputFormat): Printer {
    return new Printer(this.stdout, format, this.views);
  }

  warn(message: string): void {
    this.stderr.write(`warning: ${message}\n`);
  }

  close(): void {
    this.connection?.close();
    this.connection = undefined;
  }
}

/** Each program's table columns (set by buildProgram), so that the output code needs no import of the commands. */
const programViews = new WeakMap<Command, ViewTable>();

/** The table columns the actions of `program`'s commands print with. */
export function useViews(program: Command, views: ViewTable): void {
  programViews.set(program, views);
}

function rootOf(cmd: Command): Command {
  let root = cmd;
  while (root.parent) root = root.parent;
  return root;
}

/**
 * Wraps a command's action: builds the context from the root options, runs
 * the action with the command's own options and positional arguments, and
 * always closes the connection.
 */
export function action<O>(fn: (ctx: CliContext, opts: O, args: string[]) => Promise<void>) {
  return async function (this: Command): Promise<void> {
    const ctx = new CliContext(this.optsWithGlobals<GlobalOptions>(), programViews.get(rootOf(this)) ?? {});
    try {
      await fn(ctx, this.opts<O & Record<string, unknown>>(), this.processedArgs as string[]);
    } finally {
      ctx.close();
    }
  };
}
