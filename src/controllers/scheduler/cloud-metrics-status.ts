import { CloudStatus, CloudStatus_State as State } from "../../../gen/krake/infrastructure/v1/cloud.js";
import type { Cloud, GlobalCloud } from "../../../gen/krake/infrastructure/v1/cloud.js";
import type { Reason } from "../../../gen/krake/core/v1/types.js";
import { isConflict } from "../../client/grpc-codes.js";
import type { KindClient } from "../../client/kind-client.js";
import { sameReasonCodes } from "./cluster-metrics-status.js";

/**
 * The status a cloud should have once its metrics were read (`reasons`: the
 * metrics that failed, by name), or undefined when the stored one already
 * says so. Krake's rule, as for clusters: a failing metric makes the cloud
 * FAILING_METRICS with `metrics_reasons` (left out of cluster placement),
 * metrics that read again make it ONLINE with the reasons cleared. A cloud
 * has no other state and no other writer; one in deletion is left alone.
 */
export function cloudMetricsStatus(cloud: Cloud | GlobalCloud, reasons: Readonly<Record<string, Reason>>): CloudStatus | undefined {
  if (cloud.metadata?.deleted !== undefined) return undefined;
  const stored = CloudStatus.fromPartial(cloud.status ?? {});
  if (Object.keys(reasons).length > 0) {
    if (stored.state === State.FAILING_METRICS && sameReasonCodes(stored.metricsReasons, reasons)) return undefined;
    return { ...stored, state: State.FAILING_METRICS, metricsReasons: { ...reasons } };
  }
  if (stored.state === State.ONLINE && Object.keys(stored.metricsReasons).length === 0) return undefined;
  return { ...stored, state: State.ONLINE, metricsReasons: {} };
}

/**
 * Writes a cloud's FAILING_METRICS or ONLINE (see `cloudMetricsStatus`)
 * through its `status` subresource, with the resource_version it judged as
 * precondition, and resolves with the cloud as it now stands. A lost race
 * resolves with the cloud as given: the other write's event brings the
 * clusters waiting for a cloud back, and their placement reports again.
 */
export async function reportCloudMetrics<T extends Cloud | GlobalCloud>(
  client: Pick<KindClient<T>, "updateStatus">,
  cloud: T,
  reasons: Readonly<Record<string, Reason>>,
  signal: AbortSignal,
): Promise<T> {
  const status = cloudMetricsStatus(cloud, reasons);
  if (status === undefined) return cloud;
  try {
    return await client.updateStatus({ ...cloud, status }, { signal });
  } catch (err) {
    if (isConflict(err)) return cloud;
    throw err;
  }
}
