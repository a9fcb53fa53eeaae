/**
 * The registry conformance suite: DESIGN.md §4's contract (create, get,
 * update, update status, delete, list, watch), run through the real gRPC API of
 * an in-process krake-api over a real etcd, once per kind. A kind supplies only
 * a fixture: its client methods, a valid object, a spec change and an invalid
 * mutation (KK's `genericregistrytest` idea).
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { expect } from "chai";
import { status as Status } from "@grpc/grpc-js";
import type { ServiceError } from "@grpc/grpc-js";
import { EventType } from "../../../gen/krake/core/v1/watch.js";
import type { ListMetadata, Metadata } from "../../../gen/krake/core/v1/types.js";
import type { KrakeObject, MessageCodec } from "../../../src/apiserver/registry/kind.js";
import { fromServiceError } from "../../../src/client/errors.js";
import type { ApiError } from "../../../src/errors/api-error.js";
import type { KrakeClients } from "../../../src/client/clients.js";
import type { ResponseStream } from "../../../src/client/promise-client.js";
import { objectKey } from "../../../src/store/keys.js";
import { expectCode, startApi } from "../../fixtures/api.js";
import type { ApiHarness, DeepPartialConfig } from "../../fixtures/api.js";
import type { EtcdProcess } from "../../fixtures/etcd.js";

export interface ListParams {
  labelSelector?: string;
  limit?: number;
  continue?: string;
}

export interface DeleteParams {
  resourceVersion?: string;
  force?: boolean;
  propagationPolicy?: string;
  blocking?: string;
}

export interface WatchParams {
  labelSelector?: string;
  resourceVersion?: string;
  allowBookmarks?: boolean;
  sendInitialEvents?: boolean;
}

export interface ListResult<T> {
  api: string;
  kind: string;
  metadata: ListMetadata | undefined;
  items: T[];
}

export interface WatchEvent<T> {
  type: EventType;
  object: T | undefined;
}

/** One kind's service, with the namespace as a parameter (ignored by global kinds). */
export interface KindClient<T> {
  create(namespace: string, obj: T | undefined, blocking?: string): Promise<T>;
  get(namespace: string, name: string): Promise<T>;
  list(namespace: string, params?: ListParams): Promise<ListResult<T>>;
  update(namespace: string, name: string, obj: T | undefined): Promise<T>;
  delete(namespace: string, name: string, params?: DeleteParams): Promise<T>;
  watch(namespace: string, params?: WatchParams): ResponseStream<WatchEvent<T>>;
  /** Present for kinds with a status subresource. */
  updateStatus?(namespace: string, name: string, obj: T | undefined): Promise<T>;
}

/** Reads and writes `status.state` of a kind with a status (as the enum's name). */
export interface StatusFixture<T> {
  /** The state a new object starts in. */
  initial: string;
  /** A state other than `initial`. */
  other: string;
  state(obj: T): string | undefined;
  /** Sets status.state (creating the status if needed). */
  setState(obj: T, state: string): void;
}

export interface KindFixture<T extends KrakeObject> {
  api: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  codec: MessageCodec<T>;
  client(clients: KrakeClients): KindClient<T>;
  /** A valid object (the namespace is ignored by global kinds). */
  valid(name: string, namespace: string): T;
  /** Changes the spec (or, for Role and RoleBinding, the top-level fields) validly. */
  changeSpec(obj: T): void;
  /** Makes the object invalid in one field, named by `field` (proto path). */
  invalid: { field: string; mutate(obj: T): void };
  status?: StatusFixture<T>;
}

/** Erases a fixture's type for tables of every kind (as `anyKind` does for kinds). */
export function anyFixture<T extends KrakeObject>(fixture: KindFixture<T>): KindFixture<KrakeObject> {
  return fixture as unknown as KindFixture<KrakeObject>;
}

/** Defaults for the request fields a test does not set (ts-proto encoders need every field). */
export const requests = {
  list: (namespace: string, p: ListParams = {}) => ({
    namespace,
    labelSelector: p.labelSelector ?? "",
    limit: p.limit ?? 0,
    continue: p.continue ?? "",
  }),
  delete: (namespace: string, name: string, p: DeleteParams = {}) => ({
    namespace,
    name,
    resourceVersion: p.resourceVersion ?? "",
    force: p.force ?? false,
    propagationPolicy: p.propagationPolicy ?? "",
    blocking: p.blocking ?? "",
  }),
  watch: (namespace: string, p: WatchParams = {}) => ({
    namespace,
    labelSelector: p.labelSelector ?? "",
    resourceVersion: p.resourceVersion ?? "",
    allowBookmarks: p.allowBookmarks ?? false,
    sendInitialEvents: p.sendInitialEvents ?? false,
  }),
};

/** Reads a watch stream in order, event by event; remembers how it ended. */
export class EventReader<E> {
  readonly watch: ResponseStream<E>;
  private readonly buffer: E[] = [];
  private failure: ServiceError | undefined;
  private ended = false;
  private wake: (() => void) | undefined;

  constructor(watch: ResponseStream<E>) {
    this.watch = watch;
    const notify = () => this.wake?.();
    watch.stream.on("data", (e: E) => {
      this.buffer.push(e);
      notify();
    });
    watch.stream.on("error", (err: ServiceError) => {
      this.failure = err;
      notify();
    });
    watch.stream.on("end", () => {
      this.ended = true;
      notify();
    });
  }

  /** The next `count` events; fails if the stream ends first or `timeoutMs` passes. */
  async next(count = 1, timeoutMs = 5_000): Promise<E[]> {
    await this.until(() => this.buffer.length >= count || this.failure !== undefined || this.ended, timeoutMs, () =>
      `${this.buffer.length}/${count} events`);
    if (this.buffer.length < count) {
      throw new Error(`watch ended after ${this.buffer.length}/${count} events: ${this.failure?.details ?? "end of stream"}`);
    }
    return this.buffer.splice(0, count);
  }

  async one(timeoutMs = 5_000): Promise<E> {
    return (await this.next(1, timeoutMs))[0]!;
  }

  /** Waits for the stream's error status, discarding the events before it; returns them too. */
  async error(timeoutMs = 5_000): Promise<{ error: ServiceError; events: E[] }> {
    await this.until(() => this.failure !== undefined || this.ended, timeoutMs, () => "the stream to fail");
    if (!this.failure) throw new Error("the watch ended without an error");
    return { error: this.failure, events: this.buffer.splice(0) };
  }

  cancel(): void {
    this.watch.cancel();
  }

  private async until(done: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }
}

/** Expects a gRPC error with `code` and returns it as the ApiError it carries (reason, field errors). */
export async function expectApiError(p: Promise<unknown>, code: Status): Promise<ApiError> {
  return fromServiceError(await expectCode(p, code));
}

/** Polls `condition` (for state only observable by polling, e.g. a server's watcher count). */
export async function eventually(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Waits until the clock has moved past `t`, so a later timestamp is surely later. */
export async function tickPast(t: Date | undefined): Promise<void> {
  const ms = t?.getTime() ?? 0;
  while (Date.now() <= ms) await new Promise((r) => setTimeout(r, 1));
}

/** A Krake example document from test/fixtures/krake (JSON or YAML), as plain JSON. */
export function krakeDocument(file: string): Record<string, unknown> {
  const text = readFileSync(new URL(`../../fixtures/krake/${file}`, import.meta.url), "utf8");
  return (file.endsWith(".json") ? JSON.parse(text) : parseYaml(text)) as Record<string, unknown>;
}

export function uniqueId(): string {
  return randomBytes(4).toString("hex");
}

export function meta<T extends KrakeObject>(obj: T | undefined): Metadata {
  expect(obj?.metadata, "metadata").to.not.equal(undefined);
  return obj!.metadata!;
}

export function rv<T extends KrakeObject>(obj: T | undefined): number {
  const value = Number(meta(obj).resourceVersion);
  expect(Number.isSafeInteger(value) && value > 0, `resource_version "${meta(obj).resourceVersion}"`).to.equal(true);
  return value;
}

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

/**
 * Runs the conformance suite for each kind: one ApiServer (fresh key prefix)
 * per kind over the file's etcd, returned by `etcd()`.
 */
export function registryConformance(fixtures: KindFixture<KrakeObject>[], etcd: () => EtcdProcess): void {
  for (const fixture of fixtures) {
    describe(`${fixture.kind} (${fixture.namespaced ? "namespaced" : "global"})`, () => {
      const s = new KindSuite(fixture);
      before(() => s.start(etcd()));
      after(() => s.stop());
      createConformance(s);
      getConformance(s);
      updateConformance(s);
      if (fixture.status) statusConformance(s, fixture.status);
      deleteConformance(s);
      listConformance(s);
      watchConformance(s);
    });
  }
}

function createConformance<T extends KrakeObject>(s: KindSuite<T>): void {
  describe("create", () => {
    it("sets uid, created, modified, resource_version and generation 1", async () => {
      const start = new Date();
      const sc = s.scope();
      const created = await sc.create();
      const m = meta(created);
      expect(m.uid).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(m.created).to.be.instanceOf(Date);
      expect(m.created!.getTime()).to.be.within(start.getTime() - 1, Date.now() + 1);
      expect(m.modified!.getTime()).to.equal(m.created!.getTime());
      expect(m.deleted).to.equal(undefined);
      expect(m.generation).to.equal(1);
      expect(rv(created)).to.be.greaterThan(0);
      expect(created.api).to.equal(s.f.api);
      expect(created.kind).to.equal(s.f.kind);
      expect(m.namespace).to.equal(sc.ns);
    });

    it("answers with the version that a Get right after it sees", async () => {
      const sc = s.scope();
      const created = await sc.create();
      const got = await s.c.get(sc.ns, meta(created).name);
      expect(s.f.codec.toJSON(got)).to.deep.equal(s.f.codec.toJSON(created));
    });

    it("ignores server-owned fields in the body", async () => {
      const sc = s.scope();
      const created = await sc.create(sc.name(), {}, (obj) => {
        Object.assign(meta(obj), {
          uid: "not-a-server-uid",
          created: new Date(0),
          modified: new Date(0),
          deleted: new Date(0),
          resourceVersion: "999999",
          generation: 42,
        });
      });
      const m = meta(created);
      expect(m.uid).to.not.equal("not-a-server-uid");
      expect(m.created!.getTime()).to.be.greaterThan(0);
      expect(m.deleted).to.equal(undefined);
      expect(m.generation).to.equal(1);
      expect(m.resourceVersion).to.not.equal("999999");
    });

    if (s.f.status) {
      const st = s.f.status;
      it("resets the status (a status in the body is ignored)", async () => {
        const sc = s.scope();
        const created = await sc.create(sc.name(), {}, (obj) => st.setState(obj, st.other));
        expect(st.state(created)).to.equal(st.initial);
        expect(st.state(await s.c.get(sc.ns, meta(created).name))).to.equal(st.initial);
      });
    }

    if (s.f.namespaced) {
      it("takes the namespace of the request over the body's", async () => {
        const sc = s.scope();
        const obj = sc.object();
        meta(obj).namespace = "elsewhere";
        const created = await s.c.create(sc.ns, obj);
        expect(meta(created).namespace).to.equal(sc.ns);
        await s.c.get(sc.ns, meta(created).name);
        await expectCode(s.c.get("elsewhere", meta(created).name), Status.NOT_FOUND);
      });

      it("takes the body's namespace when the request has none", async () => {
        const sc = s.scope();
        const obj = sc.object();
        const created = await s.c.create("", obj);
        expect(meta(created).namespace).to.equal(sc.ns);
      });

      it("requires a namespace", async () => {
        const sc = s.scope();
        const obj = sc.object();
        meta(obj).namespace = "";
        const err = await expectApiError(s.c.create("", obj), Status.INVALID_ARGUMENT);
        expect(err.details.map((d) => d.field)).to.deep.equal(["metadata.namespace"]);
      });
    } else {
      it("drops a namespace given in the body", async () => {
        const sc = s.scope();
        const obj = sc.object();
        meta(obj).namespace = "team-a";
        const created = await s.c.create("", obj);
        expect(meta(created).namespace).to.equal("");
      });
    }

    it("rejects a duplicate with ALREADY_EXISTS", async () => {
      const sc = s.scope();
      const created = await sc.create();
      const name = meta(created).name;
      const err = await expectApiError(sc.create(name), Status.ALREADY_EXISTS);
      expect(err.reason).to.equal("AlreadyExists");
      expect(err.message).to.contain(`'${name}' already exists`);
      expect(meta(await s.c.get(sc.ns, name)).uid).to.equal(meta(created).uid);
    });

    it("gives each create with generate_name and no name a unique name", async () => {
      const sc = s.scope();
      const created = await Promise.all(
        Array.from({ length: 6 }, () =>
          sc.create("", {}, (obj) => {
            meta(obj).generateName = "gen-";
          }),
        ),
      );
      const names = created.map((o) => meta(o).name);
      for (const name of names) expect(name).to.match(/^gen-[a-z0-9]{5}$/);
      expect(new Set(names).size).to.equal(names.length);
      expect((await sc.names()).sort()).to.deep.equal([...names].sort());
    });

    it("uses the name, not generate_name, when both are given", async () => {
      const sc = s.scope();
      const name = sc.name();
      const created = await sc.create(name, {}, (obj) => {
        meta(obj).generateName = "gen-";
      });
      expect(meta(created).name).to.equal(name);
    });

    it("rejects a wrong api or kind, naming the field", async () => {
      const sc = s.scope();
      const wrongApi = sc.object();
      wrongApi.api = s.f.api === "core" ? "kubernetes" : "core";
      let err = await expectApiError(s.c.create(sc.ns, wrongApi), Status.INVALID_ARGUMENT);
      expect(err.details.map((d) => d.field)).to.deep.equal(["api"]);
      const wrongKind = sc.object();
      wrongKind.kind = s.f.kind === "Role" ? "RoleBinding" : "Role";
      err = await expectApiError(s.c.create(sc.ns, wrongKind), Status.INVALID_ARGUMENT);
      expect(err.details.map((d) => d.field)).to.deep.equal(["kind"]);
      expect(await sc.names()).to.deep.equal([]);
    });

    it("fills in api and kind when they are left empty", async () => {
      const sc = s.scope();
      const obj = sc.object();
      obj.api = "";
      obj.kind = "";
      const created = await s.c.create(sc.ns, obj);
      expect([created.api, created.kind]).to.deep.equal([s.f.api, s.f.kind]);
    });

    it("rejects an invalid object with INVALID_ARGUMENT naming the field", async () => {
      const sc = s.scope();
      const err = await expectApiError(sc.create(sc.name(), {}, s.f.invalid.mutate), Status.INVALID_ARGUMENT);
      expect(err.reason).to.equal("Invalid");
      expect(err.details.map((d) => d.field)).to.include(s.f.invalid.field);
      expect(await sc.names()).to.deep.equal([]);
    });

    it("rejects a request without a body", async () => {
      const sc = s.scope();
      await expectApiError(s.c.create(sc.ns, undefined), Status.INVALID_ARGUMENT);
    });
  });
}

function getConformance<T extends KrakeObject>(s: KindSuite<T>): void {
  describe("get", () => {
    it("answers NOT_FOUND with Krake's message", async () => {
      const sc = s.scope();
      const err = await expectApiError(s.c.get(sc.ns, "missing"), Status.NOT_FOUND);
      expect(err.message).to.equal(s.notFoundMessage("missing", sc.ns));
      expect(err.reason).to.equal("NotFound");
    });

    it("rejects an empty name", async () => {
      const sc = s.scope();
      const err = await expectApiError(s.c.get(sc.ns, ""), Status.INVALID_ARGUMENT);
      expect(err.details.map((d) => d.field)).to.deep.equal(["name"]);
    });

    if (s.f.namespaced) {
      it("rejects an empty namespace", async () => {
        const err = await expectApiError(s.c.get("", "x"), Status.INVALID_ARGUMENT);
        expect(err.details.map((d) => d.field)).to.deep.equal(["namespace"]);
      });
    }
  });
}

function updateConformance<T extends KrakeObject>(s: KindSuite<T>): void {
  describe("update", () => {
    it("bumps generation and modified on a spec change", async () => {
      const sc = s.scope();
      const created = await sc.create();
      await tickPast(meta(created).modified);
      const body = s.clone(created);
      s.f.changeSpec(body);
      const updated = await s.c.update(sc.ns, meta(created).name, body);
      const m = meta(updated);
      expect(m.generation).to.equal(2);
      expect(m.modified!.getTime()).to.be.greaterThan(meta(created).modified!.getTime());
      expect(rv(updated)).to.be.greaterThan(rv(created));
      expect(m.uid).to.equal(meta(created).uid);
      expect(m.created!.getTime()).to.equal(meta(created).created!.getTime());
      const got = await s.c.get(sc.ns, m.name);
      expect(s.f.codec.toJSON(got)).to.deep.equal(s.f.codec.toJSON(updated));
    });

    it("bumps modified but not generation on a metadata-only change", async () => {
      const sc = s.scope();
      const created = await sc.create();
      await tickPast(meta(created).modified);
      const body = s.clone(created);
      meta(body).labels = { ...meta(body).labels, color: "blue" };
      const updated = await s.c.update(sc.ns, meta(created).name, body);
      expect(meta(updated).labels["color"]).to.equal("blue");
      expect(meta(updated).generation).to.equal(1);
      expect(meta(updated).modified!.getTime()).to.be.greaterThan(meta(created).modified!.getTime());
    });

    it("ignores server-owned fields in the body", async () => {
      const sc = s.scope();
      const created = await sc.create();
      const body = s.clone(created);
      Object.assign(meta(body), { uid: "forged", created: new Date(0), generation: 99, deleted: new Date(0) });
      meta(body).labels = { ...meta(body).labels, color: "red" };
      const updated = await s.c.update(sc.ns, meta(created).name, body);
      expect(meta(updated).uid).to.equal(meta(created).uid);
      expect(meta(updated).created!.getTime()).to.equal(meta(created).created!.getTime());
      expect(meta(updated).generation).to.equal(1);
      expect(meta(updated).deleted).to.equal(undefined);
    });

    if (s.f.status) {
      const st = s.f.status;
      it("ignores the status in the body", async () => {
        const sc = s.scope();
        const created = await sc.create();
        const body = s.clone(created);
        st.setState(body, st.other);
        s.f.changeSpec(body);
        const updated = await s.c.update(sc.ns, meta(created).name, body);
        expect(st.state(updated)).to.equal(st.initial);
        expect(meta(updated).generation).to.equal(2);
      });

      it("answers a body that differs only in status with \"no update\"", async () => {
        const sc = s.scope();
        const created = await sc.create();
        const body = s.clone(created);
        st.setState(body, st.other);
        const err = await expectApiError(s.c.update(sc.ns, meta(created).name, body), Status.INVALID_ARGUMENT);
        expect(err.message).to.equal("The body contained no update.");
      });
    }

    it("rejects a name change as immutable", async () => {
      const sc = s.scope();
      const created = await sc.create();
      const body = s.clone(created);
      meta(body).name = "renamed";
      const err = await expectApiError(s.c.update(sc.ns, meta(created).name, body), Status.INVALID_ARGUMENT);
      expect(err.reason).to.equal("Immutable");
      expect(err.details.map((d) => d.field)).to.deep.equal(["metadata.name"]);
    });

    if (s.f.namespaced) {
      it("rejects a namespace change as immutable", async () => {
        const sc = s.scope();
        const created = await sc.create();
        const body = s.clone(created);
        meta(body).namespace = "other";
        const err = await expectApiError(s.c.update(sc.ns, meta(created).name, body), Status.INVALID_ARGUMENT);
        expect(err.reason).to.equal("Immutable");
        expect(err.details.map((d) => d.field)).to.deep.equal(["metadata.namespace"]);
      });
    }

    it("answers an identical body with \"The body contained no update.\"", async () => {
      const sc = s.scope();
      const created = await sc.create();
      const err = await expectApiError(s.c.update(sc.ns, meta(created).name, s.clone(created)), Status.INVALID_ARGUMENT);
      expect(err.message).to.equal("The body contained no update.");
      expect(err.reason).to.equal("NoUpdate");
      expect(rv(await s.c.get(sc.ns, meta(created).name))).to.equal(rv(created));
    });

    it("checks metadata.resource_version: stale → ABORTED, current → applied, absent → last write wins", async () => {
      const sc = s.scope();
      const created = await sc.create();
      const name = meta(created).name;
      const first = s.clone(created);
      meta(first).labels = { ...meta(first).labels, step: "one" };
      const one = await s.c.update(sc.ns, name, first);
      expect(meta(one).resourceVersion).to.not.equal(meta(created).resourceVersion);

      const stale = s.clone(created);
      meta(stale).labels = { ...meta(stale).labels, step: "stale" };
      const err = await expectApiError(s.c.update(sc.ns, name, stale), Status.ABORTED);
      expect(err.reason).to.equal("Conflict");
      expect(meta(await s.c.get(sc.ns, name)).labels["step"]).to.equal("one");

      const current = s.clone(one);
      meta(current).labels = { ...meta(current).labels, step: "two" };
      const two = await s.c.update(sc.ns, name, current);
      expect(meta(two).labels["step"]).to.equal("two");

      const blind = s.clone(created);
      meta(blind).resourceVersion = "";
      meta(blind).labels = { ...meta(blind).labels, step: "three" };
      const three = await s.c.update(sc.ns, name, blind);
      expect(meta(three).labels["step"]).to.equal("three");
      expect(rv(three)).to.be.greaterThan(rv(two));
    });

    it("rejects a resource_version it did not issue", async () => {
      const sc = s.scope();
      const created = await sc.create();
      const body = s.clone(created);
      meta(body).resourceVersion = "yesterday";
      meta(body).labels = { ...meta(body).labels, x: "y" };
      const err = await expectApiError(s.c.update(sc.ns, meta(created).name, body), Status.INVALID_ARGUMENT);
      expect(err.details.map((d) => d.field)).to.deep.equal(["metadata.resource_version"]);
    });

    it("validates the new object", async () => {
      const sc = s.scope();
      const created = await sc.create();
      const body = s.clone(created);
      s.f.invalid.mutate(body);
      const err = await expectApiError(s.c.update(sc.ns, meta(created).name, body), Status.INVALID_ARGUMENT);
      expect(err.details.map((d) => d.field)).to.include(s.f.invalid.field);
      expect(rv(await s.c.get(sc.ns, meta(created).name))).to.equal(rv(created));
    });

    it("answers NOT_FOUND for a missing object", async () => {
      const sc = s.scope();
      const body = sc.object("missing");
      const err = await expectApiError(s.c.update(sc.ns, "missing", body), Status.NOT_FOUND);
      expect(err.message).to.equal(s.notFoundMessage("missing", sc.ns));
    });

    it("rejects a request without a body", async () => {
      const sc = s.scope();
      const created = await sc.create();
      await expectApiError(s.c.update(sc.ns, meta(created).name, undefined), Status.INVALID_ARGUMENT);
    });
  });
}

function statusConformance<T extends KrakeObject>(s: KindSuite<T>, st: StatusFixture<T>): void {
  describe("update status", () => {
    const updateStatus = (ns: string, name: string, obj: T) => s.c.updateStatus!(ns, name, obj);

    it("changes only the status, even when spec and metadata are sent changed", async () => {
      const sc = s.scope();
      const created = await sc.create();
      const body = s.clone(created);
      st.setState(body, st.other);
      s.f.changeSpec(body);
      meta(body).labels = { ...meta(body).labels, color: "green" };
      meta(body).finalizers = ["example.com/x"];
      const updated = await updateStatus(sc.ns, meta(created).name, body);
      expect(st.state(updated)).to.equal(st.other);
      expect(rv(updated)).to.be.greaterThan(rv(created));
      const unchanged = s.clone(updated);
      st.setState(unchanged, st.initial);
      meta(unchanged).resourceVersion = meta(created).resourceVersion;
      expect(s.f.codec.toJSON(unchanged)).to.deep.equal(s.f.codec.toJSON(created));
      expect(st.state(await s.c.get(sc.ns, meta(created).name))).to.equal(st.other);
    });

    it("rejects a stale resource_version with ABORTED and accepts the current one", async () => {
      const sc = s.scope();
      const created = await sc.create();
      const name = meta(created).name;
      const labelled = s.clone(created);
      meta(labelled).labels = { ...meta(labelled).labels, v: "2" };
      const newer = await s.c.update(sc.ns, name, labelled);
      const stale = s.clone(created);
      st.setState(stale, st.other);
      await expectApiError(updateStatus(sc.ns, name, stale), Status.ABORTED);
      expect(st.state(await s.c.get(sc.ns, name))).to.equal(st.initial);
      const current = s.clone(newer);
      st.setState(current, st.other);
      expect(st.state(await updateStatus(sc.ns, name, current))).to.equal(st.other);
    });

    it("answers NOT_FOUND for a missing object", async () => {
      const sc = s.scope();
      await expectApiError(updateStatus(sc.ns, "missing", sc.object("missing")), Status.NOT_FOUND);
    });

    it("rejects a wrong kind", async () => {
      const sc = s.scope();
      const created = await sc.create();
      const body = s.clone(created);
      body.kind = "Role";
      const err = await expectApiError(updateStatus(sc.ns, meta(created).name, body), Status.INVALID_ARGUMENT);
      expect(err.details.map((d) => d.field)).to.deep.equal(["kind"]);
    });

    it("is accepted while the object is in deletion", async () => {
      const sc = s.scope();
      const created = await sc.create();
      const deleted = await s.c.delete(sc.ns, meta(created).name);
      const body = s.clone(deleted);
      st.setState(body, st.other);
      expect(st.state(await updateStatus(sc.ns, meta(created).name, body))).to.equal(st.other);
    });
  });
}

function deleteConformance<T extends KrakeObject>(s: KindSuite<T>): void {
  describe("delete", () => {
    const withFinalizer = (obj: T) => {
      meta(obj).finalizers = ["example.com/cleanup"];
    };

    it("sets deleted and appends cascade_deletion; the object stays until its finalizers are gone", async () => {
      const sc = s.scope();
      const created = await sc.create(sc.name(), {}, withFinalizer);
      const deleted = await s.c.delete(sc.ns, meta(created).name);
      const m = meta(deleted);
      expect(m.deleted).to.be.instanceOf(Date);
      expect(m.finalizers).to.deep.equal(["example.com/cleanup", "cascade_deletion"]);
      expect(rv(deleted)).to.be.greaterThan(rv(created));
      const got = await s.c.get(sc.ns, m.name);
      expect(meta(got).deleted!.getTime()).to.equal(m.deleted!.getTime());
      expect(await s.api.store.get(s.storeKey(sc.ns, m.name))).to.not.equal(undefined);
    });

    it("treats a repeated Delete as a no-op (same object, no new version)", async () => {
      const sc = s.scope();
      const created = await sc.create();
      const first = await s.c.delete(sc.ns, meta(created).name);
      const second = await s.c.delete(sc.ns, meta(created).name);
      expect(s.f.codec.toJSON(second)).to.deep.equal(s.f.codec.toJSON(first));
      expect(rv(await s.c.get(sc.ns, meta(created).name))).to.equal(rv(first));
    });

    describe("while in deletion", () => {
      const inDeletion = async (sc: Scope<T>) => {
        const created = await sc.create(sc.name(), {}, withFinalizer);
        return s.c.delete(sc.ns, meta(created).name);
      };
      const refused = "Finalizers can only be removed if a deletion is in progress.";

      it("rejects a spec change with FAILED_PRECONDITION", async () => {
        const sc = s.scope();
        const deleted = await inDeletion(sc);
        const body = s.clone(deleted);
        s.f.changeSpec(body);
        const err = await expectApiError(s.c.update(sc.ns, meta(deleted).name, body), Status.FAILED_PRECONDITION);
        expect(err.message).to.equal(refused);
      });

      it("rejects a label change", async () => {
        const sc = s.scope();
        const deleted = await inDeletion(sc);
        const body = s.clone(deleted);
        meta(body).labels = { ...meta(body).labels, color: "red" };
        const err = await expectApiError(s.c.update(sc.ns, meta(deleted).name, body), Status.FAILED_PRECONDITION);
        expect(err.message).to.equal(refused);
      });

      it("rejects adding a finalizer, even while removing another", async () => {
        const sc = s.scope();
        const deleted = await inDeletion(sc);
        const body = s.clone(deleted);
        meta(body).finalizers = [...meta(body).finalizers, "example.com/late"];
        await expectApiError(s.c.update(sc.ns, meta(deleted).name, body), Status.FAILED_PRECONDITION);
        meta(body).finalizers = ["example.com/late", "cascade_deletion"];
        await expectApiError(s.c.update(sc.ns, meta(deleted).name, body), Status.FAILED_PRECONDITION);
        expect(meta(await s.c.get(sc.ns, meta(deleted).name)).finalizers).to.deep.equal(meta(deleted).finalizers);
      });

      it("accepts removing finalizers, and removes the object from etcd with the last one", async () => {
        const sc = s.scope();
        const deleted = await inDeletion(sc);
        const name = meta(deleted).name;
        const key = s.storeKey(sc.ns, name);
        const body = s.clone(deleted);
        meta(body).finalizers = ["example.com/cleanup"];
        const fewer = await s.c.update(sc.ns, name, body);
        expect(meta(fewer).finalizers).to.deep.equal(["example.com/cleanup"]);
        expect(meta(await s.c.get(sc.ns, name)).finalizers).to.deep.equal(["example.com/cleanup"]);
        expect(await s.api.store.get(key)).to.not.equal(undefined);

        const none = s.clone(fewer);
        meta(none).finalizers = [];
        const gone = await s.c.update(sc.ns, name, none);
        expect(meta(gone).finalizers).to.deep.equal([]);
        expect(rv(gone)).to.be.greaterThan(rv(fewer));
        expect(await s.api.store.get(key)).to.equal(undefined);
        const err = await expectApiError(s.c.get(sc.ns, name), Status.NOT_FOUND);
        expect(err.message).to.equal(s.notFoundMessage(name, sc.ns));
      });
    });

    it("with force removes the object at once", async () => {
      const sc = s.scope();
      const created = await sc.create(sc.name(), {}, withFinalizer);
      const name = meta(created).name;
      const gone = await s.c.delete(sc.ns, name, { force: true });
      expect(meta(gone).uid).to.equal(meta(created).uid);
      expect(rv(gone)).to.be.greaterThan(rv(created));
      expect(await s.api.store.get(s.storeKey(sc.ns, name))).to.equal(undefined);
      await expectApiError(s.c.get(sc.ns, name), Status.NOT_FOUND);
    });

    it("with force removes an object that is already in deletion", async () => {
      const sc = s.scope();
      const created = await sc.create(sc.name(), {}, withFinalizer);
      const name = meta(created).name;
      await s.c.delete(sc.ns, name);
      await s.c.delete(sc.ns, name, { force: true });
      expect(await s.api.store.get(s.storeKey(sc.ns, name))).to.equal(undefined);
    });

    it("checks resource_version: stale → ABORTED, current → deleted", async () => {
      const sc = s.scope();
      const created = await sc.create();
      const name = meta(created).name;
      const body = s.clone(created);
      meta(body).labels = { ...meta(body).labels, v: "2" };
      const newer = await s.c.update(sc.ns, name, body);
      const err = await expectApiError(s.c.delete(sc.ns, name, { resourceVersion: meta(created).resourceVersion }), Status.ABORTED);
      expect(err.reason).to.equal("Conflict");
      expect(meta(await s.c.get(sc.ns, name)).deleted).to.equal(undefined);
      await expectApiError(s.c.delete(sc.ns, name, { resourceVersion: meta(created).resourceVersion, force: true }), Status.ABORTED);
      const deleted = await s.c.delete(sc.ns, name, { resourceVersion: meta(newer).resourceVersion });
      expect(meta(deleted).deleted).to.be.instanceOf(Date);
    });

    it("rejects an unknown propagation_policy and accepts background, foreground and orphan", async () => {
      const sc = s.scope();
      const created = await sc.create();
      const name = meta(created).name;
      for (const policy of ["cascade", "none", " background"]) {
        const err = await expectApiError(s.c.delete(sc.ns, name, { propagationPolicy: policy }), Status.INVALID_ARGUMENT);
        expect(err.details.map((d) => d.field)).to.deep.equal(["propagation_policy"]);
      }
      expect(meta(await s.c.get(sc.ns, name)).deleted).to.equal(undefined);
      for (const policy of ["background", "foreground", "orphan"]) {
        const obj = await sc.create(sc.name(policy));
        const deleted = await s.c.delete(sc.ns, meta(obj).name, { propagationPolicy: policy });
        expect(meta(deleted).deleted, policy).to.be.instanceOf(Date);
        expect(meta(deleted).finalizers, policy).to.have.length(1);
      }
    });

    it("answers NOT_FOUND for a missing object", async () => {
      const sc = s.scope();
      const err = await expectApiError(s.c.delete(sc.ns, "missing"), Status.NOT_FOUND);
      expect(err.message).to.equal(s.notFoundMessage("missing", sc.ns));
      await expectApiError(s.c.delete(sc.ns, "missing", { force: true }), Status.NOT_FOUND);
    });
  });
}

function listConformance<T extends KrakeObject>(s: KindSuite<T>): void {
  describe("list", () => {
    it(`answers a ${s.f.kind}List with the snapshot's resource_version`, async () => {
      const sc = s.scope();
      const a = await sc.create();
      const b = await sc.create();
      const list = await s.c.list(sc.ns, { labelSelector: sc.selector });
      expect([list.api, list.kind]).to.deep.equal([s.f.api, `${s.f.kind}List`]);
      expect(list.items.map((o) => meta(o).name)).to.deep.equal([meta(a).name, meta(b).name]);
      expect(Number(list.metadata?.resourceVersion)).to.be.at.least(rv(b));
      expect(list.metadata?.continue).to.equal("");
    });

    if (s.f.namespaced) {
      it("lists one namespace, or every namespace with namespace \"\"", async () => {
        const sc = s.scope();
        const other = `${sc.ns}-b`;
        const a = await sc.create(sc.name("a"));
        const b = await s.c.create(other, sc.object(sc.name("b")));
        expect(await sc.names()).to.deep.equal([meta(a).name]);
        expect(await sc.names({}, other)).to.deep.equal([meta(b).name]);
        const all = await s.c.list("", { labelSelector: sc.selector });
        expect(all.items.map((o) => `${meta(o).namespace}/${meta(o).name}`).sort()).to.deep.equal(
          [`${sc.ns}/${meta(a).name}`, `${other}/${meta(b).name}`].sort(),
        );
      });
    }

    it("filters by label selector (=, ==, !=, in, notin, exists, !key)", async () => {
      const sc = s.scope();
      await sc.create("prod-web", { env: "prod", tier: "web" });
      await sc.create("dev-web", { env: "dev", tier: "web" });
      await sc.create("test", { env: "test" });
      await sc.create("db", { tier: "db" });
      const cases: [string, string[]][] = [
        ["env=prod", ["prod-web"]],
        ["env==dev", ["dev-web"]],
        ["env!=prod", ["db", "dev-web", "test"]],
        ["env in (prod, dev)", ["dev-web", "prod-web"]],
        ["env notin (prod,dev)", ["db", "test"]],
        ["env", ["dev-web", "prod-web", "test"]],
        ["!env", ["db"]],
        ["tier=web,env!=dev", ["prod-web"]],
        ["tier in (web),!env", []],
      ];
      for (const [selector, want] of cases) {
        expect((await sc.names({ labelSelector: selector })).sort(), selector).to.deep.equal(want);
      }
    });

    it("rejects a malformed selector with INVALID_ARGUMENT", async () => {
      const sc = s.scope();
      for (const selector of ["env in prod", "=x", "a=b=c", "a > 1"]) {
        const err = await expectApiError(s.c.list(sc.ns, { labelSelector: selector }), Status.INVALID_ARGUMENT);
        expect(err.details.map((d) => d.field), selector).to.deep.equal(["label_selector"]);
      }
    });

    it("pages with limit and continue over the snapshot of the first page", async () => {
      const sc = s.scope();
      const names: string[] = [];
      for (let i = 0; i < 5; i++) names.push(meta(await sc.create(`page-${sc.id}-${i}`)).name);
      const first = await s.c.list(sc.ns, { labelSelector: sc.selector, limit: 2 });
      expect(first.items.map((o) => meta(o).name)).to.deep.equal(names.slice(0, 2));
      expect(first.metadata?.continue).to.not.equal("");
      const snapshot = first.metadata?.resourceVersion;

      // Writes after the first page: a new object that sorts last, a changed and a deleted one.
      await sc.create(`page-${sc.id}-9`);
      const changed = s.clone(await s.c.get(sc.ns, names[2]!));
      meta(changed).labels = { ...meta(changed).labels, later: "yes" };
      await s.c.update(sc.ns, names[2]!, changed);
      await s.c.delete(sc.ns, names[3]!, { force: true });

      const second = await s.c.list(sc.ns, { labelSelector: sc.selector, limit: 2, continue: first.metadata!.continue });
      expect(second.items.map((o) => meta(o).name)).to.deep.equal(names.slice(2, 4));
      expect(meta(second.items[0]).labels["later"]).to.equal(undefined);
      expect(second.metadata?.resourceVersion).to.equal(snapshot);
      const third = await s.c.list(sc.ns, { labelSelector: sc.selector, limit: 2, continue: second.metadata!.continue });
      expect(third.items.map((o) => meta(o).name)).to.deep.equal(names.slice(4));
      expect(third.metadata?.resourceVersion).to.equal(snapshot);
      expect(third.metadata?.continue).to.equal("");

      const now = await s.c.list(sc.ns, { labelSelector: sc.selector });
      expect(now.items.map((o) => meta(o).name)).to.deep.equal([names[0], names[1], names[2], names[4], `page-${sc.id}-9`]);
    });

    it("pages a selector across keys it skips", async () => {
      const sc = s.scope();
      for (let i = 0; i < 6; i++) await sc.create(`sel-${sc.id}-${i}`, { parity: i % 2 ? "odd" : "even" });
      const seen: string[] = [];
      let token = "";
      do {
        const page = await s.c.list(sc.ns, { labelSelector: sc.select("parity=odd"), limit: 2, continue: token });
        seen.push(...page.items.map((o) => meta(o).name));
        token = page.metadata?.continue ?? "";
      } while (token);
      expect(seen).to.deep.equal([1, 3, 5].map((i) => `sel-${sc.id}-${i}`));
    });

    it("rejects a continue token it did not issue and a negative limit", async () => {
      const sc = s.scope();
      for (const token of ["garbage", Buffer.from('{"v":1,"rv":"x","after":""}').toString("base64url")]) {
        const err = await expectApiError(s.c.list(sc.ns, { continue: token, limit: 1 }), Status.INVALID_ARGUMENT);
        expect(err.details.map((d) => d.field)).to.deep.equal(["continue"]);
      }
      const err = await expectApiError(s.c.list(sc.ns, { limit: -1 }), Status.INVALID_ARGUMENT);
      expect(err.details.map((d) => d.field)).to.deep.equal(["limit"]);
    });
  });
}

function watchConformance<T extends KrakeObject>(s: KindSuite<T>): void {
  describe("watch", () => {
    const open = (sc: Scope<T>, params: WatchParams = {}, namespace = sc.ns) =>
      new EventReader(s.c.watch(namespace, { ...params, labelSelector: sc.select(params.labelSelector) }));
    const listVersion = async (sc: Scope<T>) => (await s.c.list(sc.ns, { labelSelector: sc.selector })).metadata!.resourceVersion;
    const summary = (events: WatchEvent<T>[]) => events.map((e) => [EventType[e.type], meta(e.object).name, meta(e.object).resourceVersion]);
    let readers: EventReader<WatchEvent<T>>[] = [];
    const track = (r: EventReader<WatchEvent<T>>) => (readers.push(r), r);
    afterEach(() => {
      for (const r of readers) r.cancel();
      readers = [];
    });

    it("sends ADDED, MODIFIED and DELETED in order with their resource versions; DELETED carries the last state", async () => {
      const sc = s.scope();
      const w = track(open(sc, { resourceVersion: await listVersion(sc) }));
      const created = await sc.create();
      const name = meta(created).name;
      const body = s.clone(created);
      meta(body).labels = { ...meta(body).labels, color: "blue" };
      const modified = await s.c.update(sc.ns, name, body);
      const deleting = await s.c.delete(sc.ns, name);
      const last = s.clone(deleting);
      meta(last).finalizers = [];
      const gone = await s.c.update(sc.ns, name, last);
      const events = await w.next(4);
      expect(summary(events)).to.deep.equal([
        ["ADDED", name, meta(created).resourceVersion],
        ["MODIFIED", name, meta(modified).resourceVersion],
        ["MODIFIED", name, meta(deleting).resourceVersion],
        ["DELETED", name, meta(gone).resourceVersion],
      ]);
      const final = meta(events[3]!.object);
      expect(final.labels["color"]).to.equal("blue");
      expect(final.deleted).to.be.instanceOf(Date);
      expect(final.finalizers).to.deep.equal(["cascade_deletion"]);
      expect(s.f.codec.toJSON(events[1]!.object!)).to.deep.equal(s.f.codec.toJSON(modified));
    });

    it("from a resource_version delivers every later event exactly once", async () => {
      const sc = s.scope();
      const created = await sc.create();
      const name = meta(created).name;
      const versions: string[] = [];
      let current = created;
      for (const v of ["1", "2", "3"]) {
        const body = s.clone(current);
        meta(body).labels = { ...meta(body).labels, v };
        current = await s.c.update(sc.ns, name, body);
        versions.push(meta(current).resourceVersion);
      }
      const w = track(open(sc, { resourceVersion: meta(created).resourceVersion }));
      const replay = await w.next(3);
      expect(summary(replay)).to.deep.equal(versions.map((v) => ["MODIFIED", name, v]));
      const sentinel = await sc.create(sc.name("sentinel"));
      expect(summary([await w.one()])).to.deep.equal([["ADDED", meta(sentinel).name, meta(sentinel).resourceVersion]]);

      const fromStart = track(open(sc, { resourceVersion: String(rv(created) - 1) }));
      expect(summary(await fromStart.next(5)).map((e) => e[2])).to.deep.equal([
        meta(created).resourceVersion,
        ...versions,
        meta(sentinel).resourceVersion,
      ]);
    });

    it("with send_initial_events sends the current objects as ADDED, then a BOOKMARK", async () => {
      const sc = s.scope();
      const a = await sc.create(sc.name("a"));
      const b = await sc.create(sc.name("b"));
      const w = track(open(sc, { sendInitialEvents: true }));
      const initial = await w.next(3);
      expect(summary(initial.slice(0, 2))).to.deep.equal([
        ["ADDED", meta(a).name, meta(a).resourceVersion],
        ["ADDED", meta(b).name, meta(b).resourceVersion],
      ]);
      expect(initial[2]!.type).to.equal(EventType.BOOKMARK);
      expect(Number(meta(initial[2]!.object).resourceVersion)).to.be.at.least(rv(b));
      const body = s.clone(a);
      meta(body).labels = { ...meta(body).labels, x: "1" };
      const changed = await s.c.update(sc.ns, meta(a).name, body);
      expect(summary([await w.one()])).to.deep.equal([["MODIFIED", meta(a).name, meta(changed).resourceVersion]]);
    });

    if (s.f.namespaced) {
      it("filters by namespace on the server", async () => {
        const sc = s.scope();
        const w = track(open(sc, { resourceVersion: await listVersion(sc) }));
        await s.c.create(`${sc.ns}-other`, sc.object(sc.name("other")));
        const mine = await sc.create(sc.name("mine"));
        expect(summary([await w.one()])).to.deep.equal([["ADDED", meta(mine).name, meta(mine).resourceVersion]]);
        const all = track(open(sc, { resourceVersion: String(rv(mine) - 2) }, ""));
        expect(summary(await all.next(2)).map((e) => e[1])).to.deep.equal([`other-${sc.id}-1`, meta(mine).name]);
      });
    }

    it("filters by label selector: an object entering the view is ADDED, leaving it DELETED", async () => {
      const sc = s.scope();
      const watchersBefore = s.watchers;
      const w = track(open(sc, { labelSelector: "color=blue" }));
      await eventually(() => s.watchers === watchersBefore + 1, "the watch is registered");
      const red = await sc.create(sc.name("red"), { color: "red" });
      const blue = await sc.create(sc.name("blue"), { color: "blue" });
      const relabel = async (obj: T, labels: Record<string, string>) => {
        const body = s.clone(obj);
        meta(body).labels = { ...meta(body).labels, ...labels };
        return s.c.update(sc.ns, meta(obj).name, body);
      };
      const leaving = await relabel(blue, { color: "red" });
      const entering = await relabel(red, { color: "blue" });
      const staying = await relabel(entering, { size: "xl" });
      const events = await w.next(4);
      expect(summary(events)).to.deep.equal([
        ["ADDED", meta(blue).name, meta(blue).resourceVersion],
        ["DELETED", meta(blue).name, meta(leaving).resourceVersion],
        ["ADDED", meta(red).name, meta(entering).resourceVersion],
        ["MODIFIED", meta(red).name, meta(staying).resourceVersion],
      ]);
      expect(meta(events[1]!.object).labels["color"]).to.equal("red");
    });

    it("rejects a malformed selector or resource_version", async () => {
      const sc = s.scope();
      let failed = await new EventReader(s.c.watch(sc.ns, { labelSelector: "a in b" })).error();
      expect(failed.error.code).to.equal(Status.INVALID_ARGUMENT);
      expect(fromServiceError(failed.error).details.map((d) => d.field)).to.deep.equal(["label_selector"]);
      failed = await new EventReader(s.c.watch(sc.ns, { resourceVersion: "abc" })).error();
      expect(failed.error.code).to.equal(Status.INVALID_ARGUMENT);
      expect(fromServiceError(failed.error).details.map((d) => d.field)).to.deep.equal(["resource_version"]);
    });

    it("removes the server-side watcher when the client cancels", async () => {
      const sc = s.scope();
      const watchersBefore = s.watchers;
      const w = open(sc, { sendInitialEvents: true });
      await w.one();
      expect(s.watchers).to.equal(watchersBefore + 1);
      w.cancel();
      await eventually(() => s.watchers === watchersBefore, "the server drops the watcher");
    });
  });
}
