import type { Clock, TimerHandle } from "../../client/clock.js";
import { realClock } from "../../client/clock.js";
import { WorkQueue } from "./queue.js";

interface Waiting<K> {
  key: K;
  at: number;
}

/**
 * A work queue that can also add a key later (`addAfter`). A key waiting for
 * its time is kept once, at the earliest time asked for. One clock timer at a
 * time, set for the earliest waiting key.
 */
export class DelayingQueue<K = string> extends WorkQueue<K> {
  protected readonly clock: Clock;
  /** Min-heap by `at`; entries whose `at` no longer matches `readyAt` are stale. */
  private heap: Waiting<K>[] = [];
  private readonly readyAt = new Map<K, number>();
  private timer: TimerHandle | undefined;
  private timerAt = Infinity;

  constructor(clock: Clock = realClock) {
    super();
    this.clock = clock;
  }

  /** Keys waiting for their time. */
  get waiting(): number {
    return this.readyAt.size;
  }

  addAfter(key: K, delayMs: number): void {
    if (this.isShuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = this.clock.now() + delayMs;
    const current = this.readyAt.get(key);
    if (current !== undefined && current <= at) return;
    this.readyAt.set(key, at);
    this.heapPush({ key, at });
    this.arm();
  }

  override shutDown(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.heap = [];
    this.readyAt.clear();
    super.shutDown();
  }

  private arm(): void {
    const first = this.heap[0];
    if (!first || first.at >= this.timerAt) return;
    this.timer?.cancel();
    this.timerAt = first.at;
    this.timer = this.clock.setTimer(() => this.fire(), first.at - this.clock.now());
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = this.clock.now();
    while (this.heap.length && this.heap[0].at <= now) {
      const { key, at } = this.heapPop()!;
      if (this.readyAt.get(key) !== at) continue;
      this.readyAt.delete(key);
      this.add(key);
    }
    this.arm();
  }

  private heapPush(w: Waiting<K>): void {
    const h = this.heap;
    h.push(w);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p].at <= h[i].at) break;
      [h[p], h[i]] = [h[i], h[p]];
      i = p;
    }
  }

  private heapPop(): Waiting<K> | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l].at < h[m].at) m = l;
        if (r < h.length && h[r].at < h[m].at) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i], h[m]];
        i = m;
      }
    }
    return top;
  }
}
