import type { FieldError } from "../../errors/api-error.js";
import type { Lease } from "../../../gen/krake/core/v1/lease.js";
import { leaseKind as generated } from "../../kinds/index.js";
import { serverKind } from "./server-kind.js";

/** Identities are free text (host names, pod names, uuids), bounded like a name. */
const MAX_IDENTITY = 253;

/**
 * - `spec` is required.
 * - `spec.holder_identity`: at most 253 characters; empty means released.
 * - `spec.lease_duration_seconds`: positive while the lease is held, never negative.
 * - `spec.lease_transitions`: never negative.
 */
function validateLease(lease: Lease): FieldError[] {
  const spec = lease.spec;
  if (!spec) return [{ field: "spec", message: "is required" }];
  const errors: FieldError[] = [];
  if (spec.holderIdentity.length > MAX_IDENTITY) {
    errors.push({ field: "spec.holder_identity", message: `must be at most ${MAX_IDENTITY} characters` });
  }
  if (spec.leaseDurationSeconds < 0) {
    errors.push({ field: "spec.lease_duration_seconds", message: "must not be negative" });
  } else if (spec.holderIdentity && spec.leaseDurationSeconds === 0) {
    errors.push({ field: "spec.lease_duration_seconds", message: "must be positive while the lease is held" });
  }
  if (spec.leaseTransitions < 0) errors.push({ field: "spec.lease_transitions", message: "must not be negative" });
  return errors;
}

/** Leader-election leases (namespaced, as in Kubernetes; see lease.proto). */
export const leaseKind = serverKind<Lease>(generated, { validate: validateLease });
