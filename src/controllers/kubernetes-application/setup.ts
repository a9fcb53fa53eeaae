import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { Application } from "../../../gen/krake/kubernetes/v1/application.js";
import type { Cluster } from "../../../gen/krake/kubernetes/v1/cluster.js";
import { realClock } from "../../client/clock.js";
import type { Clock } from "../../client/clock.js";
import { controllerFor } from "../../controller/builder.js";
import type { Change, Controller } from "../../controller/controller.js";
import type { Manager } from "../../controller/manager.js";
import { applicationKind, clusterKind } from "../../kinds/index.js";
import { refKeyOf } from "./app-status.js";
import { ApplicationMetrics } from "./application-metrics.js";
import { ClusterConnections } from "./cluster-connections.js";
import { noHooks } from "./hooks.js";
import type { ApplicationHooks } from "./hooks.js";
import { ClusterWatches } from "./observe/cluster-watches.js";
import { ApplicationController } from "./reconciler.js";
import { staleClusters } from "./stale-copies.js";
import type { ApplicationSettings } from "./settings.js";

export { defaultApplicationSettings } from "./settings.js";
export type { ApplicationSettings } from "./settings.js";

/** Applications index: the clusters an Application is scheduled to or running on, or may have left a copy on. */
const clusterIndex = "cluster";

function clustersOf(app: Application): string[] {
  return [...new Set([refKeyOf(app.status?.scheduledTo), refKeyOf(app.status?.runningOn), ...staleClusters(app).map(refKeyOf)].filter(Boolean))];
}

/**
 * Registers the application controller: informers on Applications and
 * Clusters, one controller keyed by Application; a Cluster's change brings
 * back the Applications on it, a change of their resources on a member
 * cluster (ClusterWatches) brings back the Application.
 */
export function setupApplicationController(
  manager: Manager,
  opts: { settings: ApplicationSettings; workers: number; log: Logger; hooks?: ApplicationHooks; clock?: Clock; registry?: Registry },
): { controller: Controller; watches: ClusterWatches; connections: ClusterConnections } {
  const apps = manager.informer(applicationKind, { indexers: { [clusterIndex]: clustersOf } }).store;
  const clusterInformer = manager.informer(clusterKind);
  const clusters = clusterInformer.store;
  let controller: Controller | undefined;
  const watches = new ClusterWatches({
    enqueue: (key) => controller?.enqueue(key),
    log: opts.log,
    backoffInitialMs: opts.settings.watchBackoffInitialMs,
    backoffMaxMs: opts.settings.watchBackoffMaxMs,
  });
  const connections = new ClusterConnections(opts.settings.requestTimeoutMs, (key) => watches.dropCluster(key));
  // Cache upkeep only (no work): a deleted Cluster's Applications went before it (they are its dependents).
  clusterInformer.addEventHandler({
    onDelete: (c) => connections.forget(`${c.metadata?.namespace ?? ""}/${c.metadata?.name ?? ""}`),
  });
  const reconciler = new ApplicationController({
    applications: apps,
    clusters,
    client: manager.api.client(applicationKind),
    connections,
    watches,
    settings: opts.settings,
    hooks: opts.hooks ?? noHooks,
    clock: opts.clock ?? realClock,
    metrics: new ApplicationMetrics(opts.registry, () => watches.size),
  });
  controller = controllerFor(manager, applicationKind, { indexers: { [clusterIndex]: clustersOf } })
    .named("kubernetes-application")
    .withWorkers(opts.workers)
    .watches(clusterKind, (change: Change<Cluster>) => apps.indexKeys(clusterIndex, `${change.obj.metadata?.namespace ?? ""}/${change.obj.metadata?.name ?? ""}`))
    .complete(reconciler);
  return { controller, watches, connections };
}
