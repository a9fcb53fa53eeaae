import {
  ClientClosedError,
  EtcdWatchStreamEnded,
  GRPCCancelledError,
  GRPCDeadlineExceededError,
  GRPCOutOfRangeError,
  GRPCResourceExhastedError,
  GRPCUnavailableError,
} from "etcd3";
import { ApiError, Status } from "../errors/api-error.js";

/** gRPC codes that mean "etcd could not be reached or did not answer in time". */
const UNREACHABLE_CODES = new Set<number>([Status.CANCELLED, Status.DEADLINE_EXCEEDED, Status.UNAVAILABLE]);

function grpcCode(err: Error): number | undefined {
  const code: unknown = (err as { code?: unknown }).code;
  return typeof code === "number" ? code : undefined;
}

function unreachable(err: Error): boolean {
  if (
    err instanceof GRPCUnavailableError ||
    err instanceof GRPCDeadlineExceededError ||
    err instanceof GRPCCancelledError ||
    err instanceof ClientClosedError ||
    err instanceof EtcdWatchStreamEnded ||
    // cockatiel's open circuit, if a caller configured a breaker
    err.name === "BrokenCircuitError"
  ) {
    return true;
  }
  const code = grpcCode(err);
  if (code === Status.INTERNAL && /RST_STREAM/.test(err.message)) {
    // etcd shutting down resets open HTTP/2 streams ("Received RST_STREAM with code 0"): the
    // server went away mid-call, it did not fail the call.
    return true;
  }
  return code !== undefined && UNREACHABLE_CODES.has(code);
}

/**
 * etcd refused a request of ours for its size: over --max-request-bytes
 * ("etcdserver: request is too large"), or so far over it that etcd's gRPC
 * server refused the message ("grpc: received message larger than max").
 * Only writes carry a value, so only writes can be refused so. Not our own
 * client refusing a response ("Received message larger than max"): that is a
 * read failing, not a request that is too large.
 */
function tooLarge(err: Error): boolean {
  return /etcdserver: request is too large|grpc: received message larger than max/.test(err.message);
}

/**
 * The one place where etcd3/gRPC errors become ApiErrors. ApiErrors pass
 * through; anything unrecognised becomes INTERNAL with the cause kept.
 */
export function translateEtcdError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (!(err instanceof Error)) return ApiError.from(err);
  if (unreachable(err)) return ApiError.unavailable(`etcd is unavailable: ${err.message}`, err);
  if (err instanceof GRPCOutOfRangeError || grpcCode(err) === Status.OUT_OF_RANGE) {
    if (/compacted/.test(err.message)) {
      return new ApiError(Status.OUT_OF_RANGE, "Expired", "the requested revision has been compacted", [], err);
    }
    if (/future revision/.test(err.message)) {
      // as Kubernetes does for a resource version the store has not reached yet
      return new ApiError(Status.DEADLINE_EXCEEDED, "Timeout", "the requested revision is newer than the store's", [], err);
    }
  }
  if (tooLarge(err)) {
    return ApiError.tooLarge(`etcd refused the write as too large (${err.message}); keep max_object_bytes below etcd's --max-request-bytes`);
  }
  if (err instanceof GRPCResourceExhastedError && /too many requests/.test(err.message)) {
    return ApiError.tooManyRequests("etcd is overloaded: too many requests");
  }
  return new ApiError(Status.INTERNAL, "Internal", "internal error", [], err);
}
