/**
 * How much to fuzz, read from the environment so that `make test` (fixed seed,
 * about 2,000 cases) and `make fuzz` (100,000 cases, random seed) run the same
 * properties:
 *
 *   KRAKE_FUZZ_RUNS     total number of cases, shared out among the families by weight (default 2000)
 *   KRAKE_FUZZ_SEED     fast-check seed, the same for every family (default 20240601)
 *   KRAKE_FUZZ_PATH     fast-check replay path of one failure (use with --grep on its family)
 *   KRAKE_FUZZ_COLLECT  1: do not stop at the first failure; list every distinct failure class at the end
 *   KRAKE_FUZZ_VERBOSE  1: fast-check's verbose report (every failing value tried while shrinking)
 */
const DEFAULT_RUNS = 2_000;
const DEFAULT_SEED = 20_240_601;

function intFromEnv(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text.trim() === "") return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new Error(`${name} must be an integer, not "${text}"`);
  return value;
}

export const settings = {
  totalRuns: intFromEnv("KRAKE_FUZZ_RUNS", DEFAULT_RUNS),
  seed: intFromEnv("KRAKE_FUZZ_SEED", DEFAULT_SEED),
  path: process.env.KRAKE_FUZZ_PATH || undefined,
  collect: process.env.KRAKE_FUZZ_COLLECT === "1",
  verbose: process.env.KRAKE_FUZZ_VERBOSE === "1",
};

/**
 * Each family's share of the total, in cases per 2,000. The sum is about
 * 2,000 so that the default run is the documented size.
 */
export const weights = {
  "rest routes and path parameters": 300,
  "rest query: heartbeat": 50,
  "rest query: limit/continue": 60,
  "rest query: label_selector": 60,
  "rest query: watch/resource_version": 50,
  "rest query: others": 40,
  "rest JSON bodies": 330,
  "rest malformed bodies and media types": 150,
  "rest deep nesting": 50,
  "rest oversize bodies and large headers": 30,
  "rest merge patch": 150,
  "rest prototype keys": 150,
  "grpc valid-ish messages": 300,
  "grpc corrupt protobuf": 150,
  "grpc deep nesting": 40,
  "grpc strings and label selectors": 120,
} as const;

export type Family = keyof typeof weights;

const weightSum = Object.values(weights).reduce((a, b) => a + b, 0);

/** The number of cases of one family for this run. */
export function runsOf(family: Family): number {
  return Math.max(1, Math.round((settings.totalRuns * weights[family]) / weightSum));
}

let announced = false;

/** Prints the seed once per mocha run, before the first property. */
export function announceSeed(): void {
  if (announced) return;
  announced = true;
  console.log(`      fuzz: seed ${settings.seed}, ${settings.totalRuns} cases in all` +
    `${settings.collect ? " (collect mode: every failure class is listed)" : ""}` +
    ` — replay with KRAKE_FUZZ_SEED=${settings.seed} KRAKE_FUZZ_RUNS=${settings.totalRuns}`);
}
