import type { Logger } from "pino";
import { pino } from "pino";
import type { KindInfo, KrakeObject } from "../kinds/object.js";
import type { Clock } from "../client/clock.js";
import { realClock } from "../client/clock.js";
import type { Controller } from "./controller.js";
import { Informer } from "./informer/informer.js";
import type { InformerOptions } from "./informer/informer.js";
import type { IndexFunc } from "./informer/indexer.js";
import type { ApiConnection } from "../client/kind-client.js";
import { LeaderElector } from "./leader/leader-elector.js";
import type { LeaderElectorOptions } from "./leader/leader-elector.js";
import type { RuntimeMetrics } from "./metrics.js";

export interface ManagerOptions {
  api: ApiConnection;
  log: Logger;
  clock: Clock;
  metrics?: RuntimeMetrics;
  /** Informer settings shared by every informer the manager makes. */
  informerDefaults: Partial<Pick<InformerOptions<KrakeObject>, "pageSize" | "backoffInitialMs" | "backoffMaxMs" | "idleTimeoutMs">>;
}

export interface InformerRequest<T extends KrakeObject> {
  namespace?: string;
  labelSelector?: string;
  indexers?: Record<string, IndexFunc<T>>;
}

/**
 * Runs a process' controllers: one shared informer per watched kind (and
 * namespace/selector), started at once so that a standby replica has a warm
 * cache; the controllers' workers run only while this replica leads (or
 * always, without an elector). Stopping drains: workers stop taking keys,
 * reconciles in flight get `graceMs` to finish before they are aborted, and
 * only then is the lease released.
 */
export class Manager {
  readonly api: ApiConnection;
  private readonly opts: ManagerOptions;
  private readonly informers = new Map<string, Informer<KrakeObject>>();
  private readonly controllers: Controller[] = [];
  private elector: LeaderElector | undefined;
  private readonly stopWork = new AbortController();
  private readonly abortAll = new AbortController();
  private readonly stopElection = new AbortController();
  private epoch: Promise<void> | undefined;
  private election: Promise<void> | undefined;
  private started = false;
  private leaseName = "";

  constructor(opts: Partial<ManagerOptions> & { api: ApiConnection }) {
    this.opts = { log: pino({ level: "silent" }), clock: realClock, informerDefaults: {}, ...opts };
    this.api = this.opts.api;
  }

  /** The shared informer for `kind` (one per kind, namespace and selector); indexers are merged. */
  informer<T extends KrakeObject>(kind: KindInfo<T>, req: InformerRequest<T> = {}): Informer<T> {
    const key = `${kind.api}/${kind.plural}|${req.namespace ?? ""}|${req.labelSelector ?? ""}`;
    let inf = this.informers.get(key) as Informer<T> | undefined;
    if (inf) {
      for (const [name, fn] of Object.entries(req.indexers ?? {})) inf.store.addIndex(name, fn);
      return inf;
    }
    inf = new Informer<T>({
      ...this.opts.informerDefaults,
      client: this.api.client(kind),
      namespace: req.namespace ?? "",
      labelSelector: req.labelSelector ?? "",
      indexers: req.indexers ?? {},
      clock: this.opts.clock,
      log: this.opts.log,
    });
    this.informers.set(key, inf as unknown as Informer<KrakeObject>);
    const i = inf;
    this.opts.metrics?.watchInformer(kind.kind, () => ({ relists: i.stats.relists, watches: i.stats.watches, objects: i.store.size }));
    if (this.started) inf.start();
    return inf;
  }

  /** Clock, log and metrics for controllers of this manager. */
  controllerDefaults(): { clock: Clock; log: Logger; metrics?: RuntimeMetrics } {
    return { clock: this.opts.clock, log: this.opts.log, metrics: this.opts.metrics };
  }

  add(controller: Controller): void {
    if (this.started) throw new Error("controllers must be added before the manager starts");
    this.controllers.push(controller);
  }

  /** Acts only while holding the lease; without this the manager acts as soon as it starts. */
  useLeaderElection(opts: Partial<Omit<LeaderElectorOptions, "onLeading">> & Pick<LeaderElectorOptions, "lock" | "identity">): LeaderElector {
    if (this.started) throw new Error("leader election must be set up before the manager starts");
    this.leaseName = opts.lock.describe();
    this.elector = new LeaderElector({
      clock: this.opts.clock,
      log: this.opts.log,
      ...opts,
      onLeading: (signal) => this.leadUntil(signal),
    });
    return this.elector;
  }

  get hasSynced(): boolean {
    return [...this.informers.values()].every((i) => i.hasSynced);
  }

  get isLeader(): boolean {
    return this.elector ? this.elector.isLeader() : this.started && !this.stopWork.signal.aborted;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    for (const inf of this.informers.values()) inf.start();
    if (this.elector) {
      const elector = this.elector;
      this.election = elector.run(this.stopElection.signal);
    } else {
      this.epoch = this.act(this.stopWork.signal);
    }
  }

  /** Runs every controller's workers for one leadership epoch. */
  private act(lead: AbortSignal, canAct?: () => boolean): Promise<void> {
    const work = AbortSignal.any([lead, this.stopWork.signal]);
    const abort = AbortSignal.any([lead, this.abortAll.signal]);
    this.opts.metrics?.setLeader(this.leaseName, true);
    return Promise.all(this.controllers.map((c) => c.run({ work, abort, canAct }))).then(() => {
      this.opts.metrics?.setLeader(this.leaseName, false);
    });
  }

  /** Leads until `signal` aborts; settles once the epoch's reconciles are over. */
  private leadUntil(signal: AbortSignal): Promise<void> {
    const elector = this.elector;
    this.epoch = this.act(signal, elector ? () => elector.isLeader() : undefined);
    return this.epoch;
  }

  async stop(graceMs = 10_000): Promise<void> {
    const { log } = this.opts;
    this.stopWork.abort(new Error("stopping"));
    const epoch = this.epoch;
    if (epoch) {
      const finished = await Promise.race([epoch.then(() => true), delay(graceMs).then(() => false)]);
      if (!finished) log.warn({ graceMs }, "reconciles still running after the grace period; aborting them");
    }
    this.abortAll.abort(new Error("stopping"));
    await this.epoch;
    this.stopElection.abort(new Error("stopping"));
    await this.election;
    for (const c of this.controllers) c.shutDown();
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
    this.api.close();
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
