import type { KindInfo, KrakeObject } from "../kinds/object.js";
import { Controller } from "./controller.js";
import type { Change, KeyMapper } from "./controller.js";
import { objectKey } from "./keys.js";
import type { InformerRequest, Manager } from "./manager.js";
import type { Reconciler } from "./reconcile.js";
import type { RateLimiter } from "./workqueue/rate-limiters.js";

interface Watched {
  kind: KindInfo<KrakeObject>;
  req: InformerRequest<KrakeObject>;
  toKeys: KeyMapper<KrakeObject>;
}

/**
 * Declares a controller: `controllerFor(manager, applicationKind).owns(clusterKind).complete(reconciler)`.
 * The builder only records; `complete` checks the inputs, creates the
 * (shared) informers and the controller, and adds it to the manager. The
 * reconciler's keys are the primary kind's object keys (`namespace/name`).
 */
export class ControllerBuilder<T extends KrakeObject> {
  private readonly manager: Manager;
  private readonly primary: KindInfo<T>;
  private readonly primaryReq: InformerRequest<T>;
  private readonly watched: Watched[] = [];
  private name: string;
  private workers = 1;
  private rateLimiter: RateLimiter<string> | undefined;
  private resyncPeriodMs = 0;
  private eventFilter: ((change: Change<T>) => boolean) | undefined;

  constructor(manager: Manager, primary: KindInfo<T>, req: InformerRequest<T> = {}) {
    this.manager = manager;
    this.primary = primary;
    this.primaryReq = req;
    this.name = primary.plural;
  }

  named(name: string): this {
    this.name = name;
    return this;
  }

  withWorkers(n: number): this {
    this.workers = n;
    return this;
  }

  withRateLimiter(limiter: RateLimiter<string>): this {
    this.rateLimiter = limiter;
    return this;
  }

  withResync(periodMs: number): this {
    this.resyncPeriodMs = periodMs;
    return this;
  }

  /**
   * Only changes of the primary kind for which `filter` is true bring their
   * object back (controller-runtime's predicates): a way to ignore changes
   * that cannot change what the reconciler does, such as its own status
   * writes. Other watched kinds and resyncs are not filtered.
   */
  withEventFilter(filter: (change: Change<T>) => boolean): this {
    this.eventFilter = filter;
    return this;
  }

  /** Objects of `kind` that list a primary object in `metadata.owners` bring that owner back. */
  owns<O extends KrakeObject>(kind: KindInfo<O>, req: InformerRequest<O> = {}): this {
    const primary = this.primary;
    const toKeys: KeyMapper<KrakeObject> = (change) => {
      const objs = change.type === "update" ? [change.obj, change.old] : [change.obj];
      const keys = new Set<string>();
      for (const o of objs) {
        for (const ref of o.metadata?.owners ?? []) {
          if (ref.api !== primary.api || ref.kind !== primary.kind) continue;
          const ns = primary.namespaced ? ref.namespace || o.metadata?.namespace || "" : "";
          keys.add(ns ? `${ns}/${ref.name}` : ref.name);
        }
      }
      return keys;
    };
    return this.watches(kind, toKeys as unknown as KeyMapper<O>, req);
  }

  /** Any other input: `toKeys` says which primary keys a change of `kind` concerns. */
  watches<O extends KrakeObject>(kind: KindInfo<O>, toKeys: KeyMapper<O>, req: InformerRequest<O> = {}): this {
    this.watched.push({
      kind: kind as unknown as KindInfo<KrakeObject>,
      req: req as unknown as InformerRequest<KrakeObject>,
      toKeys: toKeys as unknown as KeyMapper<KrakeObject>,
    });
    return this;
  }

  complete(reconciler: Reconciler): Controller {
    if (!this.name) throw new Error("a controller needs a name");
    const controller = new Controller({
      name: this.name,
      reconciler,
      workers: this.workers,
      rateLimiter: this.rateLimiter,
      resyncPeriodMs: this.resyncPeriodMs,
      ...this.manager.controllerDefaults(),
    });
    const filter = this.eventFilter;
    controller.watch(this.manager.informer(this.primary, this.primaryReq), (change: Change<T>) =>
      change.type === "resync" || filter === undefined || filter(change) ? [objectKey(change.obj)] : [],
    );
    for (const w of this.watched) controller.watch(this.manager.informer(w.kind, w.req), w.toKeys);
    this.manager.add(controller);
    return controller;
  }
}

export function controllerFor<T extends KrakeObject>(manager: Manager, kind: KindInfo<T>, req: InformerRequest<T> = {}): ControllerBuilder<T> {
  return new ControllerBuilder(manager, kind, req);
}
