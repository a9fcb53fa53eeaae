/** The table `make bench` prints from the figures of every script. */
import type { CpuBreakdown, Figure } from "./figures.js";

/**
 * A guess at what limited a figure: one of our processes near a full core
 * (Node is single-threaded), else both cores busy — with the share taken by
 * other work on a shared machine when that is large.
 */
export function likelyLimit(cpu: CpuBreakdown | undefined): string {
  if (!cpu) return "";
  const entries = Object.entries(cpu);
  const total = entries.reduce((a, [, v]) => a + v, 0);
  const [name, busiest] = entries.filter(([n]) => n !== "other").sort((a, b) => b[1] - a[1])[0] ?? ["", 0];
  if (busiest >= 85) return `${name} CPU`;
  if (total < 180) return "";
  const other = cpu.other ?? 0;
  return other >= 50 ? `cores shared (other ${Math.round(other)}%)` : "both cores busy";
}

function formatValue(f: Figure): string {
  if (f.value === null) return "n/a";
  const v = Math.abs(f.value) >= 1000 ? Math.round(f.value).toLocaleString("en-US") : String(f.value);
  return `${v} ${f.unit}`;
}

function formatCpu(cpu: CpuBreakdown | undefined): string {
  if (!cpu) return "";
  return Object.entries(cpu)
    .map(([n, v]) => `${n} ${Math.round(v)}`)
    .join(" · ");
}

function met(f: Figure): string {
  if (f.met === null) return f.value === null && f.target ? "n/a" : "";
  return f.met ? "yes" : "NO";
}

export function formatTable(figures: Figure[]): string {
  const header = ["figure", "value", "target", "met", "CPU % of one core", "limit?"];
  const rows = figures.map((f) => [f.name, formatValue(f), f.target ?? "", met(f), formatCpu(f.cpu), likelyLimit(f.cpu)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 1 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ").trimEnd();
  const out = [line(header), widths.map((w) => "-".repeat(w)).join("  ")];
  figures.forEach((f, i) => {
    out.push(line(rows[i]));
    if (f.note) out.push(`    ${f.note}`);
  });
  return out.join("\n");
}
