import type { Logger } from "pino";
import { pino } from "pino";
import type { Lease, LeaseSpec } from "../../../gen/krake/core/v1/lease.js";
import type { Clock, TimerHandle } from "../../client/clock.js";
import { realClock, sleep } from "../../client/clock.js";
import { status as Status } from "@grpc/grpc-js";
import { grpcCode, isConflict } from "../../client/grpc-codes.js";
import type { LeaseLock } from "./lease-lock.js";
import { timestampNow } from "../../kinds/timestamp.js";

export interface LeaderElectionTimings {
  /** How long a candidate waits, after it last saw the lease change, before taking it over. */
  leaseDurationMs: number;
  /** The leader stops acting when it has not renewed for this long; must be < leaseDurationMs. */
  renewDeadlineMs: number;
  /** Pause between attempts to acquire or renew; must be < renewDeadlineMs. */
  retryPeriodMs: number;
}

export interface LeaderElectorOptions extends LeaderElectionTimings {
  lock: LeaseLock;
  identity: string;
  clock: Clock;
  log: Logger;
  random: () => number;
  /**
   * Runs while this replica leads. `signal` aborts the moment leadership
   * ends; the promise must settle only once all acting has stopped.
   */
  onLeading(signal: AbortSignal): Promise<void>;
  /** The observed holder changed ("" = nobody). */
  onNewLeader?(identity: string): void;
}

/** Fails fast on timings that would let two replicas act at once. */
export function checkTimings(t: LeaderElectionTimings): void {
  if (!(t.leaseDurationMs >= 1000)) throw new Error("lease: duration must be at least 1000 ms (the lease counts whole seconds)");
  if (!(t.renewDeadlineMs < t.leaseDurationMs)) throw new Error("lease: renew deadline must be shorter than the lease duration");
  if (!(t.retryPeriodMs > 0 && t.retryPeriodMs < t.renewDeadlineMs)) {
    throw new Error("lease: retry period must be positive and shorter than the renew deadline");
  }
}

/**
 * Leader election over a Lease (client-go's leaderelection):
 * - a candidate takes the lease only when it is free, or when it has not
 *   changed for the lease duration as measured on the candidate's own clock
 *   since it last saw it change (no trust in other machines' clocks); it
 *   watches the lease meanwhile, so it sees each renewal as it happens;
 * - every write is conditional on the resource version read, so two
 *   candidates cannot both win;
 * - the leader renews every retry period and stops acting (aborts the
 *   leading signal) once renewDeadline has passed since the start of its last
 *   successful renewal. A candidate cannot take over before leaseDuration has
 *   passed since it saw that renewal, which is later than the start of it, so
 *   the old leader has stopped leaseDuration − renewDeadline before a new one
 *   can start;
 * - on stop it releases the lease (holder "") once acting has stopped, so a
 *   standby takes over at once instead of after the lease duration.
 */
export class LeaderElector {
  private readonly opts: LeaderElectorOptions;
  private readonly durationSeconds: number;
  private observedVersion = "";
  private observedAt = 0;
  private observedHolder = "";
  private observedDurationMs = 0;
  private leading = false;
  private lastRenew = 0;
  private current: Lease | undefined;

  constructor(opts: Partial<LeaderElectorOptions> & Pick<LeaderElectorOptions, "lock" | "identity" | "onLeading">) {
    this.opts = {
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      clock: realClock,
      log: pino({ level: "silent" }),
      random: Math.random,
      ...opts,
    };
    checkTimings(this.opts);
    if (!this.opts.identity) throw new Error("lease: an identity is required");
    this.durationSeconds = Math.ceil(this.opts.leaseDurationMs / 1000);
  }

  get identity(): string {
    return this.opts.identity;
  }

  /** The holder this replica last saw. */
  get holder(): string {
    return this.observedHolder;
  }

  /** True while this replica leads and its last renewal is within the renew deadline. */
  isLeader(): boolean {
    return this.leading && this.opts.clock.now() < this.lastRenew + this.opts.renewDeadlineMs;
  }

  /** Campaigns, leads, and campaigns again after losing, until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const { log, lock, identity } = this.opts;
    while (!signal.aborted) {
      if (!(await this.acquire(signal))) break;
      log.info({ lease: lock.describe(), identity }, "leader election: acquired the lease; leading");
      const lead = new AbortController();
      this.leading = true;
      const deadline = this.armDeadline(undefined, lead);
      const acting = this.opts.onLeading(lead.signal).catch((err: unknown) => log.error({ err }, "leader election: leading failed"));
      const lost = await this.renewWhileLeading(signal, lead, deadline);
      lead.abort(new Error(lost ? "lost the lease" : "stopping"));
      this.leading = false;
      await acting;
      if (lost) {
        log.warn({ lease: lock.describe(), identity }, "leader election: could not renew within the deadline; stopped acting");
        continue;
      }
      await this.release();
    }
  }

  /** Tries until it holds the lease; false when `signal` aborts first. */
  private async acquire(signal: AbortSignal): Promise<boolean> {
    const { clock, retryPeriodMs, random } = this.opts;
    for (;;) {
      if (signal.aborted) return false;
      const outcome = await this.attempt(signal);
      if (outcome === "holding") return true;
      if (outcome === "held") await this.waitForExpiry(signal);
      else await sleep(clock, retryPeriodMs * (1 + 0.2 * random()), signal).catch(() => undefined);
    }
  }

  /**
   * Waits until the lease may be taken: watches it, so that each renewal is
   * seen the moment it happens, and wakes up once none has been seen for
   * the lease's duration (a candidate therefore takes over within the lease
   * duration of the holder's last renewal). Without a watch (the API is
   * unreachable), it waits one retry period.
   */
  private async waitForExpiry(signal: AbortSignal): Promise<void> {
    const { clock, lock, retryPeriodMs, random } = this.opts;
    const expired = new AbortController();
    const stop = AbortSignal.any([signal, expired.signal]);
    let timer: TimerHandle | undefined;
    const arm = () => {
      timer?.cancel();
      const held = this.observedHolder && this.observedHolder !== this.opts.identity;
      const wait = held ? this.observedAt + this.observedDurationMs - clock.now() : 0;
      timer = clock.setTimer(() => expired.abort(), Math.max(0, wait) + 1);
    };
    arm();
    try {
      if (!this.observedVersion) throw new Error("nothing observed yet");
      await lock.watch(
        this.observedVersion,
        (lease, deleted) => {
          if (deleted) this.forget();
          else this.observe(lease, clock.now());
          arm();
        },
        stop,
      );
    } catch {
      // the watch ends by our own abort, or failed
    }
    timer?.cancel();
    if (stop.aborted) return;
    await sleep(clock, retryPeriodMs * (1 + 0.2 * random()), signal).catch(() => undefined);
  }

  /** Renews every retry period; resolves true when leadership was lost, false when `signal` aborted. */
  private async renewWhileLeading(signal: AbortSignal, lead: AbortController, deadline: { timer: TimerHandle }): Promise<boolean> {
    const { clock, retryPeriodMs } = this.opts;
    const stop = AbortSignal.any([signal, lead.signal]);
    for (;;) {
      try {
        await sleep(clock, retryPeriodMs, stop);
      } catch {
        deadline.timer.cancel();
        return !signal.aborted;
      }
      const outcome = await this.attempt(stop);
      if (outcome === "holding") this.armDeadline(deadline, lead);
      else if (outcome === "held" && this.observedHolder !== this.opts.identity) {
        // Another replica holds it now (this one was too late, e.g. paused): stop at once.
        deadline.timer.cancel();
        return true;
      }
    }
  }

  /** (Re)sets the timer that aborts leading at lastRenew + renewDeadline. */
  private armDeadline(deadline: { timer: TimerHandle } | undefined, lead: AbortController): { timer: TimerHandle } {
    const { clock, renewDeadlineMs } = this.opts;
    deadline?.timer.cancel();
    const timer = clock.setTimer(() => lead.abort(new Error("renew deadline passed")), this.lastRenew + renewDeadlineMs - clock.now());
    if (deadline) {
      deadline.timer = timer;
      return deadline;
    }
    return { timer };
  }

  /** One attempt: "holding" (this replica holds the lease now), "held" (another does) or "failed". */
  private async attempt(signal: AbortSignal): Promise<"holding" | "held" | "failed"> {
    const { clock, lock, identity, log } = this.opts;
    const now = clock.now();
    // A renewal must not outlive the deadline it is meant to extend.
    const deadline = this.leading ? this.lastRenew + this.opts.renewDeadlineMs : now + this.opts.renewDeadlineMs;
    const settings = { signal, deadline: Math.max(deadline, now + 1) };
    try {
      const current = await lock.get(settings);
      if (!current) {
        const created = await lock.create(this.spec(undefined, now), settings);
        this.succeeded(created, now);
        return "holding";
      }
      this.observe(current, clock.now());
      const spec = current.spec;
      const heldByOther = !!spec?.holderIdentity && spec.holderIdentity !== identity;
      if (heldByOther && this.observedAt + (spec?.leaseDurationSeconds ?? 0) * 1000 > clock.now()) return "held";
      const updated = await lock.update(current, this.spec(spec, now), settings);
      this.succeeded(updated, now);
      return "holding";
    } catch (err) {
      if (!signal.aborted) log.debug({ err, lease: lock.describe() }, "leader election: attempt failed");
      // Lost a race for the lease (conflict, or created meanwhile): someone else holds it now.
      return isConflict(err) || grpcCode(err) === Status.ALREADY_EXISTS ? "held" : "failed";
    }
  }

  private spec(previous: LeaseSpec | undefined, now: number): LeaseSpec {
    const me = this.opts.identity;
    const mine = previous?.holderIdentity === me;
    return {
      holderIdentity: me,
      leaseDurationSeconds: this.durationSeconds,
      acquireTime: mine ? previous!.acquireTime : timestampNow(now),
      renewTime: timestampNow(now),
      leaseTransitions: (previous?.leaseTransitions ?? 0) + (previous && !mine ? 1 : 0),
    };
  }

  private succeeded(lease: Lease, attemptStart: number): void {
    this.lastRenew = attemptStart;
    this.current = lease;
    this.observe(lease, attemptStart);
  }

  private observe(lease: Lease, at: number): void {
    const version = lease.metadata?.resourceVersion ?? "";
    if (version === this.observedVersion) return;
    this.observedVersion = version;
    this.observedAt = at;
    this.observedDurationMs = (lease.spec?.leaseDurationSeconds ?? 0) * 1000;
    const holder = lease.spec?.holderIdentity ?? "";
    if (holder !== this.observedHolder) {
      this.observedHolder = holder;
      this.opts.onNewLeader?.(holder);
    }
  }

  /** The lease is gone: nobody holds it. */
  private forget(): void {
    this.observedVersion = "";
    if (this.observedHolder) {
      this.observedHolder = "";
      this.opts.onNewLeader?.("");
    }
  }

  /** Gives the lease up, so that a standby need not wait for it to expire. */
  private async release(): Promise<void> {
    const { lock, log, clock } = this.opts;
    const current = this.current;
    if (!current?.spec || current.spec.holderIdentity !== this.opts.identity) return;
    try {
      const released = await lock.update(current, { ...current.spec, holderIdentity: "", renewTime: timestampNow(clock.now()) }, {
        deadline: Date.now() + 2_000,
      });
      this.observe(released, clock.now());
      log.info({ lease: lock.describe() }, "leader election: released the lease");
    } catch (err) {
      log.warn({ err, lease: lock.describe() }, "leader election: could not release the lease; it expires by itself");
    }
  }
}
