import type { Store } from "../../store/store.js";

/**
 * Wraps the API's store to see every write to Roles and RoleBindings
 * (`<prefix>/core/roles/…`, `<prefix>/core/rolebindings/…`), whatever the
 * transport or path that made it, and report its revision: authorization
 * then waits for the watch cache to reach it, so a role change made through
 * this process applies to the very next request.
 */
export function observeRbacWrites(store: Store, prefix: string, onWrite: (revision: number) => void): Store {
  const watched = [`${prefix}/core/roles/`, `${prefix}/core/rolebindings/`];
  const isRbac = (key: string) => watched.some((p) => key.startsWith(p));
  const report = async (key: string, write: Promise<number>) => {
    const revision = await write;
    if (isRbac(key)) onWrite(revision);
    return revision;
  };
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === "create") return (key: string, value: Uint8Array) => report(key, target.create(key, value));
      if (prop === "update") return (key: string, value: Uint8Array, rev: number) => report(key, target.update(key, value, rev));
      if (prop === "delete") return (key: string, rev: number) => report(key, target.delete(key, rev));
      const v: unknown = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
