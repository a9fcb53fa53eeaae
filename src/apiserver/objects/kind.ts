import type { FieldError } from "../../errors/api-error.js";
import type { KindInfo, KrakeObject } from "../../kinds/object.js";

export type { KindInfo, KrakeObject, MessageCodec } from "../../kinds/object.js";

/**
 * A subresource that is not status: a PUT on `…/{name}/{name}` that changes
 * part of the object through its own rule (Krake's binding, complete, ...).
 */
export interface Subresource<T extends KrakeObject> {
  /** URL segment and RBAC resource suffix: "binding" → "applications/binding". */
  name: string;
  /** The gRPC method's verb: "Bind" serves `BindApplication`. */
  verb: string;
  /** Request field holding the body (camelCase), absent when there is none. */
  bodyField?: string;
  /** RBAC resource when it is not `<plural>/<name>` (Krake checks retry as `applications/status`). */
  rbacResource?: string;
  /**
   * Applies the call to a private copy of the current object and returns it,
   * returns undefined for "nothing to change", or throws an ApiError. Runs
   * inside the registry's read-modify-write loop, so it may run more than
   * once; it must have no other effects.
   */
  apply(current: T, body: unknown, now: Date): T | undefined;
}

/**
 * Everything the generic registry needs to serve one kind. A kind is data plus
 * a few pure hooks; CRUD, metadata rules, concurrency, deletion and watch are
 * the registry's and identical for every kind.
 */
export interface KindDescription<T extends KrakeObject> extends KindInfo<T> {
  /**
   * Present when the kind has a status subresource: returns the object's
   * status reset to its defaults (Krake resets status on create).
   */
  emptyStatus?: () => unknown;
  /** Krake's `status.state` as its enum name, for `blocking` waits. */
  stateName?: (obj: T) => string | undefined;
  subresources?: Subresource<T>[];
  /**
   * Fills defaults on a new object before validation (e.g. Krake's backoff
   * defaults). Runs on the registry's own copy; may mutate it.
   */
  prepareForCreate?: (obj: T) => void;
  /** Checks the whole object. Must not mutate or throw. Paths use proto (snake_case) names. */
  validate: (obj: T) => FieldError[];
  /**
   * The proto path of a field the kind declares immutable ("spec.master_count")
   * that `next` changes from `current`, or undefined. Runs on Update (after the
   * spec and metadata are copied) and on UpdateStatus (after the status is);
   * the registry answers Krake's 400 "Trying to update an immutable field".
   * Must not mutate or throw.
   */
  changedImmutableField?: (next: T, current: T) => string | undefined;
}

export type AnyKind = KindDescription<KrakeObject>;

/** Narrows a typed kind for tables of every kind (registration, wiring). */
export function anyKind<T extends KrakeObject>(kind: KindDescription<T>): AnyKind {
  return kind as unknown as AnyKind;
}
