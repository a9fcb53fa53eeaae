import { allKinds } from "../../kinds/index.js";
import type { KindInfo } from "../../kinds/index.js";
import { Controller } from "../../controller/controller.js";
import type { Manager } from "../../controller/manager.js";
import { gcOwnerIndex, OwnerGraph } from "./graph.js";
import { GarbageCollector } from "./reconciler.js";

export interface GarbageCollectorOptions {
  workers: number;
  resyncPeriodMs: number;
  /** The kinds to watch: every kind the API serves. */
  kinds: readonly KindInfo[];
}

/** Registers the garbage collector on a manager: an informer per kind, one controller over all of them. */
export function setupGarbageCollector(manager: Manager, opts: Partial<GarbageCollectorOptions> = {}): Controller {
  const kinds = opts.kinds ?? allKinds;
  const graph = new OwnerGraph(kinds);
  const controller = new Controller({
    name: "garbage-collector",
    reconciler: new GarbageCollector(graph, manager.api),
    workers: opts.workers ?? 5,
    resyncPeriodMs: opts.resyncPeriodMs ?? 0,
    ...manager.controllerDefaults(),
  });
  for (const kind of kinds) {
    const informer = manager.informer(kind, { indexers: { [gcOwnerIndex]: graph.ownerIndex } });
    graph.addInformer(kind, informer);
    controller.watch(informer, (change) => graph.keysFor(change));
  }
  manager.add(controller);
  return controller;
}
