import { STATUS_CODES } from "node:http";
import { ApiError, Status } from "../../errors/api-error.js";
import type { ErrorReason, FieldError } from "../../errors/api-error.js";

/** An RFC 7807 problem document with Krake's extensions. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  /** The gRPC status code name: NOT_FOUND, INVALID_ARGUMENT, ... */
  code: string;
  request_id: string;
  /** Field errors (422 and 400 on bad parameters). */
  errors?: FieldError[];
}

/** An error that only the HTTP transport has (unknown path, wrong method, bad body). */
export class HttpError extends ApiError {
  readonly httpStatus: number;

  constructor(httpStatus: number, code: Status, reason: ErrorReason, message: string, details: FieldError[] = []) {
    super(code, reason, message, details);
    this.httpStatus = httpStatus;
  }
}

/**
 * gRPC code → HTTP status, as grpc-gateway's HTTPStatusFromCode maps it
 * (CANCELLED is nginx's 499 "client closed request").
 */
const byCode: Record<Status, number> = {
  [Status.OK]: 200,
  [Status.CANCELLED]: 499,
  [Status.UNKNOWN]: 500,
  [Status.INVALID_ARGUMENT]: 400,
  [Status.DEADLINE_EXCEEDED]: 504,
  [Status.NOT_FOUND]: 404,
  [Status.ALREADY_EXISTS]: 409,
  [Status.PERMISSION_DENIED]: 403,
  [Status.RESOURCE_EXHAUSTED]: 429,
  [Status.FAILED_PRECONDITION]: 400,
  [Status.ABORTED]: 409,
  [Status.OUT_OF_RANGE]: 400,
  [Status.UNIMPLEMENTED]: 501,
  [Status.INTERNAL]: 500,
  [Status.UNAVAILABLE]: 503,
  [Status.DATA_LOSS]: 500,
  [Status.UNAUTHENTICATED]: 401,
};

/**
 * Where Krake answers differently from the plain gRPC mapping. "Expired" is
 * 410 Gone, Kubernetes' status for a resource version or continue token older
 * than the retained history: the client must list again.
 */
const byReason: Partial<Record<ErrorReason, number>> = {
  Invalid: 422,
  NoUpdate: 400,
  Immutable: 400,
  Deleting: 409,
  Expired: 410,
  TooLarge: 413,
};

/** Krake's problem titles (HttpProblemTitle) and the `type` fragment each has. */
const titles: Partial<Record<ErrorReason, [title: string, slug: string]>> = {
  NotFound: ["NOT_FOUND_ERROR", "not-found-error"],
  AlreadyExists: ["RESOURCE_ALREADY_EXISTS", "resource-already-exists"],
  Conflict: ["TRANSACTION_ERROR", "transaction-error"],
  NoUpdate: ["UPDATE_ERROR", "update-error"],
  Immutable: ["UPDATE_ERROR", "update-error"],
  Deleting: ["UPDATE_ERROR", "update-error"],
};

export function httpStatusOf(err: ApiError): number {
  if (err instanceof HttpError) return err.httpStatus;
  return byReason[err.reason] ?? byCode[err.code] ?? 500;
}

export interface ProblemLogger {
  error(fields: Record<string, unknown>, msg: string): void;
}

/**
 * The problem document for any error that reaches the HTTP edge. An internal
 * error is logged with its cause and the request id; the client gets the id,
 * never the stack.
 */
export function toProblem(err: unknown, instance: string, requestId: string, problemBaseUrl: string, log: ProblemLogger): Problem {
  const api = ApiError.from(err);
  const status = httpStatusOf(api);
  let detail = api.message;
  if (status >= 500 && (api.code === Status.INTERNAL || api.code === Status.UNKNOWN)) {
    log.error({ err: api.cause ?? api, requestId, instance }, "internal error");
    detail = `internal error (request id ${requestId})`;
  }
  const titled = titles[api.reason];
  const problem: Problem = {
    type: titled ? `${problemBaseUrl}#${titled[1]}` : "about:blank",
    title: titled ? titled[0] : STATUS_CODES[status] ?? "Error",
    status,
    detail,
    instance,
    code: Status[api.code] ?? "UNKNOWN",
    request_id: requestId,
  };
  if (api.details.length) problem.errors = api.details;
  return problem;
}
