import type { V1Node } from "@kubernetes/client-node";
import type { Logger } from "pino";
import type { Reason } from "../../../gen/krake/core/v1/types.js";
import { ClusterNode } from "../../../gen/krake/kubernetes/v1/cluster.js";
import { Backoff } from "../../client/backoff.js";
import { sleep } from "../../client/clock.js";
import type { Clock, TimerHandle } from "../../client/clock.js";
import type { Observation } from "./cluster-status.js";
import { failureReason } from "./member-api.js";
import type { MemberApi, NodeEvent } from "./member-api.js";
import type { ClusterSettings } from "./settings.js";

export interface NodeObserverOptions {
  api: MemberApi;
  settings: ClusterSettings;
  clock: Clock;
  log: Logger;
  /** Called whenever the observation changes (the controller enqueues the cluster's key). */
  onChange: () => void;
  random?: () => number;
}

/** Krake's rule for its reflectors: a connection that lasted this long resets the backoff. */
const healthyAfterMs = 2_000;

/**
 * One member cluster's Nodes, kept current by a list and then a watch (client-node's Watch)
 * from the list's resource version, plus a check of the custom resources the Cluster names.
 *
 * Liveness: while the watch is open, a probe (a one-node list, then the custom-resource
 * check) runs every `probeIntervalMs` and must answer within `timeoutMs`; a failure drops the
 * watch and makes the cluster unreachable at once, rather than when TCP gives up. The server
 * ends each watch after `watchTimeoutMs` and the next starts from the last resource version;
 * an expired version (410) lists again.
 *
 * Failures (list, watch, probe) make the observation `unreachable` with the failure as
 * reason; the observer then lists again after a backoff (`reconnectInitialMs` doubling to
 * `reconnectMaxMs`, reset once a watch stayed open for 2 s). It never writes anything: it
 * only calls `onChange`, and the reconciler reads `observation()`.
 */
export class NodeObserver {
  private phase: Observation["phase"] = "starting";
  private failure: Reason | undefined;
  private readonly nodes = new Map<string, { node: ClusterNode; json: string }>();
  private listed = false;
  private missing: string[] = [];
  private customResources: string[];
  /** spec.custom_resources changed since the last check. */
  private customResourcesDirty = false;
  private resourceVersion = "";
  private version = 0;
  private snapshot: { version: number; observation: Observation } | undefined;
  private readonly stopping = new AbortController();
  private running: Promise<void> | undefined;
  /** Set while a watch session runs: probes now instead of at the next interval. */
  private probeNow: (() => void) | undefined;

  constructor(
    private readonly opts: NodeObserverOptions,
    customResources: readonly string[],
  ) {
    this.customResources = [...customResources];
  }

  start(): void {
    this.running ??= this.run();
  }

  /** Ends the watch and any call in flight; resolves once the loop is over. */
  async stop(): Promise<void> {
    this.stopping.abort(new Error("observer stopped"));
    await this.running;
  }

  /** What the observer knows now (the same object until something changes). */
  observation(): Observation {
    if (this.snapshot?.version !== this.version) {
      const nodes = this.listed ? [...this.nodes.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v.node) : undefined;
      this.snapshot = {
        version: this.version,
        observation: { phase: this.phase, nodes, failure: this.failure, missingCustomResources: [...this.missing] },
      };
    }
    return this.snapshot.observation;
  }

  /** The Cluster's spec.custom_resources; a change is checked at once when the watch is open, else at the next connect. */
  setCustomResources(names: readonly string[]): void {
    if (names.length === this.customResources.length && names.every((n, i) => n === this.customResources[i])) return;
    this.customResources = [...names];
    this.customResourcesDirty = true;
    this.probeNow?.();
  }

  private changed(): void {
    this.version++;
    this.opts.onChange();
  }

  private async run(): Promise<void> {
    const { clock, settings, log } = this.opts;
    const signal = this.stopping.signal;
    const backoff = new Backoff(settings.reconnectInitialMs, settings.reconnectMaxMs, this.opts.random);
    let relist = true;
    while (!signal.aborted) {
      const session = { opened: undefined as number | undefined };
      try {
        if (relist) {
          const listed = await this.opts.api.listNodes(signal);
          await this.checkCustomResources(signal);
          this.replaceNodes(listed.nodes);
          this.resourceVersion = listed.resourceVersion;
          relist = false;
          if (this.phase === "unreachable") log.info({ nodes: listed.nodes.length }, "member cluster reachable again");
          if (this.phase !== "watching") this.setPhase("listed", undefined);
        }
        const end = await this.watchSession(signal, session);
        if (session.opened !== undefined && clock.now() - session.opened >= healthyAfterMs) backoff.reset();
        if (end === "expired") relist = true;
        // a watch that the server ends at once, again and again, must not spin
        else if (session.opened === undefined || clock.now() - session.opened < healthyAfterMs) await sleep(clock, backoff.next(), signal).catch(() => undefined);
      } catch (err) {
        if (signal.aborted) break;
        relist = true;
        if (session.opened !== undefined && clock.now() - session.opened >= healthyAfterMs) backoff.reset();
        const reason = failureReason(err);
        if (this.phase !== "unreachable" || this.failure?.message !== reason.message) {
          log.info({ reason: reason.message }, "member cluster unreachable; reconnecting with backoff");
        }
        this.setPhase("unreachable", reason);
        await sleep(clock, backoff.next(), signal).catch(() => undefined);
      }
    }
  }

  private setPhase(phase: Observation["phase"], failure: Reason | undefined): void {
    if (this.phase === phase && this.failure?.code === failure?.code && this.failure?.message === failure?.message) return;
    this.phase = phase;
    this.failure = failure;
    this.changed();
  }

  /**
   * Watches from `this.resourceVersion` until the server ends the watch ("closed"), the version
   * expired ("expired"), or `signal` aborts ("closed"); rejects when the watch or a probe fails.
   */
  private watchSession(signal: AbortSignal, session: { opened: number | undefined }): Promise<"closed" | "expired"> {
    const { api, clock, settings } = this.opts;
    return new Promise((resolve, reject) => {
      let settled = false;
      let expired = false;
      let close: (() => void) | undefined;
      let timer: TimerHandle | undefined;
      let probing = false;
      const finish = (err?: unknown) => {
        if (settled) return;
        settled = true;
        timer?.cancel();
        this.probeNow = undefined;
        signal.removeEventListener("abort", onStop);
        close?.();
        if (err === undefined || err === null) resolve(expired ? "expired" : "closed");
        else if ((err as { statusCode?: unknown }).statusCode === 410) resolve("expired");
        else reject(err);
      };
      const onStop = () => finish();
      signal.addEventListener("abort", onStop, { once: true });

      const probe = async () => {
        timer?.cancel();
        timer = undefined;
        if (settled || probing) return;
        probing = true;
        try {
          await api.probe(signal);
          if (this.customResourcesDirty || this.customResources.length > 0) await this.checkCustomResources(signal);
        } catch (err) {
          finish(err);
          return;
        } finally {
          probing = false;
        }
        if (!settled) timer = clock.setTimer(() => void probe(), this.customResourcesDirty ? 0 : settings.probeIntervalMs);
      };
      this.probeNow = () => void probe();
      timer = clock.setTimer(() => void probe(), settings.probeIntervalMs);

      const onEvent = (ev: NodeEvent) => {
        if (settled) return;
        if (ev.type === "ERROR") {
          if (ev.code === 410) expired = true;
          else finish(Object.assign(new Error(`watch: ${ev.message}`), { statusCode: ev.code || 500, body: { message: ev.message } }));
          return;
        }
        if (ev.resourceVersion) this.resourceVersion = ev.resourceVersion;
        if (ev.type === "ADDED" || ev.type === "MODIFIED") this.putNode(ev.node);
        else if (ev.type === "DELETED") this.deleteNode(ev.node.metadata?.name ?? "");
      };
      api.watchNodes(this.resourceVersion, Math.ceil(settings.watchTimeoutMs / 1000), onEvent, (err) => finish(err)).then(
        (closeFn) => {
          close = closeFn;
          if (settled) return closeFn();
          session.opened = clock.now();
          this.setPhase("watching", undefined);
          if (this.customResourcesDirty) this.probeNow?.();
        },
        (err: unknown) => finish(err ?? new Error("the watch could not be opened")),
      );
    });
  }

  /** Records which of spec.custom_resources the cluster does not serve; throws when it does not answer. */
  private async checkCustomResources(signal: AbortSignal): Promise<void> {
    const names = this.customResources;
    this.customResourcesDirty = false;
    const missing: string[] = [];
    for (const name of names) {
      const answer = await this.opts.api.customResource(name, signal);
      if (!answer.served) missing.push(`${name} (${answer.why})`);
    }
    if (missing.length !== this.missing.length || missing.some((m, i) => m !== this.missing[i])) {
      this.missing = missing;
      this.changed();
    }
  }

  private replaceNodes(nodes: V1Node[]): void {
    const names = new Set(nodes.map((n) => n.metadata?.name ?? ""));
    let changed = !this.listed;
    this.listed = true;
    for (const name of [...this.nodes.keys()]) {
      if (!names.has(name)) {
        this.nodes.delete(name);
        changed = true;
      }
    }
    for (const node of nodes) changed = this.storeNode(node) || changed;
    if (changed) this.changed();
  }

  private putNode(node: V1Node): void {
    if (this.storeNode(node)) this.changed();
  }

  private deleteNode(name: string): void {
    if (this.nodes.delete(name)) this.changed();
  }

  /** Keeps what status.nodes holds of a node (name, conditions); true when that changed. */
  private storeNode(node: V1Node): boolean {
    const converted = toClusterNode(node);
    const json = JSON.stringify(ClusterNode.toJSON(converted));
    const name = converted.metadata?.name ?? "";
    if (this.nodes.get(name)?.json === json) return false;
    this.nodes.set(name, { node: converted, json });
    return true;
  }
}

/** A Kubernetes Node as Krake's status.nodes keeps it: its name and its conditions (heartbeat times left out). */
export function toClusterNode(node: V1Node): ClusterNode {
  return ClusterNode.fromPartial({
    metadata: { name: node.metadata?.name ?? "" },
    status: {
      conditions: (node.status?.conditions ?? []).map((c) => ({ message: c.message ?? "", reason: c.reason ?? "", status: c.status, type: c.type })),
    },
  });
}
