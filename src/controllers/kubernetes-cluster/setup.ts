import { Gauge } from "prom-client";
import type { Registry } from "prom-client";
import type { Cluster } from "../../../gen/krake/kubernetes/v1/cluster.js";
import { realClock } from "../../client/clock.js";
import type { Clock } from "../../client/clock.js";
import { Controller } from "../../controller/controller.js";
import type { ControllerOptions, RunSignals } from "../../controller/controller.js";
import type { Informer } from "../../controller/informer/informer.js";
import { objectKey } from "../../controller/keys.js";
import type { Manager } from "../../controller/manager.js";
import { clusterKind } from "../../kinds/index.js";
import type { ClusterReconcilerOptions } from "./reconciler.js";
import { ClusterReconciler } from "./reconciler.js";
import { Observers } from "./observers.js";
import type { ClusterSettings } from "./settings.js";

export interface ClusterControllerOptions {
  settings: ClusterSettings;
  workers: number;
  resyncPeriodMs: number;
  clock: Clock;
  memberApi: ClusterReconcilerOptions["memberApi"];
  /** Where `krake_cluster_observers{phase}` is registered (the process' /metrics). */
  registry: Registry;
}

/**
 * A controller whose observers live as long as its leadership: when this replica starts
 * leading it looks at every cluster again (starting their observers), and when it stops
 * leading (or the process stops) every observer is stopped, so a standby holds no
 * connections to member clusters and two replicas never observe at once.
 */
class ObservingController extends Controller {
  constructor(
    opts: Partial<ControllerOptions> & Pick<ControllerOptions, "name" | "reconciler">,
    private readonly informer: Informer<Cluster>,
    private readonly observers: Observers,
  ) {
    super(opts);
  }

  override async run(signals: RunSignals): Promise<void> {
    const everyCluster = this.informer.waitForSync(signals.work).then(
      () => {
        for (const key of this.informer.store.keys()) this.enqueue(key);
      },
      () => undefined,
    );
    try {
      await super.run(signals);
    } finally {
      await everyCluster;
      await this.observers.stopAll();
    }
  }
}

/**
 * Registers the Kubernetes cluster controller: an informer on Clusters (every namespace) and
 * one controller keyed by Cluster whose reconciler keeps a Node observer per member cluster
 * and writes its status (ClusterReconciler).
 */
export function setupClusterController(manager: Manager, opts: Partial<ClusterControllerOptions> & { settings: ClusterSettings }): { controller: Controller; observers: Observers } {
  const defaults = manager.controllerDefaults();
  const informer = manager.informer(clusterKind);
  const observers = new Observers();
  let controller: Controller | undefined;
  const reconciler = new ClusterReconciler({
    clusters: informer.store,
    client: manager.api.client(clusterKind),
    observers,
    settings: opts.settings,
    clock: opts.clock ?? defaults.clock ?? realClock,
    onObservation: (key) => controller?.enqueue(key),
    memberApi: opts.memberApi,
  });
  controller = new ObservingController(
    { name: "kubernetes-cluster", reconciler, workers: opts.workers ?? 5, resyncPeriodMs: opts.resyncPeriodMs ?? 0, ...defaults },
    informer,
    observers,
  );
  controller.watch(informer, (change) => [objectKey(change.obj)]);
  if (opts.registry) {
    new Gauge({
      name: "krake_cluster_observers",
      help: "Member clusters this replica observes, by phase (starting, listed, watching, unreachable)",
      labelNames: ["phase"],
      registers: [opts.registry],
      collect() {
        for (const [phase, n] of Object.entries(observers.phases())) this.set({ phase }, n);
      },
    });
  }
  manager.add(controller);
  return { controller, observers };
}
