#!/usr/bin/env node
// krakectl, the command line for Krake. Runs the TypeScript sources through tsx, so a clone works without a build step.
import { register } from "tsx/esm/api";

// A closed pipe (`krakectl … | head`) ends the output, not with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
}

register();
const { main } = await import("../src/cli/main.ts");
const code = await main(process.argv.slice(2));
process.exitCode = code;
// Nothing should be left running; if something is, do not hang the shell.
setTimeout(() => process.exit(code), 2_000).unref();
