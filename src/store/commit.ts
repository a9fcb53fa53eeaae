import { ApiError } from "../errors/api-error.js";
import type { StoreWrite } from "./store.js";

/** The most writes one commit may carry: etcd's default --max-txn-ops, so that a commit fits every backend. */
export const maxCommitWrites = 128;

/** A compare against a mod revision: 0 would mean "absent" to the compare, which would create the key. */
export function checkExpectedModRevision(expectedModRevision: number): void {
  if (!Number.isSafeInteger(expectedModRevision) || expectedModRevision <= 0) {
    throw ApiError.badRequest(`expected mod revision must be a positive integer, got ${expectedModRevision}`);
  }
}

export function checkCommitSize(writes: StoreWrite[]): void {
  if (writes.length === 0) throw ApiError.badRequest("a commit needs at least one write");
  if (writes.length > maxCommitWrites) {
    throw ApiError.badRequest(`a commit holds at most ${maxCommitWrites} writes (etcd's --max-txn-ops), got ${writes.length}`);
  }
  const keys = new Set(writes.map((w) => w.key));
  if (keys.size !== writes.length) throw ApiError.badRequest("a commit writes each key at most once");
}

/** The Conflict of a commit whose compares failed: `found` is each key's mod revision now (0 = absent). */
export function commitConflict(writes: StoreWrite[], found: { key: string; modRevision: number }[]): ApiError {
  const i = writes.findIndex((w, j) => w.expectedModRevision !== found[j]!.modRevision);
  const w = writes[Math.max(i, 0)]!;
  const now = found[Math.max(i, 0)]!.modRevision;
  const expected = w.expectedModRevision === 0 ? "absent" : `at mod revision ${w.expectedModRevision}`;
  const actual = now === 0 ? "absent" : `at mod revision ${now}`;
  return ApiError.conflict(`key ${w.key} is ${actual}, expected ${expected}`);
}
