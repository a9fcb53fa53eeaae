/** The store's own record of what happened to a kind: etcd's history, read with a watch from a revision. */
import type { Store } from "../../../src/store/store.js";

export interface HistoryEvent {
  type: "ADDED" | "MODIFIED" | "DELETED";
  /** `namespace/name`. */
  key: string;
  revision: number;
}

/**
 * Every change under `kindPrefix` (e.g. `/tX/kubernetes/applications/`) with a
 * revision in (afterRevision, toRevision], in order; `toRevision` must be the
 * revision of a change under that prefix.
 */
export async function storeHistory(store: Store, kindPrefix: string, afterRevision: number, toRevision: number, timeoutMs = 10_000): Promise<HistoryEvent[]> {
  const out: HistoryEvent[] = [];
  let reached = afterRevision;
  const keyOf = (key: string) => key.slice(kindPrefix.length);
  return new Promise((resolve, reject) => {
    let watch: { close(): Promise<void> } | undefined;
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      void watch?.close();
      if (err) reject(err);
      else resolve(out.filter((e) => e.revision <= toRevision));
    };
    const timer = setTimeout(() => finish(new Error(`history: reached ${reached} of ${toRevision}`)), timeoutMs);
    store
      .watch(kindPrefix, afterRevision + 1, {
        onEvents(batch) {
          for (const ev of batch.events) {
            if (ev.type === "put") {
              out.push({ type: ev.kv.createRevision === ev.kv.modRevision ? "ADDED" : "MODIFIED", key: keyOf(ev.kv.key), revision: ev.kv.modRevision });
              reached = Math.max(reached, ev.kv.modRevision);
            } else {
              out.push({ type: "DELETED", key: keyOf(ev.key), revision: ev.modRevision });
              reached = Math.max(reached, ev.modRevision);
            }
          }
          if (reached >= toRevision) finish();
        },
        onError: (err) => finish(err),
      })
      .then((w) => {
        watch = w;
        if (done) void w.close();
      }, finish);
  });
}
