/**
 * The suite's client vocabulary (namespace and name as arguments, Krake's list
 * shape), implemented once for every kind over the generic client
 * (src/client/kind-client.ts).
 */
import { Metadata } from "../../../../gen/krake/core/v1/types.js";
import type { ListMetadata } from "../../../../gen/krake/core/v1/types.js";
import type { KrakeObject } from "../../../../src/kinds/index.js";
import type {
  DeleteOptions,
  KindClient as GenericKindClient,
  ListOptions,
  WatchEvent,
  WatchOptions,
} from "../../../../src/client/kind-client.js";
import type { ResponseStream } from "../../../../src/client/promise-client.js";

export type { WatchEvent };

/** List options under their request field names (`continue`, not `continueToken`). */
export type ListParams = Omit<ListOptions, "namespace" | "continueToken"> & { continue?: string };
export type DeleteParams = DeleteOptions;
export type WatchParams = Omit<WatchOptions, "namespace">;

export interface ListResult<T> {
  api: string;
  kind: string;
  metadata: ListMetadata | undefined;
  items: T[];
}

/** One kind's service, with the namespace as a parameter (ignored by global kinds). */
export interface KindClient<T> {
  /** `obj` may be missing: the server's answer to a request without a body is under test. */
  create(namespace: string, obj: T | undefined, blocking?: string): Promise<T>;
  get(namespace: string, name: string): Promise<T>;
  list(namespace: string, params?: ListParams): Promise<ListResult<T>>;
  /** Sends `obj` addressed to `namespace`/`name` (its metadata's are replaced). */
  update(namespace: string, name: string, obj: T): Promise<T>;
  delete(namespace: string, name: string, params?: DeleteParams): Promise<T>;
  watch(namespace: string, params?: WatchParams): ResponseStream<WatchEvent<T>>;
  /** Present for kinds with a status subresource; addresses `obj` as `update` does. */
  updateStatus?(namespace: string, name: string, obj: T): Promise<T>;
}

/**
 * `obj` with metadata name and namespace set from the request: the generic
 * client reads both from the object. A copy; `obj` stays as it was.
 */
function addressed<T extends KrakeObject>(obj: T, namespace: string, name: string): T {
  return { ...obj, metadata: { ...Metadata.fromPartial({}), ...obj.metadata, namespace, name } };
}

/** The suite's client for the kind of `client`: the same code for every kind. */
export function conformanceClient<T extends KrakeObject>(client: GenericKindClient<T>): KindClient<T> {
  const c: KindClient<T> = {
    // The generic client puts a missing body into the request as it is.
    create: (namespace, obj, blocking) => client.create(namespace, obj as T, { blocking }),
    get: (namespace, name) => client.get(namespace, name),
    async list(namespace, { continue: continueToken, ...params } = {}) {
      const page = await client.list({ ...params, namespace, continueToken });
      const { resourceVersion, remainingItemCount } = page;
      return { api: page.api, kind: page.kind, items: page.items, metadata: { resourceVersion, continue: page.continueToken, remainingItemCount } };
    },
    update: (namespace, name, obj) => client.update(addressed(obj, namespace, name)),
    delete: (namespace, name, params) => client.delete(namespace, name, params),
    watch: (namespace, params) => client.watch({ ...params, namespace }),
  };
  if (client.hasStatus) c.updateStatus = (namespace, name, obj) => client.updateStatus(addressed(obj, namespace, name));
  return c;
}
