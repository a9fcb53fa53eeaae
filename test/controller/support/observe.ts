/** Event-driven waiting in controller tests: an informer of our own records what the API reports. */
import type { KrakeObject } from "../../../src/apiserver/objects/kind.js";
import { Informer } from "../../../src/controller/informer/informer.js";
import type { KindClient } from "../../../src/client/kind-client.js";
import { objectKey } from "../../../src/controller/keys.js";

export interface Seen<T> {
  type: "add" | "update" | "delete";
  key: string;
  resourceVersion: string;
  obj: T;
  finalStateUnknown?: boolean;
}

/** An informer that records every change and resolves `until` waits as soon as a condition holds. */
export class Observer<T extends KrakeObject> {
  readonly informer: Informer<T>;
  readonly seen: Seen<T>[] = [];
  private readonly checks = new Set<() => void>();

  constructor(client: KindClient<T>, namespace = "") {
    this.informer = new Informer<T>({ client, namespace, backoffInitialMs: 50, backoffMaxMs: 500 });
    const record = (type: Seen<T>["type"], obj: T, finalStateUnknown?: boolean) => {
      this.seen.push({ type, key: objectKey(obj), resourceVersion: obj.metadata?.resourceVersion ?? "", obj, finalStateUnknown });
      for (const c of [...this.checks]) c();
    };
    this.informer.addEventHandler({
      onAdd: (obj) => record("add", obj),
      onUpdate: (_old, obj) => record("update", obj),
      onDelete: (obj, unknown) => record("delete", obj, unknown),
    });
  }

  async start(): Promise<this> {
    this.informer.start();
    await this.informer.waitForSync();
    return this;
  }

  get(key: string): T | undefined {
    return this.informer.store.get(key);
  }

  /** Resolves once `cond()` holds (checked now and after every change). */
  until(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!cond()) return;
        this.checks.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.checks.delete(check);
        reject(new Error(`timed out waiting for: ${what}`));
      }, timeoutMs);
      this.checks.add(check);
    });
  }

  stop(): Promise<void> {
    return this.informer.stop();
  }
}

/** Resolves once `cond()` holds, checking every `everyMs` (for state no informer reports, e.g. a queue). */
export async function poll(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000, everyMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function eachLimited<I>(items: I[], limit: number, fn: (item: I) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}
