/**
 * `--wait STATE`: after a write, follow the object through a watch that starts
 * at the write's resource version (so no change is missed) until its
 * status.state is STATE, or until it is gone for "DELETED". A spinner shows
 * the current state on a terminal; the elapsed time goes to stderr.
 */
import { ApiError, Status } from "../errors/api-error.js";
import type { CliContext } from "./context.js";
import { CliError, ExitCode } from "./errors.js";
import type { KindInfo, KrakeObject } from "./kinds.js";
import { Spinner } from "./spinner.js";

export const deletedState = "DELETED";

/** The options of addWait (commands/options.ts). */
export interface WaitOptions {
  /** `true` for a bare `--wait`, "" for `--wait=`; else the state. */
  wait?: string | boolean;
  timeout: number;
}

/** The state `--wait` asks for, upper-cased and checked against the kind's states. */
export function waitTarget<T extends KrakeObject>(kind: KindInfo<T>, opts: WaitOptions, defaultState: string, allowDeleted: boolean): string | undefined {
  if (opts.wait === undefined || opts.wait === false) return undefined;
  const state = opts.wait === true || opts.wait === "" ? defaultState : opts.wait.toUpperCase();
  const allowed = [...(kind.states ?? []), ...(allowDeleted ? [deletedState] : [])];
  if (!allowed.includes(state)) {
    throw CliError.usage(`--wait: unknown state "${opts.wait}" for ${kind.kind} (one of: ${allowed.map((s) => s.toLowerCase()).join(", ")})`);
  }
  return state;
}

/**
 * Resolves with the object in `target` state (for DELETED: its last state, or
 * undefined if it was already gone); fails with exit code 8 after `timeoutS`.
 */
export async function waitForState<T extends KrakeObject>(
  ctx: CliContext,
  kind: KindInfo<T>,
  written: T,
  target: string,
  timeoutS: number,
): Promise<T | undefined> {
  const name = written.metadata?.name ?? "";
  const namespace = written.metadata?.namespace ?? "";
  const client = ctx.transport.resource(kind);
  const what = `${kind.kind} '${name}'`;
  let current = written;
  if (target === deletedState) {
    try {
      current = await client.get(namespace, name);
    } catch (err) {
      if (err instanceof ApiError && err.code === Status.NOT_FOUND) return report(ctx, `${what} is deleted`, undefined, 0);
      throw err;
    }
  } else if (kind.state?.(current) === target) {
    return current;
  }
  const stateOf = (o: T) => kind.state?.(o) ?? "unknown";
  const spinner = new Spinner(ctx.stderr, () => `waiting for ${what} to be ${target.toLowerCase()}: ${stateOf(current)}`);
  const watch = client.watch({
    namespace: kind.namespaced ? namespace : undefined,
    resourceVersion: current.metadata?.resourceVersion ?? "",
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    watch.cancel();
  }, timeoutS * 1000);
  spinner.start();
  try {
    for await (const ev of watch) {
      if (ev.object.metadata?.name !== name || ev.type === "BOOKMARK") continue;
      current = ev.object;
      if (ev.type === "DELETED") {
        if (target === deletedState) return report(ctx, `${what} is deleted`, current, spinner);
        throw new CliError(`${what} was deleted while waiting for state ${target}`, ExitCode.notFound);
      }
      if (target !== deletedState && stateOf(current) === target) return report(ctx, `${what} is ${target}`, current, spinner);
    }
    if (timedOut) {
      throw CliError.timeout(`timed out after ${timeoutS} s waiting for ${what} to be ${target.toLowerCase()} (state: ${stateOf(current)})`);
    }
    throw ApiError.unavailable(`the watch on ${what} ended before it reached ${target}`);
  } finally {
    clearTimeout(timer);
    spinner.stop();
    watch.cancel();
  }
}

function report<T>(ctx: CliContext, message: string, object: T, spinner: Spinner | 0): T {
  if (spinner) {
    spinner.stop();
    ctx.stderr.write(`${message} after ${spinner.elapsed()}\n`);
  } else {
    ctx.stderr.write(`${message}\n`);
  }
  return object;
}
