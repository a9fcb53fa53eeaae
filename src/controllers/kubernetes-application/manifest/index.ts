export { applyOrder, deleteOrder } from "./apply-order.js";
export {
  CURRENT_LENGTH,
  MAX_LENGTH,
  MIN_LENGTH,
  deepEqual,
  defaultObserverSchema,
  driftedFields,
  expectedFields,
  fillFromResponse,
  mangledObserverSchema,
  observedFields,
} from "./observer-schema.js";
export { describeResource, findResource, isRecord, removedResources, resourceId, sameResource } from "./resource-id.js";
export type { Manifest, ResourceId } from "./resource-id.js";
