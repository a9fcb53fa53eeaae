import type { ServiceError } from "@grpc/grpc-js";
import { ApiError } from "../errors/api-error.js";

/**
 * Reads an ApiError back from a gRPC error: the code and message, and the
 * reason and field errors the API sends as trailing metadata
 * (src/apiserver/grpc/errors.ts writes them).
 */
export function fromServiceError(err: ServiceError): ApiError {
  const reason = err.metadata?.get("krake-reason")[0];
  const fields = err.metadata?.get("krake-field-errors")[0];
  const details = typeof fields === "string" ? (JSON.parse(fields) as ApiError["details"]) : [];
  return new ApiError(err.code, (typeof reason === "string" ? reason : "Internal") as ApiError["reason"], err.details, details);
}
