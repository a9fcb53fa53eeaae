import { Buffer } from "node:buffer";
import { CompareResult, CompareTarget } from "etcd3";
import type { Etcd3, ICompare, IRequestOp } from "etcd3";
import type { Resource } from "./documents.js";
import { keepIdentity } from "./documents.js";

/** etcd's default --max-txn-ops. */
export const MAX_TXN_OPS = 128;

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
 * Writes every resource in ONE etcd transaction: all are stored or none.
 * The transaction compares each key with what was read just before (absent,
 * or the version being overwritten), so a concurrent writer makes it retry
 * rather than be overwritten blindly.
 */
export async function loadResources(client: Etcd3, resources: Resource[], policy: ExistingPolicy, attempts = 3): Promise<LoadResult> {
  if (resources.length > MAX_TXN_OPS) {
    throw new Error(
      `bootstrap: ${resources.length} resources do not fit in one etcd transaction (etcd's --max-txn-ops, ${MAX_TXN_OPS} by default); load them in several runs`,
    );
  }
  for (let attempt = 1; ; attempt++) {
    const current = await Promise.all(resources.map((r) => client.kv.range({ key: Buffer.from(r.key) })));
    const existing = resources.filter((_, i) => current[i].kvs.length > 0);
    if (existing.length && policy === "fail") throw new AlreadyExistsError(existing);
    const compare: ICompare[] = [];
    const success: IRequestOp[] = [];
    const written: Resource[] = [];
    const kept: Resource[] = [];
    resources.forEach((r, i) => {
      const kv = current[i].kvs[0];
      const key = Buffer.from(r.key);
      if (kv && policy === "skip") {
        kept.push(r);
        return;
      }
      if (kv) {
        keepIdentity(r.object, r.kind.codec.decode(kv.value));
        compare.push({ key, target: CompareTarget.Mod, result: CompareResult.Equal, mod_revision: kv.mod_revision });
      } else {
        compare.push({ key, target: CompareTarget.Create, result: CompareResult.Equal, create_revision: 0 });
      }
      success.push({ request_put: { key, value: Buffer.from(r.kind.codec.encode(r.object).finish()) } });
      written.push(r);
    });
    if (written.length === 0) return { written, kept, revision: 0 };
    const res = await client.kv.txn({ compare, success });
    if (res.succeeded) return { written, kept, revision: Number(res.header.revision) };
    if (attempt >= attempts) throw new Error("bootstrap: the resources kept changing while loading them; nothing was written");
  }
}
