import { Channel as GrpcChannel, credentials as grpcCredentials } from "@grpc/grpc-js";
import type { ChannelInterface as Channel, ChannelCredentials, ChannelOptions, ClientOptions } from "@grpc/grpc-js";
import type { EventType } from "../../gen/krake/core/v1/watch.js";
import { resolveMethod, rpcOf } from "../kinds/methods.js";
import type { MethodVerb } from "../kinds/methods.js";
import type { KindInfo, KrakeObject } from "../kinds/object.js";
import { createClient } from "./promise-client.js";
import { retryServiceConfig } from "./retry-policy.js";
import type { CallSettings, ResponseStream } from "./promise-client.js";

export interface ListOptions {
  /** "" = every namespace (always "" for global kinds). */
  namespace?: string;
  labelSelector?: string;
  limit?: number;
  continueToken?: string;
}

export interface ListResult<T> {
  /** The list's own type: the kind's group and `<Kind>List`. */
  api: string;
  kind: string;
  items: T[];
  resourceVersion: string;
  continueToken: string;
  /** Objects after this page, when the server knows (0 otherwise). */
  remainingItemCount: number;
}

export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  resourceVersion?: string;
  allowBookmarks?: boolean;
  sendInitialEvents?: boolean;
}

export interface WatchEvent<T> {
  type: EventType;
  object: T | undefined;
}

export interface CreateOptions {
  /** Krake's blocking: the answer waits until status.state equals this state. */
  blocking?: string;
}

export interface DeleteOptions {
  /** Krake's blocking: the answer waits until the object is gone ("deleted"). */
  blocking?: string;
  /** "" (Krake's cascade), "foreground", "background" or "orphan". */
  propagationPolicy?: string;
  resourceVersion?: string;
  force?: boolean;
}

/**
 * The standard methods of one kind's service, the same for every kind: the one
 * generic client, which the controllers and krakectl wrap. Built from the
 * kind's generated service with the method roles the server dispatches on
 * too (kinds/methods.ts). Settings may carry an AbortSignal: it cancels the
 * call (or the watch stream), and an aborted signal fails the call before it
 * is sent.
 */
export interface KindClient<T extends KrakeObject> {
  readonly kind: KindInfo<T>;
  /** The kind has a status subresource (UpdateStatus). */
  readonly hasStatus: boolean;
  list(opts?: ListOptions, settings?: CallSettings): Promise<ListResult<T>>;
  /** Every page of a list, in pages of `pageSize`, all read at the first page's revision. */
  listAll(opts: Omit<ListOptions, "limit" | "continueToken">, pageSize: number, settings?: CallSettings): Promise<{ items: T[]; resourceVersion: string }>;
  watch(opts?: WatchOptions, settings?: CallSettings): ResponseStream<WatchEvent<T>>;
  get(namespace: string, name: string, settings?: CallSettings): Promise<T>;
  create(namespace: string, obj: T, opts?: CreateOptions, settings?: CallSettings): Promise<T>;
  /** PUT of the whole object; its metadata.resource_version is the precondition. */
  update(obj: T, settings?: CallSettings): Promise<T>;
  /** Status only; metadata.resource_version is the precondition. */
  updateStatus(obj: T, settings?: CallSettings): Promise<T>;
  delete(namespace: string, name: string, opts?: DeleteOptions, settings?: CallSettings): Promise<T>;
  /**
   * A subresource of the kind (`binding`, `retry`, ...), by its name in the
   * kind table; `body` goes in the method's body field, `resourceVersion`
   * (when given) is its precondition.
   */
  subresource(sub: string, namespace: string, name: string, body?: unknown, resourceVersion?: string, settings?: CallSettings): Promise<T>;
  /**
   * An action of the kind (`schedule`, ...), by its name in the kind table:
   * `body` goes in the method's body field; the answer is the method's own
   * response message (the scheduler's dry run: a SchedulingDecision). An
   * action writes nothing.
   */
  action<R = unknown>(action: string, namespace: string, body?: unknown, settings?: CallSettings): Promise<R>;
}

type Call = (request: Record<string, unknown>, settings?: CallSettings) => unknown;

interface ListResponse<T> {
  api: string;
  kind: string;
  metadata?: { resourceVersion: string; continue: string; remainingItemCount: number };
  items: T[];
}

/** Builds the standard methods of `kind` over `channel`. */
export function kindClient<T extends KrakeObject>(kind: KindInfo<T>, channel: Channel, options: Partial<ClientOptions> = {}): KindClient<T> {
  const service = kind.service as unknown as Parameters<typeof createClient>[0];
  const raw = createClient(service, channel.getTarget(), grpcCredentials.createInsecure(), { ...options, channelOverride: channel }) as unknown as Record<
    string,
    Call
  >;
  const byVerb = new Map<MethodVerb, { key: string; bodyField: string | undefined }>();
  const bySubresource = new Map<string, { key: string; bodyField: string | undefined }>();
  const byAction = new Map<string, { key: string; bodyField: string | undefined }>();
  for (const [key, m] of Object.entries(kind.service as unknown as Record<string, { path: string }>)) {
    const resolved = resolveMethod(kind, rpcOf(m.path));
    if (!resolved) continue;
    if (resolved.verb === "subresource") bySubresource.set(resolved.subresource!, { key, bodyField: resolved.bodyField });
    else if (resolved.verb === "action") byAction.set(resolved.action!, { key, bodyField: resolved.bodyField });
    else byVerb.set(resolved.verb, { key, bodyField: resolved.bodyField });
  }
  const find = (verb: MethodVerb): Call | undefined => {
    const key = byVerb.get(verb)?.key;
    return key && key in raw ? raw[key] : undefined;
  };
  const method = (verb: MethodVerb): Call => {
    const m = find(verb);
    if (!m) throw new Error(`${kind.kind}: the service has no ${verb} method`);
    return m;
  };
  const k = kind.kind;
  // Create, Update and UpdateStatus carry the object in the same field.
  const body = byVerb.get("create")?.bodyField ?? "";
  const listM = method("list");
  const watchM = method("watch");
  const getM = method("get");
  const createM = method("create");
  const updateM = method("update");
  const statusM = find("updateStatus");
  const deleteM = method("delete");
  /** A caller's signal that has already aborted fails the call before it is sent. */
  const unary = async <R>(settings: CallSettings | undefined, call: (s: CallSettings | undefined) => unknown): Promise<R> => {
    settings?.signal?.throwIfAborted();
    return (await call(settings)) as R;
  };
  const nameOf = (obj: T) => ({ namespace: obj.metadata?.namespace ?? "", name: obj.metadata?.name ?? "" });

  const client: KindClient<T> = {
    kind,
    hasStatus: statusM !== undefined,
    async list(opts = {}, settings) {
      const res = await unary<ListResponse<T>>(settings, (s) =>
        listM(
          {
            namespace: opts.namespace ?? "",
            labelSelector: opts.labelSelector ?? "",
            limit: opts.limit ?? 0,
            continue: opts.continueToken ?? "",
          },
          s,
        ),
      );
      return {
        api: res.api,
        kind: res.kind,
        items: res.items,
        resourceVersion: res.metadata?.resourceVersion ?? "",
        continueToken: res.metadata?.continue ?? "",
        remainingItemCount: res.metadata?.remainingItemCount ?? 0,
      };
    },
    async listAll(opts, pageSize, settings) {
      const items: T[] = [];
      let resourceVersion = "";
      let continueToken = "";
      do {
        const page = await client.list({ ...opts, limit: pageSize, continueToken }, settings);
        resourceVersion ||= page.resourceVersion;
        items.push(...page.items);
        continueToken = page.continueToken;
      } while (continueToken);
      return { items, resourceVersion };
    },
    watch(opts = {}, settings) {
      settings?.signal?.throwIfAborted();
      return watchM(
        {
          namespace: opts.namespace ?? "",
          labelSelector: opts.labelSelector ?? "",
          resourceVersion: opts.resourceVersion ?? "",
          allowBookmarks: opts.allowBookmarks ?? false,
          sendInitialEvents: opts.sendInitialEvents ?? false,
        },
        settings,
      ) as ResponseStream<WatchEvent<T>>;
    },
    get: (namespace, name, settings) => unary<T>(settings, (s) => getM({ namespace, name }, s)),
    create: (namespace, obj, opts = {}, settings) => unary<T>(settings, (s) => createM({ namespace, [body]: obj, blocking: opts.blocking ?? "" }, s)),
    update: (obj, settings) => unary<T>(settings, (s) => updateM({ ...nameOf(obj), [body]: obj }, s)),
    updateStatus(obj, settings) {
      if (!statusM) return Promise.reject(new Error(`${k} has no status`));
      return unary<T>(settings, (s) => statusM({ ...nameOf(obj), [body]: obj }, s));
    },
    subresource(sub, namespace, name, body, resourceVersion, settings) {
      const m = bySubresource.get(sub);
      const call = m && m.key in raw ? raw[m.key] : undefined;
      if (!m || !call) return Promise.reject(new Error(`${k} has no subresource ${sub}`));
      const request: Record<string, unknown> = { namespace, name, resourceVersion: resourceVersion ?? "" };
      if (m.bodyField) request[m.bodyField] = body;
      return unary<T>(settings, (s) => call(request, s));
    },
    action<R>(action: string, namespace: string, body?: unknown, settings?: CallSettings) {
      const m = byAction.get(action);
      const call = m && m.key in raw ? raw[m.key] : undefined;
      if (!m || !call) return Promise.reject(new Error(`${k} has no action ${action}`));
      const request: Record<string, unknown> = { namespace };
      if (m.bodyField) request[m.bodyField] = body;
      return unary<R>(settings, (s) => call(request, s));
    },
    delete: (namespace, name, opts = {}, settings) =>
      unary<T>(settings, (s) =>
        deleteM(
          {
            namespace,
            name,
            resourceVersion: opts.resourceVersion ?? "",
            force: opts.force ?? false,
            propagationPolicy: opts.propagationPolicy ?? "",
            blocking: opts.blocking ?? "",
          },
          s,
        ),
      ),
  };
  return client;
}

/**
 * Channel options of the generic client: room for large List pages, notice a
 * dead connection during a long watch (keepalive), reconnect quickly once the
 * API is back (grpc-js otherwise backs off up to two minutes between
 * connection attempts), and retry repeatable calls on UNAVAILABLE
 * (retry-policy.ts).
 */
export const controllerChannelOptions: ChannelOptions = {
  "grpc.service_config": retryServiceConfig(),
  // A List page of large objects can pass grpc-js' 4 MiB default.
  "grpc.max_receive_message_length": 64 * 1024 * 1024,
  "grpc.keepalive_time_ms": 30_000,
  "grpc.keepalive_timeout_ms": 10_000,
  "grpc.initial_reconnect_backoff_ms": 200,
  "grpc.max_reconnect_backoff_ms": 5_000,
};

/** One channel (one HTTP/2 connection) to the API, shared by the clients of every kind. */
export class ApiConnection {
  readonly endpoint: string;
  private readonly channel: Channel;
  private readonly clients = new Map<string, KindClient<KrakeObject>>();

  /** `clientOptions`: per-call options of every client (interceptors, e.g. a bearer token). */
  constructor(
    endpoint: string,
    credentials: ChannelCredentials = grpcCredentials.createInsecure(),
    options: ChannelOptions = {},
    private readonly clientOptions: Partial<ClientOptions> = {},
  ) {
    this.endpoint = endpoint;
    this.channel = new GrpcChannel(endpoint, credentials, { ...controllerChannelOptions, ...options });
  }

  client<T extends KrakeObject>(kind: KindInfo<T>): KindClient<T> {
    const key = `${kind.api}/${kind.plural}`;
    let c = this.clients.get(key);
    if (!c) {
      c = kindClient(kind, this.channel, this.clientOptions) as unknown as KindClient<KrakeObject>;
      this.clients.set(key, c);
    }
    return c as unknown as KindClient<T>;
  }

  close(): void {
    this.channel.close();
  }
}
