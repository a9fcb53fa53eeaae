import type { KindInfo, KrakeObject } from "../../kinds/object.js";
import type { Change } from "../../controller/controller.js";
import type { IndexFunc } from "../../controller/informer/indexer.js";
import type { Informer } from "../../controller/informer/informer.js";
import { parseRefKey, selfRefKey } from "../../controller/keys.js";
import { pendingPolicy } from "./policy.js";

/** The collector's owner index: normalised reference keys of an object's owners. */
export const gcOwnerIndex = "gc-owner";

/**
 * The ownership graph over every kind, read from the informers' caches (no
 * copy of its own): an object's owners are its `metadata.owners`, its
 * dependents are found through each informer's owner index. Keys are
 * reference keys, `api/kind/namespace/name`.
 */
export class OwnerGraph {
  private readonly kinds = new Map<string, KindInfo>();
  private readonly informers = new Map<string, Informer<KrakeObject>>();

  constructor(kinds: readonly KindInfo[]) {
    for (const k of kinds) this.kinds.set(`${k.api}/${k.kind}`, k);
  }

  /** The index function the collector's informers need. */
  readonly ownerIndex: IndexFunc<KrakeObject> = (obj) => this.ownerKeys(obj);

  addInformer(kind: KindInfo, informer: Informer<KrakeObject>): void {
    this.informers.set(`${kind.api}/${kind.kind}`, informer);
  }

  /**
   * Owner references as keys. A reference to a namespaced kind without a
   * namespace means the dependent's own; a global kind has none.
   */
  ownerKeys(obj: KrakeObject): string[] {
    const own = obj.metadata?.namespace ?? "";
    return (obj.metadata?.owners ?? []).map((ref) => {
      const kind = this.kinds.get(`${ref.api}/${ref.kind}`);
      const ns = kind && !kind.namespaced ? "" : ref.namespace || own;
      return `${ref.api}/${ref.kind}/${ns}/${ref.name}`;
    });
  }

  kindOf(key: string): KindInfo | undefined {
    const { api, kind } = parseRefKey(key);
    return this.kinds.get(`${api}/${kind}`);
  }

  lookup(key: string): KrakeObject | undefined {
    const { api, kind, namespace, name } = parseRefKey(key);
    return this.informers.get(`${api}/${kind}`)?.store.get(namespace ? `${namespace}/${name}` : name);
  }

  dependents(key: string): KrakeObject[] {
    const out: KrakeObject[] = [];
    for (const inf of this.informers.values()) out.push(...inf.store.byIndex(gcOwnerIndex, key));
    return out;
  }

  /** A chain of dependents leading from `from` to `to` (both included), if there is one. */
  dependencyPath(from: string, to: string): string[] | undefined {
    const seen = new Set<string>([from]);
    const stack: { key: string; path: string[] }[] = [{ key: from, path: [from] }];
    while (stack.length) {
      const { key, path } = stack.pop()!;
      for (const dep of this.dependents(key)) {
        const depKey = selfRefKey(dep);
        if (depKey === to) return [...path, to];
        if (seen.has(depKey)) continue;
        seen.add(depKey);
        stack.push({ key: depKey, path: [...path, depKey] });
      }
    }
    return undefined;
  }

  /**
   * Which objects to look at after a change: the object itself when the
   * collector has work on it, and its owners (before and after the change)
   * that are waiting on their dependents.
   */
  keysFor(change: Change<KrakeObject>): Set<string> {
    const keys = new Set<string>();
    if (change.type !== "delete" && pendingPolicy(change.obj)) keys.add(selfRefKey(change.obj));
    if (change.type === "resync") return keys;
    const owners = this.ownerKeys(change.obj);
    if (change.type === "update") owners.push(...this.ownerKeys(change.old));
    for (const key of owners) {
      const owner = this.lookup(key);
      if (owner && pendingPolicy(owner)) keys.add(key);
    }
    return keys;
  }
}
