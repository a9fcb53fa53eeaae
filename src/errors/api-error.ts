import { status as Status } from "@grpc/grpc-js";

export { Status };

/** One problem with one field of a request, e.g. `metadata.name: must match ...`. */
export interface FieldError {
  /** Dotted path from the object's root: `spec.constraints.cluster.labels[0]`. */
  field: string;
  message: string;
}

/**
 * Why an error happened, in Krake's vocabulary. The REST transport maps it to
 * Krake's problem titles and to the few HTTP statuses where Krake differs from
 * the plain gRPC mapping (422 for field errors, 400 for no-op updates).
 */
export type ErrorReason =
  | "Invalid" // field validation failed (FieldError list in details)
  | "NoUpdate" // an update that changes nothing
  | "Immutable" // an update that changes an immutable field
  | "NotFound"
  | "AlreadyExists"
  | "Conflict" // stale resource_version or concurrent write
  | "Expired" // a resource version or continue token older than history
  | "Deleting" // the object is in deletion and the change is not allowed
  | "Unavailable"
  | "TooManyRequests"
  | "TooLarge" // a body or object over a documented size or depth limit
  | "Internal"
  | "BadRequest"
  | "Unauthenticated"
  | "Forbidden"
  | "Timeout";

/**
 * The one error type of the API server. Handlers throw it; each transport maps
 * `code` once at its edge. Anything else that reaches a transport becomes
 * INTERNAL via `ApiError.from`, with the cause logged and never sent.
 */
export class ApiError extends Error {
  readonly code: Status;
  readonly reason: ErrorReason;
  readonly details: FieldError[];
  override readonly cause?: unknown;

  constructor(code: Status, reason: ErrorReason, message: string, details: FieldError[] = [], cause?: unknown) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.reason = reason;
    this.details = details;
    this.cause = cause;
  }

  static from(err: unknown): ApiError {
    if (err instanceof ApiError) return err;
    return new ApiError(Status.INTERNAL, "Internal", "internal error", [], err);
  }

  static invalid(kind: string, name: string, errors: FieldError[]): ApiError {
    const shown = 20;
    const more = errors.length > shown ? ` (and ${errors.length - shown} more)` : "";
    const summary = errors.slice(0, shown).map((e) => `${e.field}: ${e.message}`).join("; ") + more;
    return new ApiError(Status.INVALID_ARGUMENT, "Invalid", `${kind} "${name}" is invalid: ${summary}`, errors);
  }

  static badRequest(message: string): ApiError {
    return new ApiError(Status.INVALID_ARGUMENT, "BadRequest", message);
  }

  static noUpdate(): ApiError {
    return new ApiError(Status.INVALID_ARGUMENT, "NoUpdate", "The body contained no update.");
  }

  static immutable(field: string): ApiError {
    return new ApiError(Status.INVALID_ARGUMENT, "Immutable", `Trying to update an immutable field: ${field}`, [
      { field, message: "field is immutable" },
    ]);
  }

  static notFound(kind: string, name: string, namespace: string): ApiError {
    const where = namespace ? ` in namespace '${namespace}'` : "";
    // Krake's detail, kind quoted too (for global kinds Krake adds "in namespace None"; we leave that out).
    return new ApiError(Status.NOT_FOUND, "NotFound", `'${kind}' '${name}' does not exist${where}`);
  }

  static alreadyExists(kind: string, name: string, namespace: string): ApiError {
    const where = namespace ? ` in namespace '${namespace}'` : "";
    return new ApiError(Status.ALREADY_EXISTS, "AlreadyExists", `${kind} '${name}' already exists${where}`);
  }

  static conflict(message: string): ApiError {
    return new ApiError(Status.ABORTED, "Conflict", message);
  }

  static expired(message: string): ApiError {
    return new ApiError(Status.OUT_OF_RANGE, "Expired", message);
  }

  static deleting(message: string): ApiError {
    return new ApiError(Status.FAILED_PRECONDITION, "Deleting", message);
  }

  static unavailable(message: string, cause?: unknown): ApiError {
    return new ApiError(Status.UNAVAILABLE, "Unavailable", message, [], cause);
  }

  static tooManyRequests(message: string): ApiError {
    return new ApiError(Status.RESOURCE_EXHAUSTED, "TooManyRequests", message);
  }

  /** Over a documented limit (body or object size, nesting depth): RESOURCE_EXHAUSTED, HTTP 413. */
  static tooLarge(message: string, details: FieldError[] = []): ApiError {
    return new ApiError(Status.RESOURCE_EXHAUSTED, "TooLarge", message, details);
  }

  static unauthenticated(message: string): ApiError {
    return new ApiError(Status.UNAUTHENTICATED, "Unauthenticated", message);
  }

  static forbidden(message: string): ApiError {
    return new ApiError(Status.PERMISSION_DENIED, "Forbidden", message);
  }

  static timeout(message: string): ApiError {
    return new ApiError(Status.DEADLINE_EXCEEDED, "Timeout", message);
  }
}
