/**
 * One etcd watch on a key prefix, on its own gRPC stream, that survives
 * transient disconnects without losing or repeating events.
 *
 * etcd3's Watcher is not used: on reconnect it resumes from (last response
 * header revision + 1), and the header of its first "created" response, or of
 * a catch-up response that etcd cut at 1000 revisions, is ahead of the events
 * actually delivered, so a disconnect at the wrong time loses events. It also
 * hides the compact revision of a canceled watch. Here the resume point is
 * the first revision not yet delivered, and anything older is dropped.
 *
 * Watches ask etcd to fragment large responses: a catch-up response holds up to
 * 1000 revisions, each with its previous value, which for objects near the
 * size limit is far more than one gRPC message should carry. etcd then sends
 * parts of under --max-request-bytes each (or a single event), and the parts
 * are joined here into the response they belong to.
 */
import { Buffer } from "node:buffer";
import type { Etcd3, IDuplexStream, IEvent, IWatchRequest, IWatchResponse } from "etcd3";
import { ApiError, Status } from "../errors/api-error.js";
import { translateEtcdError } from "./errors.js";
import { prefixEnd, toKeyValue } from "./etcd-values.js";
import type { StoreEvent, StoreEventBatch, StoreWatch, WatchHandlers } from "./store.js";

/**
 * etcd cuts a catch-up response after this many distinct revisions and then
 * still stamps it with its current revision; such a header proves nothing.
 */
const ETCD_MAX_REVISIONS_PER_RESPONSE = 1000;

export interface EtcdWatchOptions {
  dialTimeoutMs: number;
  retryMinMs: number;
  retryMaxMs: number;
  /** Called once when the watch ends, by close() or by a final error. */
  onClosed?: () => void;
}

type WatchStream = IDuplexStream<IWatchRequest, IWatchResponse>;

function toStoreEvent(ev: IEvent): StoreEvent {
  const prev = ev.prev_kv ? toKeyValue(ev.prev_kv) : undefined;
  if (ev.type === "Delete") {
    return { type: "delete", key: ev.kv.key.toString("utf8"), modRevision: Number(ev.kv.mod_revision), prev };
  }
  return { type: "put", kv: toKeyValue(ev.kv), prev };
}

export class EtcdWatch implements StoreWatch {
  /** The first revision not yet delivered: where a reconnect resumes. */
  private next: number;
  private stream: WatchStream | undefined;
  private established = false;
  private closed = false;
  private failures = 0;
  /** Events of the fragments of a response received so far, until its last fragment. */
  private fragments: IEvent[] = [];
  private retryTimer: NodeJS.Timeout | undefined;
  private startSettle: { resolve(): void; reject(err: ApiError): void } | undefined;

  constructor(
    private readonly client: Etcd3,
    private readonly prefix: string,
    fromRevision: number,
    private readonly handlers: WatchHandlers,
    private readonly opts: EtcdWatchOptions,
  ) {
    this.next = fromRevision;
  }

  /** Resolves once etcd has created the watch; rejects if it cannot within dialTimeoutMs. */
  start(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(ApiError.unavailable(`etcd did not accept a watch within ${this.opts.dialTimeoutMs} ms`));
      }, this.opts.dialTimeoutMs);
      this.startSettle = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      this.open();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.opts.onClosed?.();
    const stream = this.stream;
    this.stream = undefined;
    // Ending the call makes etcd drop the watch; no need for a cancel request.
    endStream(stream);
  }

  private open(): void {
    this.client.watchClient.watch().then(
      (stream) => this.attach(stream),
      (err: unknown) => this.onStreamError(undefined, err),
    );
  }

  private attach(stream: WatchStream): void {
    if (this.closed) {
      endStream(stream);
      return;
    }
    this.stream = stream;
    // parts of a response cut off by a lost stream come again: the resume point has not moved past them
    this.fragments = [];
    stream.on("data", (res) => this.onResponse(stream, res));
    stream.on("error", (err) => this.onStreamError(stream, err));
    stream.on("end", () => this.onStreamError(stream, ApiError.unavailable("etcd ended the watch stream")));
    // etcd rejects an empty key; "\0" with range end "\0" is the whole key space
    const key = this.prefix === "" ? Buffer.from([0]) : Buffer.from(this.prefix);
    stream.write({
      create_request: {
        key,
        range_end: prefixEnd(Buffer.from(this.prefix)),
        start_revision: this.next,
        prev_kv: true,
        progress_notify: true,
        fragment: true,
      },
    });
  }

  private onResponse(stream: WatchStream, res: IWatchResponse): void {
    if (stream !== this.stream || this.closed) return;
    if (res.canceled) {
      this.onCanceled(res);
      return;
    }
    if (res.created) {
      this.failures = 0;
      if (!this.established) {
        this.established = true;
        this.startSettle?.resolve();
        this.startSettle = undefined;
      }
      return;
    }
    if (res.fragment) {
      for (const ev of res.events) this.fragments.push(ev);
      return;
    }
    if (this.fragments.length > 0) {
      res = { ...res, events: this.fragments.concat(res.events) };
      this.fragments = [];
    }
    const batch = this.toBatch(res);
    if (!batch) return;
    try {
      this.handlers.onEvents(batch);
    } catch (err) {
      this.fail(ApiError.from(err));
    }
  }

  /** The response as a batch of events not yet delivered, or undefined if it brings nothing new. */
  private toBatch(res: IWatchResponse): StoreEventBatch | undefined {
    let distinct = 0;
    let last = 0;
    for (const ev of res.events) {
      const rev = Number(ev.kv.mod_revision);
      if (rev !== last) distinct++;
      last = rev;
    }
    const header = Number(res.header.revision);
    let revision: number;
    if (res.events.length === 0) revision = header; // progress notification
    else if (distinct >= ETCD_MAX_REVISIONS_PER_RESPONSE) revision = last;
    else revision = Math.max(header, last);

    const events = res.events.filter((ev) => Number(ev.kv.mod_revision) >= this.next).map(toStoreEvent);
    if (events.length === 0 && revision < this.next) return undefined;
    this.next = Math.max(this.next, revision + 1);
    return { events, revision };
  }

  private onCanceled(res: IWatchResponse): void {
    const compacted = Number(res.compact_revision);
    if (compacted > 0) {
      this.fail(
        ApiError.expired(`watch from revision ${this.next} is too old: history is compacted up to revision ${compacted}`),
      );
    } else {
      const reason = res.cancel_reason || "no reason given";
      this.fail(new ApiError(Status.INTERNAL, "Internal", "internal error", [], new Error(`etcd canceled the watch: ${reason}`)));
    }
  }

  private onStreamError(stream: WatchStream | undefined, err: unknown): void {
    if (this.closed || (stream !== undefined && stream !== this.stream)) return;
    this.stream = undefined;
    endStream(stream);
    const apiErr = translateEtcdError(err);
    if (!this.established || apiErr.code !== Status.UNAVAILABLE) {
      this.fail(apiErr);
      return;
    }
    const delay = Math.min(this.opts.retryMaxMs, this.opts.retryMinMs * 2 ** this.failures);
    this.failures++;
    // jitter, so that many processes do not reconnect in lockstep after an etcd restart
    this.retryTimer = setTimeout(() => this.closed || this.open(), delay / 2 + Math.random() * (delay / 2));
  }

  /** Ends the watch for good and reports `err` once (rejecting start() if it is still pending). */
  private fail(err: ApiError): void {
    if (this.closed) return;
    void this.close();
    if (this.startSettle) {
      this.startSettle.reject(err);
      this.startSettle = undefined;
    } else {
      this.handlers.onError(err);
    }
  }
}

/**
 * Half-closes, then cancels. The half-close first matters: etcd3 treats an
 * error on a still-writable watch stream (our own CANCELLED included) as a
 * failed host and throws away every channel to it, so the next calls would
 * all have to reconnect.
 */
function endStream(stream: WatchStream | undefined): void {
  if (!stream) return;
  stream.end();
  stream.cancel();
}
