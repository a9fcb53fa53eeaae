// What client and server share about kinds. The table itself is generated
// from the protos (gen/kinds.ts, by tools/protoc-gen-krake-kinds).
export {
  applicationKind,
  clusterKind,
  generatedKinds as allKinds,
  globalMetricKind,
  globalMetricsProviderKind,
  leaseKind,
  metricKind,
  metricsProviderKind,
  roleBindingKind,
  roleKind,
} from "../../gen/kinds.js";
export type { GeneratedKind } from "../../gen/kinds.js";
export { cascadeDeletionFinalizer, deletionFinalizers, stateReader } from "./object.js";
export type { KindInfo, KrakeObject, MessageCodec, StateEnum } from "./object.js";
export { resolveMethod, rpcOf, serviceMethods } from "./methods.js";
export type { KindMethodsShape, MethodVerb, ResolvedMethod } from "./methods.js";
export {
  compareTimestamps,
  formatTimestamp,
  parseTimestamp,
  sameTimestamp,
  timestampFromDate,
  timestampFromMillis,
  timestampKey,
  timestampNow,
  timestampToDate,
  timestampToMillis,
} from "./timestamp.js";
export type { Timestamp } from "./timestamp.js";
