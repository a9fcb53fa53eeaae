import { Counter, Gauge, Histogram, Registry } from "prom-client";

export type ReconcileOutcome = "success" | "requeue" | "error" | "conflict" | "terminal" | "aborted";

/**
 * The runtime's Prometheus metrics, in a registry of their own (several
 * managers in one process, as in tests, do not collide):
 * - krake_workqueue_depth{controller}: keys waiting to be reconciled;
 * - krake_workqueue_adds_total{controller}, krake_workqueue_retries_total{controller};
 * - krake_reconcile_total{controller, outcome} and krake_reconcile_errors_total{controller};
 * - krake_reconcile_duration_seconds{controller}: reconcile latency;
 * - krake_leader_election_is_leader{lease}: 1 while this replica leads;
 * - krake_informer_relists{kind}, krake_informer_watch_calls{kind}, krake_informer_objects{kind}.
 */
export class RuntimeMetrics {
  readonly registry: Registry;
  private readonly depthSources = new Map<string, () => number>();
  private readonly informerSources = new Map<string, () => { relists: number; watches: number; objects: number }>();
  private readonly adds: Counter<"controller">;
  private readonly retries: Counter<"controller">;
  private readonly reconciles: Counter<"controller" | "outcome">;
  private readonly errors: Counter<"controller">;
  private readonly latency: Histogram<"controller">;
  private readonly leader: Gauge<"lease">;

  constructor(registry: Registry = new Registry()) {
    this.registry = registry;
    const registers = [registry];
    const depth = this.depthSources;
    new Gauge({
      name: "krake_workqueue_depth",
      help: "Keys waiting in the work queue",
      labelNames: ["controller"],
      registers,
      collect() {
        for (const [controller, fn] of depth) this.set({ controller }, fn());
      },
    });
    this.adds = new Counter({ name: "krake_workqueue_adds_total", help: "Keys added to the work queue", labelNames: ["controller"], registers });
    this.retries = new Counter({ name: "krake_workqueue_retries_total", help: "Rate-limited re-adds", labelNames: ["controller"], registers });
    this.reconciles = new Counter({
      name: "krake_reconcile_total",
      help: "Reconcile calls by outcome",
      labelNames: ["controller", "outcome"],
      registers,
    });
    this.errors = new Counter({ name: "krake_reconcile_errors_total", help: "Reconcile calls that failed", labelNames: ["controller"], registers });
    this.latency = new Histogram({
      name: "krake_reconcile_duration_seconds",
      help: "Reconcile latency",
      labelNames: ["controller"],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.leader = new Gauge({ name: "krake_leader_election_is_leader", help: "1 while this replica holds the lease", labelNames: ["lease"], registers });
    const informers = this.informerSources;
    const informerGauge = (name: string, help: string, pick: (s: { relists: number; watches: number; objects: number }) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ["kind"],
        registers,
        collect() {
          for (const [kind, fn] of informers) this.set({ kind }, pick(fn()));
        },
      });
    informerGauge("krake_informer_relists", "Lists after the first (the watch version had expired)", (s) => s.relists);
    informerGauge("krake_informer_watch_calls", "Watch calls (first and resumed)", (s) => s.watches);
    informerGauge("krake_informer_objects", "Objects in the informer cache", (s) => s.objects);
  }

  watchQueue(controller: string, depth: () => number): void {
    this.depthSources.set(controller, depth);
  }

  watchInformer(kind: string, stats: () => { relists: number; watches: number; objects: number }): void {
    this.informerSources.set(kind, stats);
  }

  added(controller: string): void {
    this.adds.inc({ controller });
  }

  retried(controller: string): void {
    this.retries.inc({ controller });
  }

  reconciled(controller: string, outcome: ReconcileOutcome, seconds: number): void {
    this.reconciles.inc({ controller, outcome });
    if (outcome === "error" || outcome === "conflict" || outcome === "terminal") this.errors.inc({ controller });
    this.latency.observe({ controller }, seconds);
  }

  setLeader(lease: string, leading: boolean): void {
    this.leader.set({ lease }, leading ? 1 : 0);
  }
}
