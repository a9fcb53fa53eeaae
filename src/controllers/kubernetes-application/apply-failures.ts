/**
 * Krake's backoff for a failed apply: DEGRADED with `retries` and the
 * reason (CLUSTER_NOT_REACHABLE when the cluster did not answer,
 * KUBERNETES_ERROR with its message when it refused), tried again after
 * backoff_delay · backoff seconds, FAILED past backoff_limit (-1: never).
 * When the retry is due is kept in memory only: after a restart it is due
 * at once.
 */
import type { Application } from "../../../gen/krake/kubernetes/v1/application.js";
import { ApplicationStatus_State as State, applicationStatus_StateToJSON } from "../../../gen/krake/kubernetes/v1/application.js";
import { Reason_Code } from "../../../gen/krake/core/v1/types.js";
import type { ReconcileContext, Result } from "../../controller/reconcile.js";
import { ClusterUnreachableError } from "../../kubernetes/cluster-resources.js";
import { isRetriedError, retryDelayMs, statusOf } from "./app-status.js";
import type { ApplicationControllerDeps } from "./target.js";

export class ApplyFailures {
  private readonly retryAt = new Map<string, number>();

  constructor(private readonly d: ApplicationControllerDeps) {}

  /** How long `app` must still wait before its failed apply is tried again (0: now). A spec change cuts it short. */
  waitFor(key: string, app: Application): number {
    const status = app.status;
    if (!isRetriedError(status) || status?.observedGeneration !== app.metadata?.generation) return 0;
    return Math.max(0, (this.retryAt.get(key) ?? 0) - this.d.clock.now());
  }

  succeeded(key: string): void {
    this.retryAt.delete(key);
  }

  async record(ctx: ReconcileContext, key: string, app: Application, err: unknown): Promise<Result | void> {
    const status = statusOf(app);
    const unreachable = err instanceof ClusterUnreachableError;
    const limit = app.spec?.backoffLimit ?? -1;
    status.retries = (status.retries ?? 0) + 1;
    status.state = limit !== -1 && status.retries > limit ? State.FAILED : State.DEGRADED;
    status.reason = { code: unreachable ? Reason_Code.CLUSTER_NOT_REACHABLE : Reason_Code.KUBERNETES_ERROR, message: err instanceof Error ? err.message : String(err) };
    // A FAILED Application stays so until its spec changes.
    status.observedGeneration = app.metadata!.generation;
    this.d.metrics.applied(unreachable ? "unreachable" : "refused");
    const delay = retryDelayMs(app);
    this.retryAt.set(key, this.d.clock.now() + delay);
    ctx.log.warn({ app: key, state: applicationStatus_StateToJSON(status.state), retries: status.retries, reason: status.reason.message }, "apply failed");
    await this.d.client.updateStatus({ ...app, status }, { signal: ctx.signal });
    return status.state === State.FAILED ? undefined : { requeueAfter: delay };
  }
}
