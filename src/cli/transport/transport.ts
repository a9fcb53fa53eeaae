/**
 * How krakectl talks to krake-api. Commands see only this interface, so a
 * transport is one file: gRPC today (grpc-transport.ts), REST through the
 * gateway later. Every method fails with an ApiError (src/errors), whatever
 * the wire, so commands and exit codes do not depend on the transport.
 */
import type { Application } from "../../../gen/krake/kubernetes/v1/application.js";
import type {
  DeleteOptions as ClientDeleteOptions,
  ListOptions as ClientListOptions,
  WatchOptions as ClientWatchOptions,
} from "../../client/kind-client.js";
import type { KindInfo, KrakeObject } from "../kinds.js";

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";

export interface WatchEvent<T> {
  type: WatchEventType;
  /** For BOOKMARK, only metadata.resource_version is set. */
  object: T;
}

/** A server stream of events; iterating ends when `cancel()` is called. */
export interface WatchStream<T> extends AsyncIterable<WatchEvent<T>> {
  cancel(): void;
}

/** The generic client's options, as far as krakectl uses them (`namespace` undefined: every namespace, or a global kind). */
export type ListOptions = Pick<ClientListOptions, "namespace" | "labelSelector">;

export interface ListResult<T> {
  items: T[];
  /** The store revision the list was read at: watch from here to miss nothing. */
  resourceVersion: string;
}

export type WatchOptions = Pick<ClientWatchOptions, "namespace" | "labelSelector" | "resourceVersion" | "sendInitialEvents">;

export type DeleteOptions = Pick<ClientDeleteOptions, "force">;

/** One kind's operations. `namespace` is ignored for global kinds. */
export interface ResourceClient<T extends KrakeObject> {
  create(namespace: string, object: T): Promise<T>;
  get(namespace: string, name: string): Promise<T>;
  /** Every page, read at one revision. */
  list(options: ListOptions): Promise<ListResult<T>>;
  /** A full replacement; `metadata.resource_version`, when set, is a precondition. */
  update(namespace: string, name: string, object: T): Promise<T>;
  delete(namespace: string, name: string, options?: DeleteOptions): Promise<T>;
  watch(options: WatchOptions): WatchStream<T>;
  /** An action of the kind (the kind table's `actions`): `body` in its body field; its answer is the action's own message. */
  action<R>(action: string, namespace: string, body: unknown): Promise<R>;
}

export interface Transport {
  /** Where the transport connects, for messages. */
  readonly target: string;
  resource<T extends KrakeObject>(kind: KindInfo<T>): ResourceClient<T>;
  retryApplication(namespace: string, name: string): Promise<Application>;
  close(): void;
}
