import { Counter, Histogram } from "prom-client";
import type { Registry } from "prom-client";
import type { Decision } from "../../scheduling/index.js";

/** The scheduler's /metrics: how long a decision takes and what it decided. */
export class SchedulerMetrics {
  private readonly latency: Histogram<"action">;
  private readonly decisions: Counter<"action" | "reason">;

  constructor(registry: Registry) {
    this.latency = new Histogram({
      name: "krake_scheduler_decision_seconds",
      help: "Time to decide one Application's placement (metric reads included)",
      labelNames: ["action"],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 20],
      registers: [registry],
    });
    this.decisions = new Counter({
      name: "krake_scheduler_decisions_total",
      help: "Scheduling decisions by action (place, move, stay, none) and reason code",
      labelNames: ["action", "reason"],
      registers: [registry],
    });
  }

  observe(decision: Decision, seconds: number): void {
    this.latency.observe({ action: decision.action }, seconds);
    this.decisions.inc({ action: decision.action, reason: decision.reason.code });
  }
}
