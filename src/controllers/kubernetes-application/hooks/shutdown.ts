/**
 * The shutdown hook in the deletion path (Krake's _trigger_application_shutdown
 * and what follows), level-based: it runs inside the controller's reconcile,
 * keeps its deadline in `status.shutdown_grace_period`, and waits through
 * `requeueAfter` and events instead of a background task (Krake's task is
 * lost with the process, and the app then stays WAITING_FOR_CLEANING forever).
 *
 * An Application in deletion with the `shutdown` hook:
 * - READY_FOR_ACTION (the application called the `shutdown` subresource with
 *   its token), DELETING or FAILED → the resources may go;
 * - WAITING_FOR_CLEANING (set by the API on DELETE, or `retry`) → attempts:
 *   each sets the grace period (now + shutdown_grace_time), then calls
 *   `PUT http://<services["shutdown"]>/shutdown`, and waits until the grace
 *   period ends — the application's call back ends the wait at once. After
 *   shutdown_retry_count + 1 attempts, shutdown_failure_strategy decides:
 *   `delete` → DELETING and the resources go; `give_up` → DEGRADED with a
 *   reason, held until the user calls `retry`.
 * - nothing running (no `running_on`) → nobody to tell: the resources go.
 * - any other state → WAITING_FOR_CLEANING first (what the API does on DELETE).
 *
 * Attempts are counted in memory; after a restart, an unexpired grace period
 * counts as one attempt made, so a restart may grant an extra attempt, never
 * take one away.
 */
import { Reason_Code } from "../../../../gen/krake/core/v1/types.js";
import type { Application } from "../../../../gen/krake/kubernetes/v1/application.js";
import { ApplicationStatus_State as State } from "../../../../gen/krake/kubernetes/v1/application.js";
import type { Clock } from "../../../client/clock.js";
import type { ReconcileContext } from "../../../controller/reconcile.js";
import type { ShutdownHookSettings } from "./settings.js";
import { httpShutdownCall, shutdownUrl } from "./shutdown-call.js";
import type { ShutdownCall } from "./shutdown-call.js";
import { timestampNow, timestampToMillis } from "../../../kinds/timestamp.js";

export type ShutdownDecision =
  /** Delete the resources now. */
  | { proceed: true }
  /**
   * Not yet: the timer brings the Application back after `requeueAfter` ms,
   * or (0) an event does — the status this call wrote, the application's
   * call back, the user's `retry`.
   */
  | { proceed: false; requeueAfter: number };

export interface ShutdownGateOptions {
  settings: ShutdownHookSettings;
  /** Writes the Application's status (the generic client's updateStatus). */
  updateStatus(app: Application, signal: AbortSignal): Promise<Application>;
  clock: Clock;
  call?: ShutdownCall;
}

/** Marks the reason of a give_up, so that a deleted DEGRADED Application is held only for that. */
const GIVE_UP_MARK = 'shutdown_failure_strategy "give_up"';

interface Attempts {
  made: number;
  lastError?: string;
}

export class ShutdownGate {
  private readonly attempts = new Map<string, Attempts>();
  private readonly call: ShutdownCall;

  constructor(private readonly opts: ShutdownGateOptions) {
    this.call = opts.call ?? httpShutdownCall;
  }

  /** Whether the Application's deletion goes through this gate at all. */
  static applies(app: Application): boolean {
    return (app.spec?.hooks ?? []).includes("shutdown");
  }

  /** Called by the deletion path, before the resources are deleted, for an Application in deletion. */
  async beforeDelete(ctx: ReconcileContext, app: Application): Promise<ShutdownDecision> {
    const uid = app.metadata?.uid ?? "";
    const status = app.status;
    const state = status?.state ?? State.PENDING;
    // FAILED: the API does not ask a FAILED Application to shut down on DELETE (Krake 1.0.1's release notes), nor does the gate.
    const through = [State.READY_FOR_ACTION, State.DELETING, State.DELETED, State.FAILED];
    if (!ShutdownGate.applies(app) || through.includes(state)) {
      this.attempts.delete(uid);
      return { proceed: true };
    }
    if (!status?.runningOn) {
      this.attempts.delete(uid);
      return { proceed: true };
    }
    if (state === State.DEGRADED && status.reason?.code === Reason_Code.DELETE_FAILED && status.reason.message.includes(GIVE_UP_MARK)) {
      return { proceed: false, requeueAfter: 0 };
    }
    if (state !== State.WAITING_FOR_CLEANING) {
      await this.write(ctx, app, (s) => {
        s.state = State.WAITING_FOR_CLEANING;
        s.shutdownGracePeriod = undefined;
      });
      this.attempts.delete(uid);
      return { proceed: false, requeueAfter: 0 };
    }
    return this.waitingForCleaning(ctx, app);
  }

  private async waitingForCleaning(ctx: ReconcileContext, app: Application): Promise<ShutdownDecision> {
    const uid = app.metadata!.uid;
    const spec = app.spec!;
    const graceMs = (spec.shutdownGraceTime ?? this.opts.settings.timeout) * 1000;
    const maxAttempts = (spec.shutdownRetryCount ?? this.opts.settings.failureRetryCount) + 1;
    const grace = app.status!.shutdownGracePeriod;
    const deadline = grace && timestampToMillis(grace);
    const now = this.opts.clock.now();
    const attempts = this.attempts.get(uid) ?? { made: deadline !== undefined ? 1 : 0 };
    this.attempts.set(uid, attempts);
    if (deadline !== undefined && now < deadline) return { proceed: false, requeueAfter: deadline - now };
    if (attempts.made >= maxAttempts) return this.failed(ctx, app, attempts);

    const fresh = attempts.made === 0;
    const written = await this.write(ctx, app, (s) => {
      s.shutdownGracePeriod = timestampNow(now + graceMs);
      if (fresh) s.reason = undefined;
    });
    attempts.made += 1;
    const url = shutdownUrl(written);
    ctx.log.info({ app: `${app.metadata!.namespace}/${app.metadata!.name}`, attempt: attempts.made, of: maxAttempts, url }, "asking the application to shut down");
    if (url === undefined) {
      attempts.lastError = 'the application exposes no Service named "shutdown" (status.services.shutdown)';
    } else {
      try {
        await this.call(url, AbortSignal.any([ctx.signal, AbortSignal.timeout(this.opts.settings.requestTimeoutMs)]));
        attempts.lastError = undefined;
      } catch (err) {
        if (ctx.signal.aborted) throw err;
        attempts.lastError = (err as Error).message;
      }
    }
    if (attempts.lastError) ctx.log.warn({ app: `${app.metadata!.namespace}/${app.metadata!.name}`, error: attempts.lastError }, "shutdown call failed");
    return { proceed: false, requeueAfter: Math.max(1, graceMs) };
  }

  private async failed(ctx: ReconcileContext, app: Application, attempts: Attempts): Promise<ShutdownDecision> {
    const uid = app.metadata!.uid;
    const strategy = app.spec?.shutdownFailureStrategy || this.opts.settings.failureStrategy;
    const why = `The application did not confirm its shutdown within ${attempts.made} attempt(s)${attempts.lastError ? ` (last: ${attempts.lastError})` : ""}`;
    this.attempts.delete(uid);
    if (strategy === "give_up") {
      await this.write(ctx, app, (s) => {
        s.state = State.DEGRADED;
        s.shutdownGracePeriod = undefined;
        s.reason = { code: Reason_Code.DELETE_FAILED, message: `${why}; its resources are kept (${GIVE_UP_MARK}): retry to try again.` };
      });
      return { proceed: false, requeueAfter: 0 };
    }
    // DELETING, with the reason; the event of this write brings the Application back, and DELETING proceeds.
    await this.write(ctx, app, (s) => {
      s.state = State.DELETING;
      s.shutdownGracePeriod = undefined;
      s.reason = { code: Reason_Code.DELETE_FAILED, message: `${why}; its resources are deleted (shutdown_failure_strategy "delete").` };
    });
    return { proceed: false, requeueAfter: 0 };
  }

  private async write(ctx: ReconcileContext, app: Application, change: (s: NonNullable<Application["status"]>) => void): Promise<Application> {
    const copy = structuredClone(app);
    change(copy.status!);
    return this.opts.updateStatus(copy, ctx.signal);
  }

  /** Forgets an Application that is gone (the controller calls it on its deletion). */
  forget(uid: string): void {
    this.attempts.delete(uid);
  }
}
