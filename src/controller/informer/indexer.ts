import type { KrakeObject } from "../../kinds/object.js";
import { objectKey, refKey } from "../keys.js";

/** Values under which an object is found in one index (none = not indexed). */
export type IndexFunc<T> = (obj: T) => readonly string[];

export const namespaceIndex = "namespace";
export const ownerIndex = "owner";

/** By namespace ("" for global objects). */
export const byNamespace: IndexFunc<KrakeObject> = (obj) => [obj.metadata?.namespace ?? ""];

/** By each owner's reference key (`api/kind/namespace/name`). */
export const byOwner: IndexFunc<KrakeObject> = (obj) => (obj.metadata?.owners ?? []).map(refKey);

/**
 * An informer's local cache: objects by object key, plus named indexes
 * (client-go's Indexer). `namespace` and `owner` are always there; more come
 * as named index functions. Index functions must be pure: they run again on
 * the old object to remove it from the index.
 */
export class Indexer<T extends KrakeObject> {
  private readonly objects = new Map<string, T>();
  private readonly fns = new Map<string, IndexFunc<T>>();
  /** index name → value → object keys. */
  private readonly indices = new Map<string, Map<string, Set<string>>>();

  constructor(indexers: Record<string, IndexFunc<T>> = {}) {
    const all: Record<string, IndexFunc<T>> = { [namespaceIndex]: byNamespace, [ownerIndex]: byOwner, ...indexers };
    for (const [name, fn] of Object.entries(all)) {
      this.fns.set(name, fn);
      this.indices.set(name, new Map());
    }
  }

  /** Adds an index (a no-op when one of that name exists); existing objects are indexed at once. */
  addIndex(name: string, fn: IndexFunc<T>): void {
    if (this.fns.has(name)) return;
    this.fns.set(name, fn);
    const index = new Map<string, Set<string>>();
    this.indices.set(name, index);
    for (const [key, obj] of this.objects) {
      for (const value of fn(obj)) {
        let keys = index.get(value);
        if (!keys) index.set(value, (keys = new Set()));
        keys.add(key);
      }
    }
  }

  get size(): number {
    return this.objects.size;
  }

  get(key: string): T | undefined {
    return this.objects.get(key);
  }

  keys(): IterableIterator<string> {
    return this.objects.keys();
  }

  list(): T[] {
    return [...this.objects.values()];
  }

  /** Objects whose index function `name` returned `value`. */
  byIndex(name: string, value: string): T[] {
    return this.indexKeys(name, value).map((k) => this.objects.get(k)!);
  }

  indexKeys(name: string, value: string): string[] {
    const index = this.indices.get(name);
    if (!index) throw new Error(`no index named "${name}"`);
    return [...(index.get(value) ?? [])];
  }

  /** Stores `obj` under its key and returns the version it replaced. */
  upsert(obj: T): T | undefined {
    const key = objectKey(obj);
    const old = this.objects.get(key);
    if (old) this.unindex(key, old);
    this.objects.set(key, obj);
    this.index(key, obj);
    return old;
  }

  remove(key: string): T | undefined {
    const old = this.objects.get(key);
    if (!old) return undefined;
    this.unindex(key, old);
    this.objects.delete(key);
    return old;
  }

  private index(key: string, obj: T): void {
    for (const [name, fn] of this.fns) {
      const index = this.indices.get(name)!;
      for (const value of fn(obj)) {
        let keys = index.get(value);
        if (!keys) index.set(value, (keys = new Set()));
        keys.add(key);
      }
    }
  }

  private unindex(key: string, obj: T): void {
    for (const [name, fn] of this.fns) {
      const index = this.indices.get(name)!;
      for (const value of fn(obj)) {
        const keys = index.get(value);
        keys?.delete(key);
        if (keys?.size === 0) index.delete(value);
      }
    }
  }
}
