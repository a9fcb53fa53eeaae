/** SqliteStore's failures as ApiErrors (what translateEtcdError is to EtcdStore). */
import Database from "better-sqlite3";
import { ApiError, Status } from "../errors/api-error.js";

export function futureRevision(revision: number): ApiError {
  // as Kubernetes does for a resource version the store has not reached yet (see translateEtcdError)
  return new ApiError(Status.DEADLINE_EXCEEDED, "Timeout", `the requested revision ${revision} is newer than the store's`);
}

export function closedError(): ApiError {
  return ApiError.unavailable("the SQLite store is closed");
}

/** SQLite failures as ApiErrors: a busy or full file is UNAVAILABLE, anything else INTERNAL with the cause kept. */
export function translateSqliteError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof Database.SqliteError) {
    if (err.code.startsWith("SQLITE_BUSY") || err.code.startsWith("SQLITE_LOCKED")) {
      return ApiError.unavailable(`the SQLite store is busy: ${err.message}`, err);
    }
    if (err.code === "SQLITE_FULL") return ApiError.unavailable(`the SQLite store's disk is full: ${err.message}`, err);
  }
  return new ApiError(Status.INTERNAL, "Internal", "internal error", [], err);
}
