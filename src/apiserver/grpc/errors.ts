import { Metadata } from "@grpc/grpc-js";
import type { ServiceError } from "@grpc/grpc-js";
import { ApiError, Status } from "../../errors/api-error.js";

export interface ErrorLogger {
  error(fields: Record<string, unknown>, msg: string): void;
}

/**
 * The gRPC edge of ApiError: code and message go to the client, with the
 * reason and field errors as trailing metadata; an internal error's cause is
 * logged with the request id, never sent.
 */
export function toServiceError(err: unknown, requestId: string, log: ErrorLogger): Partial<ServiceError> {
  const api = ApiError.from(err);
  const metadata = new Metadata();
  metadata.set("krake-reason", api.reason);
  metadata.set("krake-request-id", requestId);
  if (api.details.length) metadata.set("krake-field-errors", JSON.stringify(api.details));
  let details = api.message;
  if (api.code === Status.INTERNAL) {
    log.error({ err: api.cause ?? api, requestId }, "internal error");
    details = `internal error (request id ${requestId})`;
  }
  return { code: api.code, details, metadata };
}
