import type { FieldError } from "../../errors/api-error.js";
import type { KrakeObject } from "../registry/kind.js";
import { validateMetadata } from "../registry/validation/metadata.js";

/** A kind's validator: the shared metadata rules, then the kind's own. */
export function withMetadata<T extends KrakeObject>(namespaced: boolean, validateKind: (obj: T) => FieldError[]) {
  return (obj: T): FieldError[] => [...validateMetadata(obj.metadata, { namespaced }), ...validateKind(obj)];
}
