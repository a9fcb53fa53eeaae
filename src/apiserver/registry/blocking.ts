import { ApiError } from "../../errors/api-error.js";
import { EventType } from "../../../gen/krake/core/v1/watch.js";
import type { CachedObject } from "../objects/cached-object.js";
import type { CacheWatch, KindCache } from "../watchcache/kind-cache.js";
import type { StoreCache } from "../watchcache/store-cache.js";
import type { KrakeObject } from "../objects/kind.js";

/**
 * Krake's `blocking=<state>`: after a write at `written.revision`, waits until
 * the object's status.state is `state` (or, for "DELETED", until it is gone)
 * and answers with that version. Watches only this object's namespace and
 * checks only this object (Krake watched the whole namespace). When the state
 * does not come within `timeoutMs`, answers with the latest version seen, as
 * Krake answers 200 with the object then (a client reads the state it got).
 */
export async function waitForState<T extends KrakeObject>(
  storeCache: StoreCache,
  cache: KindCache<T>,
  written: CachedObject<T>,
  state: string,
  stateName: (obj: T) => string | undefined,
  timeoutMs: number,
): Promise<CachedObject<T>> {
  const reached = (obj: CachedObject<T>) => state !== "DELETED" && stateName(obj.object) === state;
  if (reached(written)) return written;
  await storeCache.waitFor(written.revision);
  return new Promise<CachedObject<T>>((resolve, reject) => {
    let latest = written;
    let watch: CacheWatch | undefined;
    let settled = false;
    const finish = (err: ApiError | undefined, obj?: CachedObject<T>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      watch?.stop();
      if (err) reject(err);
      else resolve(obj!);
    };
    const timer = setTimeout(() => finish(undefined, latest), timeoutMs);
    try {
      watch = cache.watch(
        { namespace: written.namespace, afterRevision: written.revision },
        {
          onEvent: (ev) => {
            if (ev.object.key !== written.key) return;
            if (ev.type === EventType.DELETED) {
              if (state === "DELETED") finish(undefined, ev.object);
              else finish(ApiError.notFound(written.object.kind, written.name, written.namespace));
            } else if (reached(ev.object)) {
              finish(undefined, ev.object);
            } else {
              latest = ev.object;
            }
          },
          onClose: (err) => finish(err),
        },
        storeCache.revision,
      );
    } catch (err) {
      finish(ApiError.from(err));
      return;
    }
    if (settled) watch.stop();
  });
}
