import type { NodeObserver } from "./node-observer.js";

interface Entry {
  /** What the observer was started for: the cluster's uid and kubeconfig. */
  fingerprint: string;
  observer: NodeObserver;
}

/**
 * The running observers, one per cluster key. An observer is replaced when its fingerprint
 * changes (a new kubeconfig, or a new cluster under the same name) and stopped when its cluster
 * stops being observed. Stopping is awaited, so two observers of one cluster never overlap.
 */
export class Observers {
  private readonly entries = new Map<string, Entry>();

  get size(): number {
    return this.entries.size;
  }

  get(key: string, fingerprint: string): NodeObserver | undefined {
    const entry = this.entries.get(key);
    return entry?.fingerprint === fingerprint ? entry.observer : undefined;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** Starts `observer` for `key`, stopping the one it replaces first. */
  async replace(key: string, fingerprint: string, observer: NodeObserver): Promise<void> {
    await this.stop(key);
    this.entries.set(key, { fingerprint, observer });
    observer.start();
  }

  /** Stops the observer of `key`, if any; true when there was one. */
  async stop(key: string): Promise<boolean> {
    const entry = this.entries.get(key);
    if (!entry) return false;
    this.entries.delete(key);
    await entry.observer.stop();
    return true;
  }

  /** How many observers are in each phase (for /metrics). */
  phases(): Record<string, number> {
    const counts: Record<string, number> = { starting: 0, listed: 0, watching: 0, unreachable: 0 };
    for (const { observer } of this.entries.values()) counts[observer.observation().phase] = (counts[observer.observation().phase] ?? 0) + 1;
    return counts;
  }

  async stopAll(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map((e) => e.observer.stop()));
  }
}

/** A stable text for a JSON value (object keys sorted), to tell whether a kubeconfig changed. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value && typeof value === "object" && !(value instanceof Date)) {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson(obj[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
