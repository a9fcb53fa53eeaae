/**
 * Exponential backoff for one retry loop: each delay doubles up to the
 * maximum, less up to `jitter` of it at random so that clients that failed
 * together do not retry together; `reset()` after progress.
 */
export class Backoff {
  private current: number;

  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
    private readonly jitter = 0.2,
  ) {
    this.current = initialMs;
  }

  /** The delay before the next attempt. */
  next(): number {
    const delay = this.current * (1 - this.jitter * this.random());
    this.current = Math.min(this.current * 2, this.maxMs);
    return delay;
  }

  reset(): void {
    this.current = this.initialMs;
  }
}
