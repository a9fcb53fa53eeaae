/**
 * Krake's krakectl (argparse) has a few option shapes that commander cannot
 * declare: options taking exactly two values (`--metric NAME WEIGHT`), a list
 * of numbers (`--allowed-values 1 2 3`), optional values that must not swallow
 * the next positional (`--hook-shutdown [TIMEOUT]`, `--wait [STATE]`), and
 * underscore spellings (`--backoff_delay`). This rewrites just those into
 * forms commander reads, so Krake's command lines keep working.
 */

/** Two values, joined as `NAME=VALUE` (unless given as `NAME=VALUE` already). */
const pairOptions = new Set(["-m", "--metric", "--global-metric"]);
/** Any number of numbers, joined with commas. */
const numberListOptions = new Set(["--allowed-values"]);
/** An optional number. */
const optionalNumberOptions = new Set(["--hook-shutdown"]);
/** An optional state name. */
const optionalStateOptions = new Set(["--wait"]);

const spellings: Record<string, string> = {
  "--backoff_delay": "--backoff-delay",
  "--backoff_limit": "--backoff-limit",
  "--observer_schema_file": "--observer-schema-file",
  "--all": "--all-namespaces",
};

const numeric = /^-?(\d+\.?\d*|\.\d+)(e-?\d+)?$/i;

export function normalizeArgv(argv: string[], states: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i];
    if (raw === "--") {
      out.push(...argv.slice(i));
      break;
    }
    const eq = raw.indexOf("=");
    const name = raw.startsWith("--") && eq > 0 ? raw.slice(0, eq) : raw;
    const token = spellings[name] ? spellings[name] + raw.slice(name.length) : raw;
    const next = argv[i + 1];
    if (pairOptions.has(token) && next !== undefined && !next.includes("=") && argv[i + 2] !== undefined) {
      out.push(token, `${next}=${argv[i + 2]}`);
      i += 2;
    } else if (numberListOptions.has(token)) {
      const values: string[] = [];
      while (argv[i + 1] !== undefined && argv[i + 1].split(",").every((v) => numeric.test(v))) values.push(argv[++i]);
      out.push(`${token}=${values.join(",")}`);
    } else if (optionalNumberOptions.has(token)) {
      out.push(next !== undefined && numeric.test(next) ? `${token}=${argv[++i]}` : `${token}=`);
    } else if (optionalStateOptions.has(token)) {
      out.push(next !== undefined && states.has(next.toUpperCase()) ? `${token}=${argv[++i]}` : `${token}=`);
    } else {
      out.push(token);
    }
  }
  return out;
}
