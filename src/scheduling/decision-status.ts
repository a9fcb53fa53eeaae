import type { SchedulingDecision, ScoreComponent as StatusComponent } from "../../gen/krake/kubernetes/v1/application.js";
import type { Decision } from "./decision.js";
import type { ScoreComponent } from "./score.js";
import { timestampFromMillis } from "../kinds/timestamp.js";

function component(c: ScoreComponent): StatusComponent {
  if (c.kind === "stickiness") return { kind: "stickiness", name: "", value: c.value, normalized: c.value, weight: c.weight, status: "ok" };
  return { kind: "metric", name: c.name, value: c.value ?? 0, normalized: c.normalized ?? 0, weight: c.weight, status: c.status };
}

/** A decision as `status.scheduling` carries it. */
export function decisionStatus(d: Decision): SchedulingDecision {
  return {
    time: timestampFromMillis(Date.parse(d.time)),
    chosen: d.chosen,
    score: d.score ?? 0,
    components: (d.components ?? []).map(component),
    reason: d.reason.message,
    reasonCode: d.reason.code,
    action: d.action,
    scored: d.scored.map((s) => ({ cluster: s.cluster, score: s.score, components: s.components.map(component) })),
    filtered: d.filtered.map((f) => ({ cluster: f.cluster, filter: f.filter, detail: f.detail })),
    moreScored: d.moreScored,
    moreFiltered: d.moreFiltered,
  };
}

/**
 * Whether a new decision says something the stored one does not: another
 * action, cluster or reason, other candidates filtered out (or for another
 * filter), or a score that moved by more than `epsilon`. Otherwise the
 * status is not rewritten (a write per application per cycle for unchanged
 * news would load the store for nothing).
 */
export function decisionChanged(stored: SchedulingDecision | undefined, next: SchedulingDecision, epsilon = 0.01): boolean {
  if (!stored) return true;
  const ref = (r: SchedulingDecision["chosen"]) => (r ? `${r.api}/${r.kind}/${r.namespace}/${r.name}` : "");
  const filtered = (d: SchedulingDecision) => d.filtered.map((f) => `${ref(f.cluster)}:${f.filter}`).join(",");
  return (
    stored.action !== next.action ||
    stored.reasonCode !== next.reasonCode ||
    ref(stored.chosen) !== ref(next.chosen) ||
    Math.abs(stored.score - next.score) > epsilon ||
    filtered(stored) !== filtered(next) ||
    stored.scored.length !== next.scored.length
  );
}
