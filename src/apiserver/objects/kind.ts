import type { FieldError } from "../../errors/api-error.js";
import type { KindInfo, KrakeObject } from "../../kinds/object.js";
import type { ApiConfig } from "../config.js";
import type { RequestContext } from "../registry/request-context.js";
import type { Timestamp } from "../../kinds/timestamp.js";

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
  apply(current: T, body: unknown, now: Timestamp): T | undefined;
}

/**
 * Objects of any kind as the watch cache holds them, fresh as a Get reads
 * them (the registry waited for the cache to reach the store's revision).
 * Read-only: the objects are shared with every reader; never mutate them.
 */
export interface ObjectReader {
  /** The objects of `kind` in `namespace` ("" for every namespace, and for global kinds), in key order. */
  list<O extends KrakeObject>(kind: { api: string; plural: string; namespaced: boolean }, namespace: string): readonly O[];
}

/** One call of an action, as the registry hands it to the kind's rule. */
export interface ActionCall<T extends KrakeObject> {
  ctx: RequestContext;
  /** The request's namespace (for a body that is the kind's object: the namespace it was prepared in). */
  namespace: string;
  /**
   * The body field's value. When the action takes the kind's object, the object prepared as Create
   * prepares it (server metadata, status reset, defaults) and validated; it is never stored.
   */
  body: unknown;
  objects: ObjectReader;
  /** krake-api's configuration: an action's own settings are a section of it (the dry run's `scheduling`). */
  config: Readonly<ApiConfig>;
}

/**
 * An action of a kind: a call that computes an answer (another message than
 * the kind's) from the request and the server's objects, and writes nothing
 * (Krake's scheduler dry run, ScheduleApplication). RBAC checks it as
 * `create` on `<plural>/<name>`, as Kubernetes checks POST-only subresources
 * such as pods/eviction.
 */
export interface Action<T extends KrakeObject> {
  /** URL segment and RBAC resource suffix: "schedule" → "applications/schedule". */
  name: string;
  /** The gRPC method's verb: "Schedule" serves `ScheduleApplication`. */
  verb: string;
  /** Request field holding the body (camelCase), absent when there is none. */
  bodyField?: string;
  /** The body is the kind's object: the registry prepares and validates it as Create does before `run`. */
  takesObject: boolean;
  /**
   * Answers the call with a message of the method's response type (a ts-proto
   * object), or throws an ApiError. Must not write: no store, no other process's state.
   */
  run(call: ActionCall<T>): Promise<object>;
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
  /**
   * Sets `status.state` to the value of that name; false when the kind has no
   * such state. Used for Krake's answer to a delete that removed the object
   * (state DELETED). May mutate `obj`.
   */
  setState?: (obj: T, name: string) => boolean;
  /**
   * Runs once, when Delete marks the object deleted (Krake: an Application with
   * a shutdown hook goes to WAITING_FOR_CLEANING). Runs on the registry's own
   * copy; may mutate it.
   */
  prepareForDelete?: (obj: T) => void;
  subresources?: Subresource<T>[];
  actions?: Action<T>[];
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
