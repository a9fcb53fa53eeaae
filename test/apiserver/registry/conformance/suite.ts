import type { KrakeObject } from "../../../../src/apiserver/objects/kind.js";
import { objectKey } from "../../../../src/store/keys.js";
import { startApi } from "../../../fixtures/api.js";
import type { ApiHarness, DeepPartialConfig } from "../../../fixtures/api.js";
import type { EtcdProcess } from "../../../fixtures/etcd.js";
import type { KindFixture } from "./fixture.js";
import type { KindClient, ListParams } from "./kind-client.js";
import { meta, uniqueId } from "./helpers.js";

/** The shared state of one kind's suite: one ApiServer, its client, and unique scopes per test. */
export class KindSuite<T extends KrakeObject> {
  readonly f: KindFixture<T>;
  private harness: ApiHarness | undefined;
  private kindClient: KindClient<T> | undefined;

  constructor(fixture: KindFixture<T>) {
    this.f = fixture;
  }

  async start(etcd: EtcdProcess, overrides: DeepPartialConfig = {}): Promise<void> {
    this.harness = await startApi(etcd, overrides);
    this.kindClient = this.f.client(this.harness.clients);
  }

  async stop(): Promise<void> {
    await this.harness?.stop();
  }

  get api(): ApiHarness {
    if (!this.harness) throw new Error("the suite has not started");
    return this.harness;
  }

  get c(): KindClient<T> {
    if (!this.kindClient) throw new Error("the suite has not started");
    return this.kindClient;
  }

  /** A fresh namespace and label so that tests sharing a server never see each other's objects. */
  scope(): Scope<T> {
    return new Scope(this);
  }

  storeKey(namespace: string, name: string): string {
    return objectKey(this.api.prefix, this.f.api, this.f.plural, this.f.namespaced ? namespace : "", name);
  }

  get watchers(): number {
    return this.api.server.cache.kindCache(this.f.api, this.f.plural).watchers;
  }

  clone(obj: T): T {
    return this.f.codec.decode(this.f.codec.encode(obj).finish());
  }

  /** Krake's 404 detail (krake/api/helpers.py `load`). */
  notFoundMessage(name: string, namespace: string): string {
    return this.f.namespaced
      ? `'${this.f.kind}' '${name}' does not exist in namespace '${namespace}'`
      : `'${this.f.kind}' '${name}' does not exist`;
  }
}

export class Scope<T extends KrakeObject> {
  readonly id = uniqueId();
  /** "" for global kinds. */
  readonly ns: string;
  /** The label every object of this scope carries: `scope=<id>`. */
  readonly selector: string;
  private readonly suite: KindSuite<T>;
  private counter = 0;

  constructor(suite: KindSuite<T>) {
    this.suite = suite;
    this.ns = suite.f.namespaced ? `ns-${this.id}` : "";
    this.selector = `scope=${this.id}`;
  }

  /** An unsaved valid object of this scope, with extra labels. */
  object(name = this.name(), labels: Record<string, string> = {}): T {
    const obj = this.suite.f.valid(name, this.ns);
    const m = meta(obj);
    m.labels = { ...labels, scope: this.id };
    return obj;
  }

  name(prefix = "obj"): string {
    return `${prefix}-${this.id}-${++this.counter}`;
  }

  /** Creates an object of this scope; `mutate` may change it first. */
  create(name = this.name(), labels: Record<string, string> = {}, mutate?: (obj: T) => void): Promise<T> {
    const obj = this.object(name, labels);
    mutate?.(obj);
    return this.suite.c.create(this.ns, obj);
  }

  /** `scope=<id>` plus more requirements. */
  select(extra = ""): string {
    return extra ? `${this.selector},${extra}` : this.selector;
  }

  async names(params: ListParams = {}, namespace = this.ns): Promise<string[]> {
    const list = await this.suite.c.list(namespace, { ...params, labelSelector: this.select(params.labelSelector) });
    return list.items.map((o) => meta(o).name);
  }
}
