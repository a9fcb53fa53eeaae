import type { ServiceError } from "@grpc/grpc-js";
import type { ResponseStream } from "../../../../src/client/promise-client.js";

/** Reads a watch stream in order, event by event; remembers how it ended. */
export class EventReader<E> {
  readonly watch: ResponseStream<E>;
  private readonly buffer: E[] = [];
  private failure: ServiceError | undefined;
  private ended = false;
  private wake: (() => void) | undefined;

  constructor(watch: ResponseStream<E>) {
    this.watch = watch;
    const notify = () => this.wake?.();
    watch.stream.on("data", (e: E) => {
      this.buffer.push(e);
      notify();
    });
    watch.stream.on("error", (err: ServiceError) => {
      this.failure = err;
      notify();
    });
    watch.stream.on("end", () => {
      this.ended = true;
      notify();
    });
  }

  /** The next `count` events; fails if the stream ends first or `timeoutMs` passes. */
  async next(count = 1, timeoutMs = 5_000): Promise<E[]> {
    await this.until(() => this.buffer.length >= count || this.failure !== undefined || this.ended, timeoutMs, () =>
      `${this.buffer.length}/${count} events`);
    if (this.buffer.length < count) {
      throw new Error(`watch ended after ${this.buffer.length}/${count} events: ${this.failure?.details ?? "end of stream"}`);
    }
    return this.buffer.splice(0, count);
  }

  async one(timeoutMs = 5_000): Promise<E> {
    return (await this.next(1, timeoutMs))[0]!;
  }

  /** Waits for the stream's error status, discarding the events before it; returns them too. */
  async error(timeoutMs = 5_000): Promise<{ error: ServiceError; events: E[] }> {
    await this.until(() => this.failure !== undefined || this.ended, timeoutMs, () => "the stream to fail");
    if (!this.failure) throw new Error("the watch ended without an error");
    return { error: this.failure, events: this.buffer.splice(0) };
  }

  cancel(): void {
    this.watch.cancel();
  }

  private async until(done: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }
}
