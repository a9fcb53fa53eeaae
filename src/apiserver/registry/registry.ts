import { prepareNewObject } from "./create-preparation.js";
import { cascadeDeletionFinalizer, deletionFinalizers } from "../../kinds/object.js";
import { ApiError, Status } from "../../errors/api-error.js";
import type { FieldError } from "../../errors/api-error.js";
import { kindPrefix, namespacePrefix, objectKey } from "../../store/keys.js";
import type { Store } from "../../store/store.js";
import { CachedObject } from "../objects/cached-object.js";
import type { CacheWatch, LabelMatcher, WatchListener } from "../watchcache/kind-cache.js";
import type { KindCache } from "../watchcache/kind-cache.js";
import type { StoreCache } from "../watchcache/store-cache.js";
import { waitForState } from "./blocking.js";
import { decodeContinue, encodeContinue } from "./continue-token.js";
import type { Action, KindDescription, KrakeObject, ObjectReader, Subresource } from "../objects/kind.js";
import type { ApiConfig } from "../config.js";
import { parseLabelSelector } from "./label-selector.js";
import { bytesEqual, cloneObject, copySpec, encodeStoredAndStamped, setStatus, specBytes, statusOf, userMetadataBytes } from "./object-fields.js";
import { encodeMessage } from "../objects/encode.js";
import type { RequestContext } from "./request-context.js";
import { timestampNow } from "../../kinds/timestamp.js";

export interface RegistryOptions {
  /** Store key prefix. */
  prefix: string;
  /** How long Krake's `blocking` waits for the state. */
  blockingTimeoutMs: number;
  /** Read-modify-write attempts without a client precondition before giving up. */
  maxUpdateAttempts: number;
  /** Largest stored encoding of an object that a write may leave (config max_object_bytes). */
  maxObjectBytes: number;
  /** The whole configuration, for actions with settings of their own (the dry run's `scheduling`). */
  config: Readonly<ApiConfig>;
}

export interface ListOptions {
  labelSelector?: string;
  limit?: number;
  continueToken?: string;
}

export interface ListPage<T extends KrakeObject> {
  items: CachedObject<T>[];
  revision: number;
  continueToken: string;
  remaining: number;
}

export interface DeleteOptions {
  resourceVersion?: string;
  force?: boolean;
  propagationPolicy?: string;
  blocking?: string;
}

export interface WatchRequest {
  namespace: string;
  labelSelector?: string;
  resourceVersion?: string;
  allowBookmarks?: boolean;
  sendInitialEvents?: boolean;
}

/**
 * The generic resource registry: one implementation of Krake's API semantics
 * (DESIGN.md §4) for every kind. The kind supplies only data and pure hooks.
 * Reads come from the watch cache once it is provably fresh; writes are etcd
 * transactions that compare the object's mod revision.
 */
export class Registry<T extends KrakeObject> {
  readonly kind: KindDescription<T>;
  private readonly store: Store;
  private readonly storeCache: StoreCache;
  private readonly cache: KindCache<T>;
  private readonly opts: RegistryOptions;

  constructor(kind: KindDescription<T>, store: Store, storeCache: StoreCache, opts: RegistryOptions) {
    this.kind = kind;
    this.store = store;
    this.storeCache = storeCache;
    this.cache = storeCache.kindCache(kind.api, kind.plural) as unknown as KindCache<T>;
    this.opts = opts;
  }

  async create(_ctx: RequestContext, namespace: string, body: T | undefined, blocking?: string): Promise<CachedObject<T>> {
    const obj = this.prepareNew(namespace, body);
    const meta = obj.metadata!;
    const generated = !meta.name && !!meta.generateName;
    if (generated) meta.name = meta.generateName + randomSuffix();
    for (let attempt = 0; ; attempt++) {
      const key = this.key(meta.namespace, meta.name);
      try {
        let revision = 0;
        const encoded = encodeStoredAndStamped(obj, this.kind.codec, () => String(revision));
        this.checkSize(meta.name, encoded.stored, undefined);
        revision = await this.store.create(key, encoded.stored);
        // What readers see is what was stored: the object decoded from its bytes, not the request's copy.
        const stamped = encoded.stamped();
        const created = new CachedObject(key, this.kind.codec.decode(stamped), revision, this.kind.codec, stamped);
        this.storeCache.rememberWrite(created as unknown as CachedObject);
        return blocking ? await this.block(created, blocking) : created;
      } catch (err) {
        if (!(err instanceof ApiError) || err.code !== Status.ALREADY_EXISTS) throw err;
        if (!generated || attempt >= 4) throw ApiError.alreadyExists(this.kind.kind, meta.name, meta.namespace);
        meta.name = meta.generateName + randomSuffix();
      }
    }
  }

  async get(_ctx: RequestContext, namespace: string, name: string): Promise<CachedObject<T>> {
    const key = this.objectKeyFor(namespace, name);
    await this.storeCache.fresh();
    const found = this.cache.get(key);
    if (!found) throw ApiError.notFound(this.kind.kind, name, namespace);
    return found;
  }

  async list(_ctx: RequestContext, namespace: string, opts: ListOptions): Promise<ListPage<T>> {
    const ns = this.kind.namespaced ? namespace : "";
    const selector = parseLabelSelector(opts.labelSelector ?? "");
    const limit = opts.limit ?? 0;
    if (!Number.isInteger(limit) || limit < 0 || limit > 0x7fffffff) {
      throw new ApiError(Status.INVALID_ARGUMENT, "BadRequest", `limit must be an integer from 0 to ${0x7fffffff} (0: no limit)`, [
        { field: "limit", message: `expected an integer from 0 to ${0x7fffffff}` },
      ]);
    }
    if (!limit && !opts.continueToken) {
      const revision = await this.storeCache.fresh();
      return { items: this.cache.list(ns, selector), revision, continueToken: "", remaining: 0 };
    }
    return this.listPage(ns, selector, limit, opts.continueToken);
  }

  /** A page read from the store at one snapshot revision (continue tokens carry it). */
  private async listPage(ns: string, selector: LabelMatcher, limit: number, token?: string): Promise<ListPage<T>> {
    const pos = token ? decodeContinue(token) : undefined;
    const prefix = ns
      ? namespacePrefix(this.opts.prefix, this.kind.api, this.kind.plural, ns)
      : kindPrefix(this.opts.prefix, this.kind.api, this.kind.plural);
    let revision = pos?.revision ?? 0;
    let after = pos?.after;
    const items: CachedObject<T>[] = [];
    let more = true;
    while (more && (limit === 0 || items.length < limit)) {
      let page;
      try {
        page = await this.store.list(prefix, { revision, startAfter: after, limit: limit ? limit - items.length : 0 });
      } catch (err) {
        if (err instanceof ApiError && err.code === Status.OUT_OF_RANGE) {
          throw ApiError.expired("the continue token has expired (its snapshot was compacted); list again from the start");
        }
        throw err;
      }
      revision = page.revision;
      more = page.more;
      for (const kv of page.kvs) {
        const obj = CachedObject.fromStored(kv.key, kv.value, kv.modRevision, this.kind.codec);
        if (selector.matches(obj.labels)) items.push(obj);
        after = kv.key;
      }
      if (page.kvs.length === 0) more = false;
    }
    const continueToken = more && after ? encodeContinue({ revision, after }) : "";
    return { items, revision, continueToken, remaining: 0 };
  }

  async update(_ctx: RequestContext, namespace: string, name: string, body: T | undefined, blocking?: string): Promise<CachedObject<T>> {
    if (!body) throw ApiError.invalid(this.kind.kind, name, [{ field: "", message: "the object is required" }]);
    const meta = body.metadata ?? emptyMetadata();
    this.checkEnvelope(body, name);
    if (meta.name && meta.name !== name) throw ApiError.immutable("metadata.name");
    if (this.kind.namespaced && meta.namespace && meta.namespace !== namespace) throw ApiError.immutable("metadata.namespace");
    const updated = await this.guaranteedUpdate(namespace, name, meta.resourceVersion, (next, current) => {
      copySpec(body, next);
      const nm = next.metadata!;
      nm.labels = meta.labels ?? {};
      nm.inheritLabels = meta.inheritLabels ?? false;
      nm.finalizers = meta.finalizers ?? [];
      nm.owners = meta.owners ?? [];
      this.checkImmutable(next, current);
      const specChanged = !bytesEqual(specBytes(next, this.kind.codec), specBytes(current, this.kind.codec));
      const metaChanged = !bytesEqual(userMetadataBytes(nm), userMetadataBytes(current.metadata));
      if (!specChanged && !metaChanged) throw ApiError.noUpdate();
      if (current.metadata?.deleted) checkDeletionUpdate(current, nm.finalizers);
      if (specChanged) nm.generation = (nm.generation || 0) + 1;
      nm.modified = timestampNow();
      this.validate(next);
      return next;
    });
    return blocking ? this.block(updated, blocking) : updated;
  }

  async updateStatus(_ctx: RequestContext, namespace: string, name: string, body: T | undefined): Promise<CachedObject<T>> {
    if (!this.kind.emptyStatus) throw new ApiError(Status.UNIMPLEMENTED, "BadRequest", `${this.kind.kind} has no status`);
    if (!body) throw ApiError.invalid(this.kind.kind, name, [{ field: "", message: "the object is required" }]);
    this.checkEnvelope(body, name);
    return this.guaranteedUpdate(namespace, name, body.metadata?.resourceVersion, (next, current) => {
      setStatus(next, statusOf(body) ?? this.kind.emptyStatus!());
      this.checkImmutable(next, current);
      return next;
    });
  }

  async delete(_ctx: RequestContext, namespace: string, name: string, opts: DeleteOptions): Promise<CachedObject<T>> {
    const policy = opts.propagationPolicy ?? "";
    const finalizer = Object.hasOwn(deletionFinalizers, policy.toLowerCase()) ? deletionFinalizers[policy.toLowerCase()] : undefined;
    if (finalizer === undefined) {
      throw ApiError.invalid(this.kind.kind, name, [
        { field: "propagation_policy", message: `must be "background", "foreground" or "orphan" (got "${policy}")` },
      ]);
    }
    const result = await this.guaranteedUpdate(
      namespace,
      name,
      opts.resourceVersion,
      (next) => {
        const meta = next.metadata!;
        if (meta.deleted) return undefined;
        meta.deleted = timestampNow();
        if (!meta.finalizers.includes(finalizer)) meta.finalizers.push(finalizer);
        this.kind.prepareForDelete?.(next);
        return next;
      },
      { force: opts.force, marksDeletion: true },
    );
    // A forced delete has removed the object already: there is no later event to wait for.
    if (opts.force) return this.gone(result);
    if (!opts.blocking) return result;
    const answer = await this.block(result, opts.blocking);
    return (await this.exists(answer)) ? answer : this.gone(answer);
  }

  /**
   * Krake's answer for an object that a delete removed: its last state, with
   * `deleted` set and, where the kind has that state, `status.state` DELETED.
   */
  private gone(obj: CachedObject<T>): CachedObject<T> {
    const copy = cloneObject(obj.object, this.kind.codec);
    copy.metadata!.deleted ??= timestampNow();
    this.kind.setState?.(copy, "DELETED");
    return new CachedObject(obj.key, copy, obj.revision, this.kind.codec);
  }

  /** Whether the object is still stored (the cache is at least as new as `obj`'s write). */
  private async exists(obj: CachedObject<T>): Promise<boolean> {
    await this.storeCache.waitFor(obj.revision);
    return this.cache.get(obj.key) !== undefined;
  }

  async subresource(
    _ctx: RequestContext,
    namespace: string,
    name: string,
    sub: Subresource<T>,
    body: unknown,
    resourceVersion?: string,
  ): Promise<CachedObject<T>> {
    return this.guaranteedUpdate(namespace, name, resourceVersion, (next) => sub.apply(next, body, timestampNow()));
  }

  /**
   * An action: computes an answer and writes nothing. A body that is the
   * kind's object is first prepared and validated as Create would (so an
   * invalid one is INVALID_ARGUMENT, as its Create would be); the kind's rule
   * then reads the other objects it needs from the watch cache, once the
   * cache has every write the store had when the call arrived.
   */
  async action(ctx: RequestContext, namespace: string, action: Action<T>, body: unknown): Promise<object> {
    let input = body;
    let ns = this.kind.namespaced ? namespace : "";
    if (action.takesObject) {
      const obj = this.prepareNew(namespace, body as T | undefined);
      [input, ns] = [obj, obj.metadata!.namespace];
    }
    await this.storeCache.fresh();
    return action.run({ ctx, namespace: ns, body: input, objects: this.objects, config: this.opts.config });
  }

  /** Every kind's objects from the watch cache; callers make sure it is fresh. */
  private readonly objects: ObjectReader = {
    list: <O extends KrakeObject>(kind: { api: string; plural: string; namespaced: boolean }, namespace: string) =>
      this.storeCache.kindCache(kind.api, kind.plural).list(kind.namespaced ? namespace : "").map((o) => o.object as O),
  };

  /**
   * What Create does to a new object before it is stored: the envelope
   * checked, the namespace decided (the path's wins), server metadata, status
   * reset and defaults set, then validated (INVALID_ARGUMENT naming every
   * field). The registry owns the request's message: the transport decoded it
   * for this call.
   */
  private prepareNew(namespace: string, body: T | undefined): T {
    if (!body) throw ApiError.invalid(this.kind.kind, "", [{ field: "", message: "the object is required" }]);
    const obj = body;
    const meta = (obj.metadata ??= emptyMetadata());
    this.checkEnvelope(obj, meta.name);
    meta.namespace = this.kind.namespaced ? namespace || meta.namespace : "";
    prepareNewObject(this.kind, obj, timestampNow());
    // Validated before a name is generated, so that errors name the client's
    // generate_name, not a name it never sent (a valid prefix gives valid names).
    this.validate(obj);
    return obj;
  }

  async watch(_ctx: RequestContext, req: WatchRequest, listener: WatchListener<T>): Promise<CacheWatch> {
    const selector = parseLabelSelector(req.labelSelector ?? "");
    let afterRevision: number | undefined;
    if (req.resourceVersion) {
      afterRevision = parseRevision(req.resourceVersion, "resource_version");
      await this.storeCache.waitFor(afterRevision);
    } else {
      await this.storeCache.fresh();
    }
    return this.cache.watch(
      {
        namespace: this.kind.namespaced ? req.namespace : "",
        selector,
        afterRevision,
        sendInitialEvents: req.sendInitialEvents,
        allowBookmarks: req.allowBookmarks,
      },
      listener,
      this.storeCache.revision,
    );
  }

  /**
   * Read-modify-write under optimistic concurrency. `mutate` gets a private
   * copy of the current object and returns the new one, or undefined for "no
   * change". With a client precondition a conflict is the client's; without
   * one the loop re-reads and tries again (Krake's last-writer-wins).
   * `force` deletes the object instead; `marksDeletion` says the mutation only
   * marks it deleted (see checkSize).
   */
  private async guaranteedUpdate(
    namespace: string,
    name: string,
    precondition: string | undefined,
    mutate: (next: T, current: T) => T | undefined,
    { force = false, marksDeletion = false }: { force?: boolean; marksDeletion?: boolean } = {},
  ): Promise<CachedObject<T>> {
    const key = this.objectKeyFor(namespace, name);
    const expected = precondition ? parseRevision(precondition, "metadata.resource_version") : undefined;
    let current = this.cache.get(key);
    let fromStore = false;
    for (let attempt = 1; ; attempt++) {
      // The cache may lag the store by a moment: consult the store before
      // answering "not found" or "stale".
      if (!fromStore && (!current || (expected !== undefined && current.revision !== expected))) {
        current = await this.readFromStore(key);
        fromStore = true;
      }
      if (!current) throw ApiError.notFound(this.kind.kind, name, namespace);
      if (expected !== undefined && current.revision !== expected) throw this.staleError(name, expected, current.revision);
      let next: T | undefined;
      if (!force) {
        let refusal: unknown;
        try {
          next = mutate(cloneObject(current.object, this.kind.codec), current.object);
        } catch (err) {
          refusal = err;
        }
        if (refusal !== undefined || !next) {
          // A refusal or a no-op is not checked by a compare-and-swap, so it must
          // rest on the store's latest version, not on a cache that may lag it.
          if (!fromStore && expected === undefined) {
            current = await this.readFromStore(key);
            fromStore = true;
            continue;
          }
          if (refusal !== undefined) throw refusal;
          return current;
        }
      }
      try {
        if (force) return current.atRevision(await this.store.delete(key, current.revision));
        return await this.write(key, next!, current, marksDeletion);
      } catch (err) {
        const raced = err instanceof ApiError && (err.code === Status.ABORTED || err.code === Status.NOT_FOUND);
        if (!raced) throw err;
        if (expected !== undefined && err.code === Status.ABORTED) throw this.staleError(name, expected, -1);
        if (attempt >= this.opts.maxUpdateAttempts) {
          throw ApiError.conflict(`Concurrent writes to ${this.kind.kind} '${name}'; try again`);
        }
        current = await this.readFromStore(key);
        fromStore = true;
      }
    }
  }

  /** Writes `next` in place of `current`; an object in deletion without finalizers is removed. */
  private async write(key: string, next: T, current: CachedObject<T>, marksDeletion: boolean): Promise<CachedObject<T>> {
    const meta = next.metadata!;
    meta.resourceVersion = "";
    if (meta.deleted && meta.finalizers.length === 0) {
      const revision = await this.store.delete(key, current.revision);
      meta.resourceVersion = String(revision);
      return new CachedObject(key, next, revision, this.kind.codec);
    }
    const encoded = encodeMessage(this.kind.codec, next);
    if (!marksDeletion) this.checkSize(meta.name, encoded, current.object);
    const revision = await this.store.update(key, encoded, current.revision);
    meta.resourceVersion = String(revision);
    // What readers see is what was stored (a value that does not survive protobuf would otherwise differ).
    const written = CachedObject.fromStored(key, encoded, revision, this.kind.codec);
    this.storeCache.rememberWrite(written as unknown as CachedObject);
    return written;
  }

  /**
   * Every store write of an object passes here first (Delete's marking aside):
   * an encoding over maxObjectBytes is refused before etcd sees it, as etcd
   * would refuse it anyway (--max-request-bytes) and a store full of such
   * objects is slow to load and watch. A write that leaves an object no larger
   * than the version it replaces passes, so that objects stored under a higher
   * limit can still shrink and lose their finalizers. Delete only adds a
   * timestamp and a finalizer, within the room etcd's limit leaves above
   * maxObjectBytes: an object of any size can always be deleted.
   */
  private checkSize(name: string, stored: Uint8Array, replaces: T | undefined): void {
    const limit = this.opts.maxObjectBytes;
    if (stored.length <= limit) return;
    if (replaces) {
      // as stored: without the resource_version the cached version carries (on a copy, as it is shared)
      const before = encodeMessage(this.kind.codec, { ...replaces, metadata: { ...replaces.metadata!, resourceVersion: "" } });
      if (stored.length <= before.length) return;
    }
    throw ApiError.tooLarge(`${this.kind.kind} "${name}" is ${stored.length} bytes encoded; the limit is ${limit} (max_object_bytes)`);
  }

  private async readFromStore(key: string): Promise<CachedObject<T> | undefined> {
    const kv = await this.store.get(key);
    return kv && CachedObject.fromStored(key, kv.value, kv.modRevision, this.kind.codec);
  }

  private staleError(name: string, expected: number, actual: number): ApiError {
    const now = actual > 0 ? ` (current: ${actual})` : "";
    return ApiError.conflict(
      `the object has been modified: ${this.kind.kind} '${name}' is not at resource version ${expected}${now}; read it again and retry`,
    );
  }

  private block(obj: CachedObject<T>, state: string): Promise<CachedObject<T>> {
    const wanted = blockingState(state);
    if (!wanted) return Promise.resolve(obj);
    if (!this.kind.stateName) {
      throw ApiError.invalid(this.kind.kind, obj.name, [{ field: "blocking", message: `${this.kind.kind} has no state to wait for` }]);
    }
    return waitForState(this.storeCache, this.cache, obj, wanted, this.kind.stateName, this.opts.blockingTimeoutMs);
  }

  private checkEnvelope(obj: T, name: string): void {
    const errors: FieldError[] = [];
    if (obj.api && obj.api !== this.kind.api) errors.push({ field: "api", message: `must be "${this.kind.api}"` });
    if (obj.kind && obj.kind !== this.kind.kind) errors.push({ field: "kind", message: `must be "${this.kind.kind}"` });
    if (errors.length) throw ApiError.invalid(this.kind.kind, name, errors);
    obj.api = this.kind.api;
    obj.kind = this.kind.kind;
  }

  /** The kind's immutable fields (beyond name and namespace) must keep their values. */
  private checkImmutable(next: T, current: T): void {
    const field = this.kind.changedImmutableField?.(next, current);
    if (field) throw ApiError.immutable(field);
  }

  private validate(obj: T): void {
    const errors = this.kind.validate(obj);
    if (errors.length) throw ApiError.invalid(this.kind.kind, obj.metadata?.name ?? "", errors);
  }

  private objectKeyFor(namespace: string, name: string): string {
    if (this.kind.namespaced && !namespace) {
      throw ApiError.invalid(this.kind.kind, name, [{ field: "namespace", message: "is required" }]);
    }
    if (!name) throw ApiError.invalid(this.kind.kind, name, [{ field: "name", message: "is required" }]);
    return this.key(namespace, name);
  }

  private key(namespace: string, name: string): string {
    return objectKey(this.opts.prefix, this.kind.api, this.kind.plural, this.kind.namespaced ? namespace : "", name);
  }
}

function emptyMetadata(): NonNullable<KrakeObject["metadata"]> {
  return {
    name: "", namespace: "", labels: {}, inheritLabels: false, finalizers: [], uid: "", created: undefined,
    modified: undefined, deleted: undefined, owners: [], resourceVersion: "", generation: 0, generateName: "",
  };
}

/** Kubernetes' generate_name alphabet (no vowels, no look-alikes); not a secret, so Math.random serves. */
function randomSuffix(): string {
  const alphabet = "bcdfghjklmnpqrstvwxz2456789";
  let out = "";
  for (let i = 0; i < 5; i++) out += alphabet[Math.floor(Math.random() * alphabet.length)];
  return out;
}

function parseRevision(value: string, field: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0 || String(n) !== value.trim()) {
    throw ApiError.invalid("Request", "", [{ field, message: `"${value}" is not a resource version issued by this API` }]);
  }
  return n;
}

/** Krake's clients send `blocking=False` when they do not want to wait. */
function blockingState(value: string): string | undefined {
  const v = value.trim();
  if (!v || ["false", "0", "no"].includes(v.toLowerCase())) return undefined;
  return v.toUpperCase();
}

/**
 * While an object is in deletion no finalizer may be added (as Kubernetes
 * rules); everything else may change. Krake's controllers rely on that: the
 * application controller drops its finalizer and the cluster owner in one PUT.
 */
function checkDeletionUpdate<T extends KrakeObject>(current: T, finalizers: string[]): void {
  const before = current.metadata?.finalizers ?? [];
  const added = finalizers.filter((f) => !before.includes(f));
  if (added.length > 0) {
    throw ApiError.deleting(`Finalizers can only be removed if a deletion is in progress (added: ${added.join(", ")}).`);
  }
}
