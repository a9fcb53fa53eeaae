import { ApiError, Status } from "../../errors/api-error.js";
import { maxCommitWrites } from "../../store/commit.js";
import type { Store, StoreWrite } from "../../store/store.js";
import type { Resource } from "./documents.js";
import { keepIdentity } from "./documents.js";

export type ExistingPolicy = "fail" | "overwrite" | "skip";

export interface LoadResult {
  /** Resources written. */
  written: Resource[];
  /** Resources left alone because they existed (policy "skip"). */
  kept: Resource[];
  /** The store revision of the transaction (0 when nothing was written). */
  revision: number;
}

/** Resources that exist already when the policy is "fail". */
export class AlreadyExistsError extends Error {
  readonly existing: Resource[];

  constructor(existing: Resource[]) {
    super(
      `bootstrap: ${existing.length} resource(s) exist already (use --force to overwrite, --skip-existing to keep them):\n  - ` +
        existing.map((r) => `${r.kind.kind} "${r.object.metadata!.name}" (${r.source})`).join("\n  - "),
    );
    this.name = "AlreadyExistsError";
    this.existing = existing;
  }
}

/**
 * Writes every resource in ONE store commit: all are stored or none. The
 * commit compares each key with what was read just before (absent, or the
 * version being overwritten), so a concurrent writer makes it retry rather
 * than be overwritten blindly.
 */
export async function loadResources(store: Store, resources: Resource[], policy: ExistingPolicy, attempts = 3): Promise<LoadResult> {
  if (resources.length > maxCommitWrites) {
    throw new Error(
      `bootstrap: ${resources.length} resources do not fit in one store commit (at most ${maxCommitWrites}, etcd's default --max-txn-ops); load them in several runs`,
    );
  }
  for (let attempt = 1; ; attempt++) {
    const current = await Promise.all(resources.map((r) => store.get(r.key)));
    const existing = resources.filter((_, i) => current[i] !== undefined);
    if (existing.length && policy === "fail") throw new AlreadyExistsError(existing);
    const writes: StoreWrite[] = [];
    const written: Resource[] = [];
    const kept: Resource[] = [];
    resources.forEach((r, i) => {
      const kv = current[i];
      if (kv && policy === "skip") {
        kept.push(r);
        return;
      }
      if (kv) keepIdentity(r.object, r.kind.codec.decode(kv.value));
      writes.push({ key: r.key, value: r.kind.codec.encode(r.object).finish(), expectedModRevision: kv?.modRevision ?? 0 });
      written.push(r);
    });
    if (written.length === 0) return { written, kept, revision: 0 };
    try {
      return { written, kept, revision: await store.commit(writes) };
    } catch (err) {
      if (!(err instanceof ApiError && err.code === Status.ABORTED)) throw err;
      if (attempt >= attempts) throw new Error("bootstrap: the resources kept changing while loading them; nothing was written");
    }
  }
}
