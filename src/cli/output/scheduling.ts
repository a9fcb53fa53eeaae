/**
 * A scheduling decision (an Application's status.scheduling, or the answer of
 * the scheduler's dry run) as a table: the decision itself — action, chosen
 * cluster, score and the parts of it, reason — then the clusters that passed
 * every filter with their scores, and those that did not with the first
 * filter they failed.
 */
import type { ScoreComponent, SchedulingDecision } from "../../../gen/krake/kubernetes/v1/application.js";
import { formatRef, formatTime, none } from "./format-values.js";
import { renderDetail, renderTable } from "./table.js";

/** At most four decimals, without trailing zeros: 0.8182, 1, 0.1. */
function decimal(n: number): string {
  return String(Number(n.toFixed(4)));
}

/** `fast=0.9 (0.9 of its range, weight 1)`, `load: missing (weight 2)`, `stickiness=1 (weight 0.1)`. */
export function formatComponent(c: ScoreComponent): string {
  if (c.kind === "stickiness") return `stickiness=${decimal(c.value)} (weight ${decimal(c.weight)})`;
  if (c.status !== "ok") return `${c.name}: ${c.status || "unusable"} (weight ${decimal(c.weight)})`;
  return `${c.name}=${decimal(c.value)} (${decimal(c.normalized)} of its range, weight ${decimal(c.weight)})`;
}

function list(lines: string[]): string {
  return lines.length ? lines.join("\n") : none;
}

function more(n: number, what: string): string {
  return n > 0 ? `... and ${n} more ${what}\n` : "";
}

export function renderDecision(d: SchedulingDecision): string {
  const head = renderDetail([
    ["action", d.action || none],
    ["chosen", formatRef(d.chosen)],
    ["score", d.chosen?.name ? decimal(d.score) : none],
    ["components", list(d.components.map(formatComponent))],
    ["reason", d.reasonCode ? `${d.reasonCode}: ${d.reason}` : d.reason || none],
    ["decided", formatTime(d.time)],
  ]);
  const scored = d.scored.length || d.moreScored
    ? renderTable(
        ["CLUSTER", "SCORE", "COMPONENTS"],
        d.scored.map((s) => [formatRef(s.cluster), decimal(s.score), s.components.map(formatComponent).join(", ") || none]),
      ) + more(d.moreScored, "scored clusters")
    : `No cluster passed every filter.\n`;
  const filtered = d.filtered.length || d.moreFiltered
    ? renderTable(["CLUSTER", "FILTER", "DETAIL"], d.filtered.map((f) => [formatRef(f.cluster), f.filter, f.detail])) +
      more(d.moreFiltered, "filtered clusters")
    : `No cluster was filtered out.\n`;
  return `${head}\nScored clusters:\n${scored}\nFiltered clusters:\n${filtered}`;
}
