import { CloudBinding, ClusterStatus } from "../../../gen/krake/kubernetes/v1/cluster.js";
import type { Cluster } from "../../../gen/krake/kubernetes/v1/cluster.js";
import { clusterKind as generated } from "../../kinds/index.js";
import { validateCluster } from "../registry/validation/cluster.js";
import { addOwner, rejectIfDeleting, requireRef } from "./owners.js";
import { serverKind } from "./server-kind.js";
import type { SubresourceHooks } from "./server-kind.js";

const binding: SubresourceHooks<Cluster> = {
  apply(cluster, body, now) {
    const ref = requireRef((body as CloudBinding | undefined)?.cloud, "binding.cloud", "Cluster", cluster.metadata!.name);
    rejectIfDeleting(cluster.metadata!, "bind a Cluster");
    const status = (cluster.status ??= ClusterStatus.fromPartial({}));
    status.scheduled = now;
    status.scheduledTo = ref;
    addOwner(cluster.metadata!, ref);
    return cluster;
  },
};

export const clusterKind = serverKind<Cluster>(generated, {
  subresources: { binding },
  prepareForCreate(cluster) {
    const spec = cluster.spec;
    if (!spec) return;
    spec.constraints ??= { cloud: undefined };
    spec.constraints.cloud ??= { labels: [], metrics: [] };
    spec.backoff ??= 1;
    spec.backoffDelay ??= 1;
    spec.backoffLimit ??= -1;
  },
  validate: validateCluster,
});
