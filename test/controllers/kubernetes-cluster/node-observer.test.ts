import type { V1Node } from "@kubernetes/client-node";
import { expect } from "chai";
import { pino } from "pino";
import { Reason_Code } from "../../../gen/krake/core/v1/types.js";
import { FakeClock, settle } from "../../../src/client/clock.js";
import type { MemberApi, NodeEvent } from "../../../src/controllers/kubernetes-cluster/member-api.js";
import { NodeObserver } from "../../../src/controllers/kubernetes-cluster/node-observer.js";
import type { ClusterSettings } from "../../../src/controllers/kubernetes-cluster/settings.js";

interface FakeWatch {
  rv: string;
  onEvent: (ev: NodeEvent) => void;
  done: (err: unknown) => void;
  closed: boolean;
}

/** A member cluster in memory: nodes with resource versions, watches the test drives, and an outage switch. */
class FakeMember implements MemberApi {
  readonly nodes = new Map<string, V1Node>();
  rv = 10;
  lists = 0;
  probes = 0;
  crdChecks: string[] = [];
  readonly crds = new Set<string>();
  readonly watches: FakeWatch[] = [];
  down: Error | undefined;

  async listNodes(): Promise<{ nodes: V1Node[]; resourceVersion: string }> {
    this.lists++;
    if (this.down) throw this.down;
    return { nodes: [...this.nodes.values()], resourceVersion: String(this.rv) };
  }
  async probe(): Promise<void> {
    this.probes++;
    if (this.down) throw this.down;
  }
  async customResource(name: string): Promise<{ served: true } | { served: false; why: string }> {
    this.crdChecks.push(name);
    if (this.down) throw this.down;
    return this.crds.has(name) ? { served: true } : { served: false, why: "not found" };
  }
  async watchNodes(rv: string, _t: number, onEvent: (ev: NodeEvent) => void, done: (err: unknown) => void): Promise<() => void> {
    if (this.down) {
      done(this.down);
      return () => undefined;
    }
    const w: FakeWatch = { rv, onEvent, done, closed: false };
    this.watches.push(w);
    return () => (w.closed = true);
  }
  get open(): FakeWatch | undefined {
    return this.watches.filter((w) => !w.closed).at(-1);
  }
  put(name: string, ready: "True" | "False"): void {
    const node: V1Node = { metadata: { name, resourceVersion: String(++this.rv) }, status: { conditions: [{ type: "Ready", status: ready }] } };
    const type = this.nodes.has(name) ? "MODIFIED" : "ADDED";
    this.nodes.set(name, node);
    this.open?.onEvent({ type, node, resourceVersion: String(this.rv) });
  }
  /** The server ends the open watch (its timeoutSeconds passed). */
  endWatch(): void {
    const w = this.open!;
    w.closed = true;
    w.done(null);
  }
}

const settings: ClusterSettings = { probeIntervalMs: 1_000, timeoutMs: 500, reconnectInitialMs: 100, reconnectMaxMs: 400, watchTimeoutMs: 60_000, listPageSize: 10 };

describe("kubernetes cluster controller: a cluster's node observer (fake member, fake clock)", () => {
  let clock: FakeClock;
  let member: FakeMember;
  let observer: NodeObserver;
  let changes: number;

  const start = async (customResources: string[] = []) => {
    observer = new NodeObserver({ api: member, settings, clock, log: pino({ level: "silent" }), onChange: () => changes++, random: () => 0 }, customResources);
    observer.start();
    await settle();
  };
  const step = async (ms: number) => {
    clock.step(ms);
    await settle();
  };
  const names = () => observer.observation().nodes?.map((n) => `${n.metadata?.name}:${n.status?.conditions[0]?.status}`);

  beforeEach(() => {
    clock = new FakeClock();
    member = new FakeMember();
    changes = 0;
    member.put("a", "True");
  });
  afterEach(async () => {
    await observer?.stop();
  });

  it("lists, then watches from the list's version, and follows the watch's events", async () => {
    await start();
    expect(observer.observation().phase).to.equal("watching");
    expect(member.watches.map((w) => w.rv)).to.deep.equal(["11"]);
    expect(names()).to.deep.equal(["a:True"]);
    const before = changes;
    member.put("b", "False");
    member.put("a", "True"); // a change the status does not keep (nothing in it differs): no notification
    expect(names()).to.deep.equal(["a:True", "b:False"]);
    expect(changes - before).to.equal(1);
  });

  it("a watch the server ends is opened again from the last version seen, without listing", async () => {
    await start();
    member.put("b", "True");
    await step(3_000);
    member.endWatch();
    await settle();
    expect(member.watches.map((w) => w.rv)).to.deep.equal(["11", "12"]);
    expect(member.lists).to.equal(1);
    expect(observer.observation().phase).to.equal("watching");
  });

  it("a watch that ends at once, again and again, backs off instead of spinning", async () => {
    await start();
    member.endWatch();
    await settle();
    expect(member.watches.length, "waits before the next watch").to.equal(1);
    await step(settings.reconnectInitialMs);
    expect(member.watches.length).to.equal(2);
  });

  it("an expired version (ERROR 410) lists again, then watches from the new list", async () => {
    await start();
    member.open!.onEvent({ type: "ERROR", code: 410, message: "too old resource version" });
    member.endWatch();
    await settle();
    expect(member.lists, "at once: an expired version is no failure").to.equal(2);
    expect(member.watches.at(-1)!.rv).to.equal(String(member.rv));
    expect(observer.observation().phase).to.equal("watching");
  });

  it("a failing probe drops the watch and makes the cluster unreachable; it reconnects with backoff", async () => {
    await start();
    member.down = Object.assign(new Error("request to https://x/api/v1/nodes failed, reason: connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    await step(settings.probeIntervalMs);
    const obs = observer.observation();
    expect(obs.phase).to.equal("unreachable");
    expect(obs.failure?.code).to.equal(Reason_Code.CLUSTER_NOT_REACHABLE);
    expect(obs.failure?.message).to.include("ECONNREFUSED");
    expect(obs.nodes?.length, "the last nodes seen are kept").to.equal(1);
    expect(member.watches[0]!.closed).to.equal(true);
    const lists = member.lists;
    await step(100); // 100, then 200, 400, 400 ...
    await step(200);
    await step(400);
    expect(member.lists - lists).to.equal(3);
    member.down = undefined;
    member.put("b", "True");
    await step(400);
    expect(observer.observation().phase).to.equal("watching");
    expect(names()).to.deep.equal(["a:True", "b:True"]);
  });

  it("an error the server sends on the watch (other than 410) counts as a failure, with its code", async () => {
    await start();
    member.open!.onEvent({ type: "ERROR", code: 500, message: "etcdserver: request timed out" });
    await settle();
    expect(observer.observation().phase).to.equal("unreachable");
    expect(observer.observation().failure).to.deep.equal({ code: Reason_Code.KUBERNETES_ERROR, message: "HTTP 500 (etcdserver: request timed out)" });
  });

  it("checks the custom resources before watching, at every probe, and at once when they change", async () => {
    await start(["foos.example.com"]);
    expect(observer.observation().missingCustomResources).to.deep.equal(["foos.example.com (not found)"]);
    member.crds.add("foos.example.com");
    await step(settings.probeIntervalMs);
    expect(observer.observation().missingCustomResources).to.deep.equal([]);
    const checks = member.crdChecks.length;
    observer.setCustomResources(["foos.example.com", "bars.example.com"]);
    await settle();
    expect(member.crdChecks.slice(checks)).to.deep.equal(["foos.example.com", "bars.example.com"]);
    expect(observer.observation().missingCustomResources).to.deep.equal(["bars.example.com (not found)"]);
  });

  it("stop ends the watch and leaves no timer behind", async () => {
    await start();
    await observer.stop();
    expect(member.open).to.equal(undefined);
    expect(clock.pendingTimers).to.equal(0);
  });
});
