/**
 * The figure convention every bench/*.ts script follows: one JSON object per
 * stdout line, `{name, value, unit, target, met}`. The runner (bench/run.ts)
 * merges them into the table and bench/results.json.
 */

/** CPU used during a figure's measuring window, in % of one core, per process ("other" = the rest of the machine). */
export type CpuBreakdown = Record<string, number>;

export interface Figure {
  name: string;
  /** null when the figure could not be measured (then `note` says why). */
  value: number | null;
  unit: string;
  /** Human-readable bound, e.g. ">= 6000"; null when the issue sets none. */
  target: string | null;
  /** null when there is no target or no value. */
  met: boolean | null;
  /** Optional: CPU per process while the figure was measured. */
  cpu?: CpuBreakdown;
  /** Optional: anything a reader needs to interpret the figure. */
  note?: string;
}

export type Bound = { atLeast: number } | { atMost: number };

function targetText(bound: Bound | undefined): string | null {
  if (!bound) return null;
  return "atLeast" in bound ? `>= ${bound.atLeast}` : `<= ${bound.atMost}`;
}

function meets(value: number | null, bound: Bound | undefined): boolean | null {
  if (!bound || value === null || !Number.isFinite(value)) return null;
  return "atLeast" in bound ? value >= bound.atLeast : value <= bound.atMost;
}

export interface FigureExtras {
  target?: Bound;
  cpu?: CpuBreakdown;
  note?: string;
}

export function figure(name: string, value: number | null, unit: string, extras: FigureExtras = {}): Figure {
  const out: Figure = { name, value, unit, target: targetText(extras.target), met: meets(value, extras.target) };
  if (extras.cpu) out.cpu = extras.cpu;
  if (extras.note) out.note = extras.note;
  return out;
}

/** A row for a figure that this run could not measure, with the reason. */
export function notAvailable(name: string, unit: string, reason: string, target?: Bound): Figure {
  return figure(name, null, unit, { target, note: reason });
}

/** Writes a figure as one JSON line on stdout (the convention the runner reads). */
export function emit(f: Figure): void {
  process.stdout.write(`${JSON.stringify(f)}\n`);
}

/** Parses one stdout line of a bench script; undefined if it is not a figure. */
export function parseFigure(line: string): Figure | undefined {
  const text = line.trim();
  if (!text.startsWith("{")) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof raw !== "object" || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  if (typeof r.name !== "string" || !("value" in r) || typeof r.unit !== "string") return undefined;
  if (r.value !== null && typeof r.value !== "number") return undefined;
  const target = r.target === undefined || r.target === null ? null : String(r.target);
  const met = typeof r.met === "boolean" ? r.met : null;
  const out: Figure = { name: r.name, value: r.value, unit: r.unit, target, met };
  if (typeof r.cpu === "object" && r.cpu !== null) {
    const cpu: CpuBreakdown = {};
    for (const [k, v] of Object.entries(r.cpu)) if (typeof v === "number") cpu[k] = v;
    out.cpu = cpu;
  }
  if (typeof r.note === "string") out.note = r.note;
  return out;
}
