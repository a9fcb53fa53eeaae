import { Counter, Gauge, Registry } from "prom-client";

export type ApplyOutcome = "applied" | "refused" | "unreachable";
export type MigrationOutcome = "migrated" | "rolled_back";
export type DeletionOutcome = "deleted" | "timed_out";

/** The application controller's /metrics, beside the runtime's (queue, reconciles, leader). */
export class ApplicationMetrics {
  private readonly applies: Counter<"result">;
  private readonly migrations: Counter<"result">;
  private readonly deletions: Counter<"result">;

  /** Without a registry the counters count into one of their own (tests, tools). */
  constructor(registry: Registry = new Registry(), watches: () => number = () => 0) {
    this.applies = new Counter({
      name: "krake_application_applies_total",
      help: "Applications applied to a member cluster, by result (applied, refused by the cluster, unreachable)",
      labelNames: ["result"],
      registers: [registry],
    });
    this.migrations = new Counter({
      name: "krake_application_migrations_total",
      help: "Migrations between clusters, by result (migrated, rolled_back)",
      labelNames: ["result"],
      registers: [registry],
    });
    this.deletions = new Counter({
      name: "krake_application_deletions_total",
      help: "Applications whose resources were deleted, or whose finalizer was dropped after deletion_timeout (timed_out)",
      labelNames: ["result"],
      registers: [registry],
    });
    new Gauge({
      name: "krake_application_cluster_watches",
      help: "Open list+watches on member clusters (one per cluster, kind and namespace in use)",
      registers: [registry],
      collect() {
        this.set(watches());
      },
    });
  }

  applied(result: ApplyOutcome): void {
    this.applies.inc({ result });
  }

  migrated(result: MigrationOutcome): void {
    this.migrations.inc({ result });
  }

  deleted(result: DeletionOutcome): void {
    this.deletions.inc({ result });
  }
}
