import type { Lease, LeaseSpec } from "../../../gen/krake/core/v1/lease.js";
import { EventType } from "../../../gen/krake/core/v1/watch.js";
import type { CallSettings } from "../../client/promise-client.js";
import { isNotFound } from "../../client/grpc-codes.js";
import type { KindClient } from "../../client/kind-client.js";

/**
 * One Lease object as a lock. Every write carries the resource version it
 * was computed from, so of two replicas writing at once exactly one wins.
 */
export class LeaseLock {
  readonly namespace: string;
  readonly name: string;
  private readonly client: KindClient<Lease>;

  constructor(client: KindClient<Lease>, namespace: string, name: string) {
    this.client = client;
    this.namespace = namespace;
    this.name = name;
  }

  describe(): string {
    return `${this.namespace}/${this.name}`;
  }

  /** The lease, or undefined when it does not exist yet. */
  async get(settings?: CallSettings): Promise<Lease | undefined> {
    try {
      return await this.client.get(this.namespace, this.name, settings);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Creates the lease; fails with ALREADY_EXISTS when another replica was first. */
  create(spec: LeaseSpec, settings?: CallSettings): Promise<Lease> {
    const lease: Lease = {
      api: "core",
      kind: "Lease",
      metadata: {
        name: this.name,
        namespace: this.namespace,
        labels: {},
        inheritLabels: false,
        finalizers: [],
        uid: "",
        created: undefined,
        modified: undefined,
        deleted: undefined,
        owners: [],
        resourceVersion: "",
        generation: 0,
        generateName: "",
      },
      spec,
    };
    return this.client.create(this.namespace, lease, {}, settings);
  }

  /** Replaces the spec of `current`, on condition that it is still current (ABORTED otherwise). */
  update(current: Lease, spec: LeaseSpec, settings?: CallSettings): Promise<Lease> {
    if (!current.metadata?.resourceVersion) throw new Error("lease update without a resource version");
    return this.client.update({ ...current, spec }, settings);
  }

  /**
   * Calls `onChange` for every change of the lease after `fromVersion`
   * (`deleted` when it was removed) until `signal` aborts or the stream
   * fails; rejects in both cases, like the watch it wraps.
   */
  async watch(fromVersion: string, onChange: (lease: Lease, deleted: boolean) => void, signal: AbortSignal): Promise<void> {
    const stream = this.client.watch({ namespace: this.namespace, resourceVersion: fromVersion }, { signal });
    for await (const ev of stream) {
      if (ev.object?.metadata?.name !== this.name) continue;
      if (ev.type === EventType.ADDED || ev.type === EventType.MODIFIED || ev.type === EventType.DELETED) {
        onChange(ev.object, ev.type === EventType.DELETED);
      }
    }
  }
}
