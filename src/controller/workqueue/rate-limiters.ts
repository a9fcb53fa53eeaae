import type { Clock } from "../../client/clock.js";
import { realClock } from "../../client/clock.js";

/**
 * Decides how long a key waits before it is retried. `when` is called once
 * per retry and may count it; `forget` ends the key's history (on success);
 * `numRequeues` says how many retries it has had.
 */
export interface RateLimiter<K = string> {
  when(key: K): number;
  forget(key: K): void;
  numRequeues(key: K): number;
}

export interface ExponentialOptions {
  /** Delay of the first retry. */
  baseDelayMs: number;
  /** No delay is longer than this. */
  maxDelayMs: number;
  /**
   * Up to this fraction of each delay is taken off at random, so keys that
   * failed together do not retry together. 0 = none.
   */
  jitter: number;
  /** Uniform in [0, 1); injectable for tests. */
  random: () => number;
}

/** Per key: base · 2^(failures) with jitter, capped; forgotten on success. */
export class ExponentialFailureRateLimiter<K = string> implements RateLimiter<K> {
  private readonly failures = new Map<K, number>();
  private readonly opts: ExponentialOptions;

  constructor(opts: Partial<ExponentialOptions> = {}) {
    this.opts = { baseDelayMs: 5, maxDelayMs: 300_000, jitter: 0.1, random: Math.random, ...opts };
    if (!(this.opts.baseDelayMs > 0) || this.opts.maxDelayMs < this.opts.baseDelayMs) {
      throw new Error("rate limiter: need 0 < baseDelayMs <= maxDelayMs");
    }
    if (this.opts.jitter < 0 || this.opts.jitter >= 1) throw new Error("rate limiter: jitter must be in [0, 1)");
  }

  when(key: K): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    // 2^n overflows to Infinity for large n, which the cap absorbs.
    const delay = Math.min(this.opts.maxDelayMs, this.opts.baseDelayMs * 2 ** n);
    return delay * (1 - this.opts.jitter * this.opts.random());
  }

  forget(key: K): void {
    this.failures.delete(key);
  }

  numRequeues(key: K): number {
    return this.failures.get(key) ?? 0;
  }
}

export interface TokenBucketOptions {
  /** Tokens added per second. */
  qps: number;
  /** Bucket size: how many retries may go at once. */
  burst: number;
  clock: Clock;
}

/**
 * One bucket for all keys: bounds the overall retry rate. Each `when`
 * reserves a token and returns how long until it is available.
 */
export class TokenBucketRateLimiter<K = string> implements RateLimiter<K> {
  private tokens: number;
  private last: number;
  private readonly opts: TokenBucketOptions;

  constructor(opts: Partial<TokenBucketOptions> = {}) {
    this.opts = { qps: 10, burst: 100, clock: realClock, ...opts };
    if (!(this.opts.qps > 0) || !(this.opts.burst >= 1)) throw new Error("rate limiter: need qps > 0 and burst >= 1");
    this.tokens = this.opts.burst;
    this.last = this.opts.clock.now();
  }

  when(_key: K): number {
    const now = this.opts.clock.now();
    this.tokens = Math.min(this.opts.burst, this.tokens + ((now - this.last) * this.opts.qps) / 1000);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens * 1000) / this.opts.qps;
  }

  forget(_key: K): void {}

  numRequeues(_key: K): number {
    return 0;
  }
}

/** The longest delay of several limiters (each one is asked and counts). */
export class MaxOfRateLimiter<K = string> implements RateLimiter<K> {
  private readonly limiters: RateLimiter<K>[];

  constructor(...limiters: RateLimiter<K>[]) {
    if (limiters.length === 0) throw new Error("rate limiter: MaxOf needs at least one limiter");
    this.limiters = limiters;
  }

  when(key: K): number {
    return Math.max(...this.limiters.map((l) => l.when(key)));
  }

  forget(key: K): void {
    for (const l of this.limiters) l.forget(key);
  }

  numRequeues(key: K): number {
    return Math.max(...this.limiters.map((l) => l.numRequeues(key)));
  }
}

/** client-go's controller default: per-key 5 ms … 1000 s backoff, and 10 qps / burst 100 overall. */
export function defaultControllerRateLimiter<K = string>(clock: Clock = realClock): RateLimiter<K> {
  return new MaxOfRateLimiter<K>(
    new ExponentialFailureRateLimiter<K>({ baseDelayMs: 5, maxDelayMs: 1_000_000 }),
    new TokenBucketRateLimiter<K>({ qps: 10, burst: 100, clock }),
  );
}
