/** krakectl's entry: parse, run, and turn any failure into one line and an exit code. */
import { CommanderError } from "commander";
import { normalizeArgv } from "./argv.js";
import { describeError, ExitCode, exitCodeOf } from "./errors.js";
import { allKinds } from "./kinds.js";
import { buildProgram } from "./program.js";
import { deletedState } from "./wait.js";

const waitStates = new Set([deletedState, ...allKinds.flatMap((k) => k.states ?? [])]);

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(normalizeArgv(argv, waitStates), { from: "user" });
    return ExitCode.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has printed the message or the help already.
      return err.code === "commander.helpDisplayed" || err.code === "commander.version" ? ExitCode.ok : ExitCode.usage;
    }
    process.stderr.write(`error: ${describeError(err)}\n`);
    // For developers: the stack of an unexpected error.
    if (process.env.KRAKECTL_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return exitCodeOf(err);
  }
}
