import type { Metadata, ResourceRef } from "../../../gen/krake/core/v1/types.js";
import { ApiError } from "../../errors/api-error.js";

/** Adds `ref` to the owners unless it is there already. */
export function addOwner(meta: Metadata, ref: ResourceRef): void {
  const same = (o: ResourceRef) => o.api === ref.api && o.kind === ref.kind && o.namespace === ref.namespace && o.name === ref.name;
  if (!meta.owners.some(same)) meta.owners.push(ref);
}

/** A binding body must name the target completely enough to find it. */
export function requireRef(ref: ResourceRef | undefined, field: string, kind: string, name: string): ResourceRef {
  const errors = [];
  if (!ref) errors.push({ field, message: "is required" });
  else {
    if (!ref.name) errors.push({ field: `${field}.name`, message: "is required" });
    if (!ref.kind) errors.push({ field: `${field}.kind`, message: "is required" });
    if (!ref.api) errors.push({ field: `${field}.api`, message: "is required" });
  }
  if (errors.length) throw ApiError.invalid(kind, name, errors);
  return ref!;
}
