import type { KrakeObject } from "../../kinds/object.js";
import { deletionFinalizers } from "../../kinds/object.js";

/**
 * What the collector does for an object in deletion, read from the finalizer
 * that Delete pushed (registry.ts `deletionFinalizers`):
 * - cascade (Krake's, the default; also "foreground"): delete the dependents,
 *   release the object once none is left;
 * - background: delete the dependents, release the object once each of them
 *   is in deletion;
 * - orphan: remove the object from its dependents' owners, then release it.
 */
export type Propagation = "cascade" | "background" | "orphan";

const byFinalizer = new Map<string, Propagation>([
  [deletionFinalizers[""], "cascade"],
  [deletionFinalizers.background, "background"],
  [deletionFinalizers.orphan, "orphan"],
]);

/** The policy to apply now: the object is in deletion and a collector finalizer is last. */
export function pendingPolicy(obj: KrakeObject): Propagation | undefined {
  const meta = obj.metadata;
  if (!meta?.deleted || meta.finalizers.length === 0) return undefined;
  return byFinalizer.get(meta.finalizers[meta.finalizers.length - 1]);
}

/** The policy value for the dependents' own Delete calls. */
export function deletePolicyFor(policy: Propagation): string {
  return policy === "background" ? "background" : "";
}
