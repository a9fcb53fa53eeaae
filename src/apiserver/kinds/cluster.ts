import {
  CloudBinding,
  Cluster,
  ClusterServiceService,
  ClusterStatus,
  clusterStatus_StateToJSON,
} from "../../../gen/krake/kubernetes/v1/cluster.js";
import type { KindDescription, Subresource } from "../registry/kind.js";
import { validateCluster } from "../registry/validation/cluster.js";
import { addOwner, rejectIfDeleting, requireRef } from "./owners.js";
import { withMetadata } from "./validate.js";

const binding: Subresource<Cluster> = {
  name: "binding",
  verb: "Bind",
  bodyField: "binding",
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

export const clusterKind: KindDescription<Cluster> = {
  api: "kubernetes",
  kind: "Cluster",
  plural: "clusters",
  namespaced: true,
  codec: Cluster,
  service: ClusterServiceService,
  emptyStatus: () => ClusterStatus.fromPartial({}),
  stateName: (c) => (c.status ? clusterStatus_StateToJSON(c.status.state) : undefined),
  subresources: [binding],
  prepareForCreate(cluster) {
    const spec = cluster.spec;
    if (!spec) return;
    spec.constraints ??= { cloud: undefined };
    spec.constraints.cloud ??= { labels: [], metrics: [] };
    spec.backoff ??= 1;
    spec.backoffDelay ??= 1;
    spec.backoffLimit ??= -1;
  },
  validate: withMetadata(true, validateCluster),
};
