import { kindPrefix } from "../../store/keys.js";
import type { Store } from "../../store/store.js";

/**
 * Wraps the API's store to see every write to Roles and RoleBindings
 * (`<prefix>/core/roles/…`, `<prefix>/core/rolebindings/…`), whatever the
 * transport or path that made it, and report its revision: authorization
 * then waits for the watch cache to reach it, so a role change made through
 * this process applies to the very next request.
 */
export function observeRbacWrites(store: Store, prefix: string, onWrite: (revision: number) => void): Store {
  const watched = [kindPrefix(prefix, "core", "roles"), kindPrefix(prefix, "core", "rolebindings")];
  const isRbac = (key: string) => watched.some((p) => key.startsWith(p));
  const report = (key: string, write: Promise<number>): Promise<number> =>
    isRbac(key)
      ? write.then((revision) => {
          onWrite(revision);
          return revision;
        })
      : write;
  return {
    get: (key) => store.get(key),
    list: (p, opts) => store.list(p, opts),
    create: (key, value) => report(key, store.create(key, value)),
    update: (key, value, rev) => report(key, store.update(key, value, rev)),
    delete: (key, rev) => report(key, store.delete(key, rev)),
    commit: (writes) => {
      const rbacKey = writes.find((w) => isRbac(w.key))?.key;
      return rbacKey === undefined ? store.commit(writes) : report(rbacKey, store.commit(writes));
    },
    currentRevision: () => store.currentRevision(),
    watch: (p, from, handlers) => store.watch(p, from, handlers),
    compact: (revision) => store.compact(revision),
    close: () => store.close(),
  };
}
