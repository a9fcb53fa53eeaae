import type { Clock } from "../../client/clock.js";
import { realClock } from "../../client/clock.js";
import { DelayingQueue } from "./delaying-queue.js";
import { defaultControllerRateLimiter } from "./rate-limiters.js";
import type { RateLimiter } from "./rate-limiters.js";

/** A delaying queue whose retries wait as long as the rate limiter says. */
export class RateLimitingQueue<K = string> extends DelayingQueue<K> {
  readonly limiter: RateLimiter<K>;

  constructor(limiter?: RateLimiter<K>, clock: Clock = realClock) {
    super(clock);
    this.limiter = limiter ?? defaultControllerRateLimiter<K>(clock);
  }

  /** Adds `key` after the limiter's delay for it (a retry). */
  addRateLimited(key: K): void {
    this.addAfter(key, this.limiter.when(key));
  }

  /** Ends the key's retry history (call on success). */
  forget(key: K): void {
    this.limiter.forget(key);
  }

  numRequeues(key: K): number {
    return this.limiter.numRequeues(key);
  }
}
