/**
 * One cluster an Application is (to be) applied to: the Cluster, its
 * connection, and the manifest for it after the hooks; and what an apply
 * there makes of the status.
 */
import type { Application, ApplicationStatus } from "../../../gen/krake/kubernetes/v1/application.js";
import type { Cluster } from "../../../gen/krake/kubernetes/v1/cluster.js";
import type { ResourceRef } from "../../../gen/krake/core/v1/types.js";
import type { Clock } from "../../client/clock.js";
import type { KindClient } from "../../client/kind-client.js";
import type { Indexer } from "../../controller/informer/indexer.js";
import type { ReconcileContext } from "../../controller/reconcile.js";
import type { ClusterResources } from "../../kubernetes/cluster-resources.js";
import { ClusterUnreachableError } from "../../kubernetes/cluster-resources.js";
import { manifestOf, refKeyOf, statusOf } from "./app-status.js";
import { clusterKey } from "./cluster-connections.js";
import type { ClusterConnections } from "./cluster-connections.js";
import type { Deployed } from "./deploy.js";
import type { ApplicationMetrics } from "./application-metrics.js";
import type { ApplicationHooks } from "./hooks.js";
import { mangledObserverSchema } from "./manifest/index.js";
import type { Manifest } from "./manifest/index.js";
import type { ClusterWatches } from "./observe/cluster-watches.js";
import { watchedResources } from "./observe/observation.js";
import { apiHost, serviceEndpoints } from "./observe/services.js";
import { summarizeWorkloads } from "./observe/workload-state.js";
import type { ApplicationSettings } from "./settings.js";

/** What every step of the controller works with. */
export interface ApplicationControllerDeps {
  applications: Indexer<Application>;
  clusters: Indexer<Cluster>;
  client: KindClient<Application>;
  connections: ClusterConnections;
  watches: ClusterWatches;
  settings: ApplicationSettings;
  hooks: ApplicationHooks;
  clock: Clock;
  metrics: ApplicationMetrics;
}

export interface Target {
  ref: ResourceRef;
  cluster: Cluster;
  conn: ClusterResources;
  /** spec.manifest after the hooks' prepareManifest. */
  desired: Manifest[];
  /** status.mangled_observer_schema for it. */
  schema: Manifest[];
}

/**
 * The target `ref` of `app`; undefined when the Cluster is not (yet) in the
 * cache (its arrival brings the Application back). A kubeconfig that cannot
 * be used is a ClusterUnreachableError.
 */
export async function resolveTarget(d: ApplicationControllerDeps, ctx: ReconcileContext, app: Application, ref: ResourceRef, status: ApplicationStatus): Promise<Target | undefined> {
  const cluster = d.clusters.get(refKeyOf(ref));
  if (!cluster) {
    ctx.log.info({ app: `${app.metadata?.namespace}/${app.metadata?.name}`, cluster: refKeyOf(ref) }, "cluster not found; waiting for it");
    return undefined;
  }
  let conn: ClusterResources;
  try {
    conn = d.connections.connect(cluster);
  } catch (err) {
    throw new ClusterUnreachableError(`cluster ${ref.name}: ${(err as Error).message}`);
  }
  const desired = await d.hooks.prepareManifest(app, cluster, manifestOf(app), status);
  const schema = mangledObserverSchema(desired, (app.spec?.observerSchema ?? []) as Manifest[]);
  return { ref, cluster, conn, desired, schema };
}

/** The status after a successful apply on `t` (running_on is the caller's to set). */
export function deployedStatus(app: Application, t: Target, deployed: Deployed): ApplicationStatus {
  const summary = summarizeWorkloads(deployed.objects);
  const next = statusOf(app);
  next.state = summary.state;
  next.reason = undefined;
  next.retries = 0;
  next.containerHealth = summary.containerHealth;
  next.mangledObserverSchema = t.schema;
  next.lastAppliedManifest = deployed.lastApplied;
  next.lastObservedManifest = deployed.lastObserved;
  next.services = serviceEndpoints(deployed.objects, apiHost(t.conn.server));
  next.observedGeneration = app.metadata!.generation;
  return next;
}

/** From now on a change of the target's resources brings `key` back. */
export async function watchTarget(d: ApplicationControllerDeps, key: string, t: Target): Promise<void> {
  try {
    const watched = await watchedResources(clusterKey(t.ref.namespace ?? "", t.ref.name), t.conn, t.desired);
    d.watches.observe(key, watched, () => t.conn);
  } catch {
    // Discovery failed (the cluster went away): the next reconcile registers them.
  }
}
