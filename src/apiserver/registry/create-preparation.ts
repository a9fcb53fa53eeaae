import { randomUUID } from "node:crypto";
import type { Timestamp } from "../../kinds/timestamp.js";
import type { KindDescription, KrakeObject } from "../objects/kind.js";
import { setStatus } from "./object-fields.js";

/**
 * What Create does to a new object before it is validated, wherever it comes
 * from (the API, krake-bootstrap): the server-set metadata, the status reset
 * to the kind's empty status, then the kind's defaults. The object must have
 * its metadata; its namespace is decided by the caller.
 */
export function prepareNewObject<T extends KrakeObject>(kind: KindDescription<T>, obj: T, now: Timestamp): void {
  Object.assign(obj.metadata!, { uid: randomUUID(), created: { ...now }, modified: { ...now }, deleted: undefined, resourceVersion: "", generation: 1 });
  if (kind.emptyStatus) setStatus(obj, kind.emptyStatus());
  kind.prepareForCreate?.(obj);
}
