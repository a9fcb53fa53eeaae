export { WorkQueue } from "./queue.js";
export { DelayingQueue } from "./delaying-queue.js";
export { RateLimitingQueue } from "./rate-limiting-queue.js";
export {
  defaultControllerRateLimiter,
  ExponentialFailureRateLimiter,
  MaxOfRateLimiter,
  TokenBucketRateLimiter,
} from "./rate-limiters.js";
export type { ExponentialOptions, RateLimiter, TokenBucketOptions } from "./rate-limiters.js";
