import { Reason_Code } from "../../../gen/krake/core/v1/types.js";
import type { Reason } from "../../../gen/krake/core/v1/types.js";
import { ClusterNode, ClusterStatus, ClusterStatus_State as State } from "../../../gen/krake/kubernetes/v1/cluster.js";
import type { Cluster } from "../../../gen/krake/kubernetes/v1/cluster.js";

/**
 * What a cluster's observer knows about its member cluster (node-observer.ts):
 *
 * - `starting`: nothing yet (the first list has not answered); the status is left alone, so that a
 *   controller restart never flaps it;
 * - `listed`: the nodes were listed and the custom resources checked, the watch is opening;
 * - `watching`: the watch is open (and the periodic probe answers);
 * - `unreachable`: the last list, watch or probe failed (`failure` says how); retried with backoff.
 */
export interface Observation {
  readonly phase: "starting" | "listed" | "watching" | "unreachable";
  /** Sorted by name; undefined until the first list answered (then the last known, also while unreachable). */
  readonly nodes: readonly ClusterNode[] | undefined;
  readonly failure: Reason | undefined;
  /** Entries of spec.custom_resources the cluster does not serve, each with why ("x.example.com (not found)"). */
  readonly missingCustomResources: readonly string[];
}

/**
 * States in which the cluster is someone else's: the infrastructure controller is creating or
 * reconfiguring it, or it failed for good. No observer runs and its status is not written.
 */
const notObservedStates = new Set([State.CREATING, State.RECONCILING, State.DELETING, State.FAILED]);

/** Why a cluster is not observed (no observer runs for it), or undefined when it is. */
export function notObservedBecause(cluster: Cluster): string | undefined {
  if (cluster.metadata?.deleted !== undefined) return "in deletion";
  const state = cluster.status?.state ?? State.PENDING;
  if (notObservedStates.has(state)) return `state ${State[state]}`;
  const kubeconfig = cluster.spec?.kubeconfig;
  if (!kubeconfig || Object.keys(kubeconfig).length === 0) return "no kubeconfig";
  return undefined;
}

/**
 * The state the member cluster's nodes and custom resources call for, by precedence:
 * NOTREADY (a node whose Ready condition is missing or not True: it cannot run anything),
 * UNHEALTHY (a node with a `*Pressure` condition True), DEGRADED (a custom resource of
 * spec.custom_resources is not served: see `desiredStatus`), else ONLINE. A cluster without
 * nodes is ONLINE, as in Krake.
 */
export function healthState(nodes: readonly ClusterNode[], missingCustomResources: readonly string[]): State {
  const conditions = (n: ClusterNode) => n.status?.conditions ?? [];
  if (nodes.some((n) => !conditions(n).some((c) => c.type === "Ready" && c.status === "True"))) return State.NOTREADY;
  if (nodes.some((n) => conditions(n).some((c) => c.type.endsWith("Pressure") && c.status === "True"))) return State.UNHEALTHY;
  if (missingCustomResources.length > 0) return State.DEGRADED;
  return State.ONLINE;
}

/**
 * The status that `cluster` should have given what its observer saw, or undefined when the stored
 * status already says so (nothing to write). Level-based: it depends only on the stored status and
 * the observation, never on the events that led there.
 *
 * - unreachable → OFFLINE, `reason` the failure (CLUSTER_NOT_REACHABLE, or KUBERNETES_ERROR when the
 *   cluster answered with an error such as 401/403);
 * - reachable again after OFFLINE → CONNECTING first, then, once the watch is open and the next
 *   look confirms it, the health state (Krake's OFFLINE → CONNECTING → ONLINE);
 * - otherwise the health state (`healthState`), with two rules: FAILING_METRICS (the scheduler's,
 *   when a metric of the cluster fails) stays while the cluster is otherwise ONLINE, and a custom
 *   resource of spec.custom_resources that the cluster does not serve makes it DEGRADED with reason
 *   INVALID_CUSTOM_RESOURCE naming each one, since Applications asking for it would be placed there
 *   and fail (the scheduler places on ONLINE clusters only);
 * - `nodes` as last observed (kept while unreachable); `metrics_reasons` is never touched;
 * - `reason` is cleared in the healthy states, kept with FAILING_METRICS.
 */
export function desiredStatus(cluster: Cluster, obs: Observation): ClusterStatus | undefined {
  if (obs.phase === "starting") return undefined;
  const stored = ClusterStatus.fromPartial(cluster.status ?? {});
  const nodes = obs.nodes ? obs.nodes.map((n) => ClusterNode.fromPartial(n)) : stored.nodes;
  let state: State;
  let reason: Reason | undefined;
  if (obs.phase === "unreachable") {
    state = State.OFFLINE;
    reason = obs.failure ?? { code: Reason_Code.CLUSTER_NOT_REACHABLE, message: "the cluster is not reachable" };
  } else if (stored.state === State.OFFLINE || (stored.state === State.CONNECTING && obs.phase === "listed")) {
    state = State.CONNECTING;
  } else {
    state = healthState(nodes, obs.missingCustomResources);
    if (state === State.ONLINE && stored.state === State.FAILING_METRICS) {
      state = State.FAILING_METRICS;
      reason = stored.reason;
    } else if (state === State.DEGRADED) {
      reason = {
        code: Reason_Code.INVALID_CUSTOM_RESOURCE,
        message: `the cluster does not serve every custom resource of spec.custom_resources: ${obs.missingCustomResources.join(", ")}`,
      };
    }
  }
  const generation = cluster.metadata?.generation ?? stored.observedGeneration;
  const next: ClusterStatus = { ...stored, state, reason, nodes, observedGeneration: generation };
  return sameObservedStatus(stored, next) ? undefined : next;
}

/** Equal in what the observer writes (state, reason, nodes, observed generation); kube_controller_triggered aside. */
export function sameObservedStatus(a: ClusterStatus, b: ClusterStatus): boolean {
  return (
    a.state === b.state &&
    a.observedGeneration === b.observedGeneration &&
    (a.reason?.code ?? 0) === (b.reason?.code ?? 0) &&
    (a.reason?.message ?? "") === (b.reason?.message ?? "") &&
    nodesJson(a.nodes) === nodesJson(b.nodes)
  );
}

function nodesJson(nodes: readonly ClusterNode[]): string {
  return JSON.stringify(nodes.map((n) => ClusterNode.toJSON(ClusterNode.fromPartial(n))));
}
