/**
 * `make bench`: runs every bench/*.ts script (api.ts first), each as a child
 * with a time limit, collects the figures they print (one JSON object per
 * stdout line: {name, value, unit, target, met}, optionally cpu and note),
 * prints one table and writes them all to bench/results.json.
 *
 *   node --import tsx bench/run.ts [script-name ...]     e.g. `api`, `gc-cascade`
 *
 * Exits non-zero when a script fails or times out (missed targets do not fail the run).
 */
import { spawn } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { notAvailable, parseFigure } from "./lib/figures.js";
import type { Figure } from "./lib/figures.js";
import { formatTable } from "./lib/table.js";

const benchDir = fileURLToPath(new URL(".", import.meta.url));
const resultsFile = fileURLToPath(new URL("./results.json", import.meta.url));
const timeoutS = Number(process.env.BENCH_SCRIPT_TIMEOUT_S ?? 300);

function scripts(only: string[]): string[] {
  const all = readdirSync(benchDir)
    .filter((f) => f.endsWith(".ts") && f !== "run.ts")
    .map((f) => f.slice(0, -3))
    .sort((a, b) => (a === "api" ? -1 : b === "api" ? 1 : a.localeCompare(b)));
  const chosen = only.length ? all.filter((s) => only.includes(s)) : all;
  const unknown = only.filter((s) => !all.includes(s));
  if (unknown.length) throw new Error(`no bench script named ${unknown.join(", ")} (have: ${all.join(", ")})`);
  return chosen;
}

/** Runs one script; resolves with its figures and whether it ended well. */
function runScript(name: string, figures: Figure[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", `bench/${name}.ts`], {
      cwd: fileURLToPath(new URL("..", import.meta.url)),
      stdio: ["ignore", "pipe", "inherit"],
    });
    createInterface({ input: child.stdout }).on("line", (line) => {
      const f = parseFigure(line);
      if (f) {
        figures.push(f);
        process.stderr.write(`  ${f.name} = ${f.value ?? "n/a"} ${f.unit}\n`);
      } else if (line.trim()) {
        process.stderr.write(`[${name}] ${line}\n`);
      }
    });
    current = child;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
    }, timeoutS * 1000);
    child.once("error", (err) => {
      clearTimeout(timer);
      resolve(err.message);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      if (timedOut) resolve(`timed out after ${timeoutS} s`);
      else if (code !== 0) resolve(`exited with ${signal ?? `code ${code}`}`);
      else resolve(undefined);
    });
  });
}

let current: ReturnType<typeof spawn> | undefined;
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.once(signal, () => {
    // the script cleans up its etcd and krake-api on SIGTERM
    if (current && current.exitCode === null) current.once("close", () => process.exit(1)).kill("SIGTERM");
    else process.exit(1);
  });
}

const figures: Figure[] = [];
let failed = false;
for (const name of scripts(process.argv.slice(2))) {
  process.stderr.write(`== bench/${name}.ts\n`);
  const started = performance.now();
  const problem = await runScript(name, figures);
  process.stderr.write(`== bench/${name}.ts: ${problem ?? "done"} in ${Math.round((performance.now() - started) / 1000)} s\n`);
  if (problem) {
    failed = true;
    figures.push(notAvailable(`${name}.run`, "", `bench/${name}.ts ${problem}: figures after the failure are missing`));
  }
}
writeFileSync(resultsFile, `${JSON.stringify(figures, null, 2)}\n`);
console.log(formatTable(figures));
console.log(`\n${figures.length} figures written to bench/results.json`);
if (failed) process.exit(1);
