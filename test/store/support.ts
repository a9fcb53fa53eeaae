/** Helpers of the store tests: values, rejections, and a recorder of what a watch delivers. */
import { expect } from "chai";
import { ApiError } from "../../src/errors/api-error.js";
import type { StoreEvent, StoreEventBatch } from "../../src/store/store.js";

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

export async function rejection(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(ApiError);
    return err as ApiError;
  }
  throw new Error("expected a rejection");
}

export function eventRevision(ev: StoreEvent): number {
  return ev.type === "put" ? ev.kv.modRevision : ev.modRevision;
}

/** Records what a watch delivers. */
export class Recorder {
  readonly batches: StoreEventBatch[] = [];
  readonly errors: Error[] = [];
  readonly handlers = {
    onEvents: (b: StoreEventBatch): void => void this.batches.push(b),
    onError: (e: Error): void => void this.errors.push(e),
  };

  get events(): StoreEvent[] {
    return this.batches.flatMap((b) => b.events);
  }

  async until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
