import type { Logger } from "pino";

/**
 * What a reconcile call gets besides its key. `signal` aborts when this
 * replica must stop acting (it lost the lease, or the process is stopping):
 * pass it to every API call and stop early when it fires.
 */
export interface ReconcileContext {
  readonly signal: AbortSignal;
  readonly log: Logger;
}

/**
 * The outcome of a successful reconcile. Empty: done, until an event brings
 * the key back. `requeueAfter`: look again after that long (polling an
 * external system), without counting it as a failure.
 */
export interface Result {
  requeueAfter?: number;
}

/**
 * A controller's logic. Reconciliation is level-based: the key only says
 * which object to look at; the reconciler reads the object's current state
 * (from the informer cache) and moves the world towards it, so a missed or
 * merged event is harmless. It must be idempotent: it can run again for the
 * same state at any time (a restart, a new leader, a resync).
 *
 * Errors: a thrown error retries the key with per-key backoff; an error
 * wrapped by `terminalError` is logged and not retried (retrying cannot help,
 * e.g. the object is invalid); a conflict on a resource_version precondition
 * should simply be thrown, so the key is retried against fresh state.
 */
export interface Reconciler {
  reconcile(ctx: ReconcileContext, key: string): Promise<Result | void>;
}

/** An error that retrying will not fix. */
export class TerminalError extends Error {
  override readonly cause: unknown;

  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = "TerminalError";
    this.cause = cause;
  }
}

/** Marks an error as not worth retrying. */
export function terminalError(err: unknown): TerminalError {
  return err instanceof TerminalError ? err : new TerminalError(err);
}

export function isTerminal(err: unknown): err is TerminalError {
  return err instanceof TerminalError;
}
