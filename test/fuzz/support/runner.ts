/**
 * Runs one family of generated requests as a fast-check property against the
 * shared target, checking after every case:
 *
 *  - the transport's own verdict (no 5xx but 503/504; no gRPC INTERNAL or
 *    UNKNOWN; no call ending without a status; an answer in time);
 *  - krake-api is alive: the child has not exited and GET /livez answers;
 *  - stored data is unchanged unless the request succeeded (state.ts).
 *
 * A failure throws with the request, the response and the server's own log
 * line (or, for a crash, its stderr), so that fast-check shrinks it and prints
 * the smallest counterexample with its seed and replay path. A process killed
 * by a case is replaced before the next one, so shrinking sees a live server.
 */
import fc from "fast-check";
import { compressRuns } from "./json.js";
import { announceSeed, runsOf, settings } from "./settings.js";
import type { Family } from "./settings.js";
import { Seeds, unexpectedChanges } from "./state.js";
import type { Observation } from "./state.js";
import { sharedTarget } from "./target.js";
import type { Target } from "./target.js";
import { fetchOpenApi, routesOf, SchemaValues } from "./openapi.js";
import type { OpenApi, Route } from "./openapi.js";

/** One broken invariant. `key` names its class (stable across cases), `detail` the specifics. */
export interface Problem {
  key: string;
  detail: string;
}

export interface Verdict {
  /** 2xx, gRPC OK, or a watch that started: whatever it wrote is now expected. */
  succeeded: boolean;
  /** The outcome is unknown (a server-side 504/DEADLINE_EXCEEDED, 503): it may or may not have written. */
  indeterminate: boolean;
  problems: Problem[];
  /** The request as sent and the answer, for the failure message. */
  request: string;
  response: string;
}

/** Crashes that shrinking may cause (each costs a process start) before the family stops executing cases. */
const MAX_RESTARTS_PER_FAMILY = 12;
/** Failing cases (shrinking included) before the family stops executing cases; the last failure is reported. */
const MAX_FAILURES_PER_FAMILY = 150;
/** Failing cases that waited out a deadline (a hung call costs seconds) before the family stops executing cases. */
const MAX_SLOW_FAILURES_PER_FAMILY = 6;
const slowProblem = /no answer|did not end|does not serve/;

export class Fuzzer {
  private expected!: Observation;

  private constructor(
    readonly target: Target,
    readonly openapi: OpenApi,
    readonly routes: Route[],
    readonly schemas: SchemaValues,
    readonly seeds: Seeds,
  ) {}

  static async create(target: Target): Promise<Fuzzer> {
    const openapi = await fetchOpenApi(`${target.restBase}/openapi.json`);
    const routes = routesOf(openapi);
    const seeds = new Seeds(routes);
    for (const skipped of await seeds.createAll(target)) console.log(`      fuzz: no seed object for ${skipped}`);
    const f = new Fuzzer(target, openapi, routes, new SchemaValues(openapi), seeds);
    f.expected = await seeds.observe(target);
    return f;
  }

  /** One case: send it, judge it, check the process and the store. Resolves with the problems found. */
  async runCase(send: (t: Target) => Promise<Verdict>): Promise<{ verdict: Verdict; problems: Problem[] }> {
    const t = this.target;
    if (t.exited) await t.restart("found dead before a case");
    const before = this.expected;
    const verdict = await send(t);
    const problems = [...verdict.problems];
    const live = await t.liveness();
    if (!live.alive) {
      problems.push({ key: `krake-api died: ${deathKey(live.why)}`, detail: live.why });
      await t.restart(live.why);
    }
    let after = await this.seeds.observe(t);
    if (!verdict.succeeded && !verdict.indeterminate) {
      for (const change of await unexpectedChanges(t, before, after)) {
        problems.push({ key: "a failed request changed stored data", detail: change });
      }
    }
    if (await this.seeds.repair(t, after)) after = await this.seeds.observe(t);
    this.expected = after;
    t.drainLogs();
    return { verdict, problems };
  }

  /**
   * The family's property: `runsOf(family)` cases from `arb`, fixed seed
   * unless KRAKE_FUZZ_SEED says otherwise. Throws fast-check's report.
   */
  async check<T>(family: Family, arb: fc.Arbitrary<T>, send: (c: T, t: Target) => Promise<Verdict>): Promise<void> {
    announceSeed();
    const numRuns = runsOf(family);
    let failures = 0;
    let slowFailures = 0;
    const restartsAtStart = this.target.starts;
    const collected = new Map<string, { count: number; example: string; size: number }>();
    const exhausted = () =>
      failures >= MAX_FAILURES_PER_FAMILY || slowFailures >= MAX_SLOW_FAILURES_PER_FAMILY || this.target.starts - restartsAtStart >= MAX_RESTARTS_PER_FAMILY;
    const property = fc.asyncProperty(arb, async (c) => {
      if (!settings.collect && exhausted()) return; // shrinking budget spent: keep the last failure
      const { verdict, problems } = await this.runCase((t) => send(c, t));
      if (problems.length === 0) return;
      failures++;
      if (problems.some((p) => slowProblem.test(p.key))) slowFailures++;
      const message = [
        ...problems.map((p) => `${p.key}\n        ${p.detail.replaceAll("\n", "\n        ")}`),
        `request:  ${verdict.request}`,
        `response: ${verdict.response}`,
      ].join("\n      ");
      if (settings.collect) {
        for (const p of problems) {
          // per class: how often, and its shortest request as the example
          const seen = collected.get(p.key);
          if (!seen) collected.set(p.key, { count: 1, example: message, size: verdict.request.length });
          else {
            seen.count++;
            if (verdict.request.length < seen.size) Object.assign(seen, { example: message, size: verdict.request.length });
          }
        }
        return;
      }
      const error = new Error(message);
      error.stack = `Error: ${message}`; // the report shows the request and the answer, not our stack
      throw error;
    });
    const details = await fc.check(property, {
      seed: settings.seed,
      numRuns,
      path: settings.path,
      verbose: settings.verbose ? 1 : 0,
      // every generated case is sent; no time-based interruption (deterministic for a seed)
      endOnFailure: false,
      includeErrorInReport: true,
    });
    if (settings.collect && collected.size) {
      const lines = [...collected].map(([key, { count, example }]) => `• ${key} (${count}×)\n      ${example}`);
      throw new Error(compressRuns(`${collected.size} failure class(es) in ${family} (seed ${settings.seed}):\n\n${lines.join("\n\n")}`));
    }
    if (details.failed) {
      const report = fc.defaultReportMessage(details) ?? "property failed";
      const replay = `KRAKE_FUZZ_SEED=${settings.seed} KRAKE_FUZZ_RUNS=${settings.totalRuns}` +
        (details.counterexamplePath ? ` KRAKE_FUZZ_PATH=${details.counterexamplePath}` : "") +
        ` npx mocha 'test/fuzz/**/*.test.ts' --grep '${family}'`;
      throw new Error(compressRuns(`${family}: ${report}\n\nReplay: ${replay}`));
    }
  }
}


/** The first line of the uncaught exception in a dead process's stderr: the class of the crash. */
function deathKey(why: string): string {
  const lines = why.split("\n");
  const error = lines.find((l) => /^\s*(\w*Error|Uncaught|RangeError|TypeError)\b.*:/.test(l)) ?? lines.find((l) => /Error/.test(l));
  return normalizeKey((error ?? lines[0]!).trim());
}

/** A failure's class: its message without the specifics (quoted values, numbers). */
export function normalizeKey(message: string): string {
  return message
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "…")
    .replace(/"[\s\S]*"/, '"…"')
    .replace(/'[\s\S]*'/, "'…'")
    .replace(/\d+/g, "N")
    .slice(0, 200);
}

let shared: Promise<Fuzzer> | undefined;

/** The fuzzer of this mocha run (shared target, seeds created once). */
export function sharedFuzzer(): Promise<Fuzzer> {
  shared ??= sharedTarget().then((t) => Fuzzer.create(t));
  return shared;
}

/** How long one family may take under mocha: generous per case, plus restarts while shrinking. */
export function familyTimeoutMs(family: Family): number {
  return 180_000 + runsOf(family) * 500;
}
