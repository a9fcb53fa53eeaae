// The controller runtime. For controller authors: Manager, controllerFor,
// Reconciler and terminalError, the informer cache's indexes.
export { controllerFor, ControllerBuilder } from "./builder.js";
export { Manager } from "./manager.js";
export type { InformerRequest, ManagerOptions } from "./manager.js";
export { Controller } from "./controller.js";
export type { Change, ControllerOptions, KeyMapper, RunSignals } from "./controller.js";
export { isTerminal, terminalError, TerminalError } from "./reconcile.js";
export type { ReconcileContext, Reconciler, Result } from "./reconcile.js";
export { Informer } from "./informer/informer.js";
export type { EventHandler, InformerOptions, InformerStats } from "./informer/informer.js";
export { byNamespace, byOwner, Indexer, namespaceIndex, ownerIndex } from "./informer/indexer.js";
export type { IndexFunc } from "./informer/indexer.js";
export { ApiConnection, kindClient } from "../client/kind-client.js";
export type { KindClient, ListResult, WatchEvent } from "../client/kind-client.js";
export { objectKey, parseRefKey, refKey, selfRefKey, splitObjectKey } from "./keys.js";
export { grpcCode, isConflict, isExpired, isNotFound } from "../client/grpc-codes.js";
export { RuntimeMetrics } from "./metrics.js";
// For runtime authors and tests: the layers underneath.
export { FakeClock, realClock, settle, sleep } from "../client/clock.js";
export type { Clock, TimerHandle } from "../client/clock.js";
export {
  DelayingQueue,
  defaultControllerRateLimiter,
  ExponentialFailureRateLimiter,
  MaxOfRateLimiter,
  RateLimitingQueue,
  TokenBucketRateLimiter,
  WorkQueue,
} from "./workqueue/index.js";
export type { ExponentialOptions, RateLimiter, TokenBucketOptions } from "./workqueue/index.js";
export { checkTimings, LeaderElector } from "./leader/leader-elector.js";
export type { LeaderElectionTimings, LeaderElectorOptions } from "./leader/leader-elector.js";
export { LeaseLock } from "./leader/lease-lock.js";
