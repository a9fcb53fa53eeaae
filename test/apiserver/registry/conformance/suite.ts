import type { KrakeObject, MessageCodec } from "../../../../src/kinds/index.js";
import { resolveMethod, rpcOf, stateReader } from "../../../../src/kinds/index.js";
import { objectKey } from "../../../../src/store/keys.js";
import { startApi } from "../../../fixtures/api.js";
import type { ApiHarness, DeepPartialConfig } from "../../../fixtures/api.js";
import type { EtcdProcess } from "../../../fixtures/etcd.js";
import type { KindFixture, KindType, StatusFixture } from "./fixture.js";
import { conformanceClient } from "./kind-client.js";
import type { KindClient, ListParams } from "./kind-client.js";
import { meta, uniqueId } from "./helpers.js";

/** A status fixture with `status.state` read and written by its enum name. */
export interface StatusAccess<T> extends StatusFixture {
  state(obj: T): string | undefined;
  /** Sets status.state (creating the status if needed). */
  setState(obj: T, state: string): void;
}

/** A fixture as the tests read it: the kind's names, scope and codec from its table entry. */
export interface SuiteFixture<T extends KrakeObject> extends Omit<KindFixture<T>, "status"> {
  api: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  codec: MessageCodec<T>;
  status: StatusAccess<T> | undefined;
}

type WithState = { status?: { state: number } | undefined };

/** Reads and writes status.state through the kind's state enum; fails if the kind has none. */
function statusAccess<T extends KrakeObject>(type: KindType<T>, status: StatusFixture): StatusAccess<T> {
  const states = type.state;
  const state = stateReader<T>(states);
  if (!states || !state) throw new Error(`${type.kind}: a status fixture needs a kind with a state enum`);
  return {
    ...status,
    state,
    setState(obj, name) {
      const o = obj as unknown as WithState;
      // The codec fills a new status with its defaults, whatever the kind's status message.
      o.status ??= (type.codec.fromPartial({ status: {} } as never) as unknown as WithState).status;
      o.status!.state = states.fromName(name);
    },
  };
}

type RawCall = (request: Record<string, unknown>) => Promise<unknown>;

/** The shared state of one kind's suite: one ApiServer, its client, and unique scopes per test. */
export class KindSuite<T extends KrakeObject> {
  readonly type: KindType<T>;
  readonly f: SuiteFixture<T>;
  private harness: ApiHarness | undefined;
  private kindClient: KindClient<T> | undefined;

  constructor(fixture: KindFixture<T>) {
    const { type } = fixture;
    this.type = type;
    this.f = {
      ...fixture,
      api: type.api,
      kind: type.kind,
      plural: type.plural,
      namespaced: type.namespaced,
      codec: type.codec,
      status: fixture.status && statusAccess(type, fixture.status),
    };
  }

  async start(etcd: EtcdProcess, overrides: DeepPartialConfig = {}): Promise<void> {
    this.harness = await startApi(etcd, overrides);
    const client = this.harness.connection.client(this.type);
    // A kind with a status subresource must run the status tests, and only such a kind can.
    if (client.hasStatus !== (this.f.status !== undefined)) {
      throw new Error(`${this.f.kind}: the service ${client.hasStatus ? "has" : "has no"} UpdateStatus, the fixture ${this.f.status ? "has" : "has no"} status`);
    }
    this.kindClient = conformanceClient(client);
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

  /**
   * Update through the kind's generated client, with the request's namespace
   * and name apart from the body's: for tests whose body disagrees with the
   * request on purpose, or is missing, which the generic client cannot send
   * (it takes both from the body).
   */
  rawUpdate(namespace: string, name: string, obj: T | undefined): Promise<T> {
    const service = Object.entries(this.type.service);
    const key = service.find(([, m]) => resolveMethod(this.type, rpcOf(m.path))?.verb === "update")?.[0];
    const client = (this.api.clients as unknown as Record<string, Record<string, RawCall>>)[this.type.clientKey];
    const update = key ? client?.[key] : undefined;
    if (!update) throw new Error(`${this.type.kind}: no generated Update method`);
    return update({ namespace, name, [this.type.bodyField]: obj }) as Promise<T>;
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
