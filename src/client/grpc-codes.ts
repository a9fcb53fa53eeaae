import { status as Status } from "@grpc/grpc-js";

/** The gRPC status code of an error from a client call, if it has one. */
export function grpcCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "number" ? code : undefined;
}

/** A resource_version precondition failed: read again and retry. */
export function isConflict(err: unknown): boolean {
  return grpcCode(err) === Status.ABORTED;
}

export function isNotFound(err: unknown): boolean {
  return grpcCode(err) === Status.NOT_FOUND;
}

/** The version asked for is older than the API's history: list again. */
export function isExpired(err: unknown): boolean {
  return grpcCode(err) === Status.OUT_OF_RANGE;
}
