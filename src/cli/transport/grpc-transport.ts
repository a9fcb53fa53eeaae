import { InterceptingCall, status } from "@grpc/grpc-js";
import type { ChannelCredentials, Interceptor, ServiceError } from "@grpc/grpc-js";
import { eventTypeToJSON } from "../../../gen/krake/core/v1/watch.js";
import type { EventType } from "../../../gen/krake/core/v1/watch.js";
import type { Application } from "../../../gen/krake/kubernetes/v1/application.js";
import { fromServiceError } from "../../client/errors.js";
import { krakeClients } from "../../client/clients.js";
import type { KrakeClients } from "../../client/clients.js";
import type { CallSettings, ResponseStream } from "../../client/promise-client.js";
import { ApiError } from "../../errors/api-error.js";
import { ApiConnection } from "../../client/kind-client.js";
import type { KindInfo as ClientKindInfo } from "../../kinds/index.js";
import type { KindInfo, KrakeObject } from "../kinds.js";
import type { ResourceClient, Transport, WatchEvent, WatchEventType, WatchStream } from "./transport.js";

export interface GrpcTransportOptions {
  /** `host:port`. */
  address: string;
  credentials: ChannelCredentials;
  /** Sent as `authorization: Bearer <token>` on every call. */
  token?: string;
  /** Deadline of each unary call. */
  requestTimeoutMs: number;
}

const listPageSize = 500;

/** krake-api over gRPC with the generated typed clients. */
export class GrpcTransport implements Transport {
  readonly target: string;
  private readonly clients: KrakeClients;
  private readonly connection: ApiConnection;

  constructor(private readonly options: GrpcTransportOptions) {
    this.target = options.address;
    const interceptors = options.token ? [bearer(options.token)] : [];
    this.clients = krakeClients(options.address, options.credentials, { interceptors });
    this.connection = new ApiConnection(options.address, options.credentials, {}, { interceptors });
  }

  resource<T extends KrakeObject>(kind: KindInfo<T>): ResourceClient<T> {
    // The one generic client, on the connection every kind shares.
    const client = this.connection.client<T>(kind as unknown as ClientKindInfo<T>);
    const call = async <R>(run: (settings: CallSettings) => Promise<R>): Promise<R> => {
      try {
        return await run({ deadline: Date.now() + this.options.requestTimeoutMs });
      } catch (err) {
        throw this.apiError(err);
      }
    };
    return {
      create: (namespace, object) => call((s) => client.create(namespace, object, {}, s)),
      get: (namespace, name) => call((s) => client.get(namespace, name, s)),
      update: (namespace, name, object) =>
        call((s) => client.update({ ...object, metadata: { ...object.metadata!, namespace: object.metadata?.namespace || namespace, name: object.metadata?.name || name } }, s)),
      delete: (namespace, name, options = {}) => call((s) => client.delete(namespace, name, { force: options.force ?? false }, s)),
      action: <R>(action: string, namespace: string, body: unknown) => call((s) => client.action<R>(action, namespace, body, s)),
      list: (options) =>
        call((s) => client.listAll({ namespace: options.namespace ?? "", labelSelector: options.labelSelector ?? "" }, listPageSize, s)),
      watch: (options) =>
        this.watch<T>(kind, client.watch({
          namespace: options.namespace ?? "",
          labelSelector: options.labelSelector ?? "",
          resourceVersion: options.resourceVersion ?? "",
          sendInitialEvents: options.sendInitialEvents ?? false,
        })),
    };
  }

  async retryApplication(namespace: string, name: string): Promise<Application> {
    try {
      return await this.clients.applications.retryApplication(
        { namespace, name, resourceVersion: "" },
        { deadline: Date.now() + this.options.requestTimeoutMs },
      );
    } catch (err) {
      throw this.apiError(err);
    }
  }

  close(): void {
    this.clients.close();
    this.connection.close();
  }

  private watch<T extends KrakeObject>(kind: KindInfo<T>, stream: ResponseStream<{ type: EventType; object?: T | undefined }>): WatchStream<T> {
    let cancelled = false;
    const apiError = (err: unknown) => this.apiError(err);
    return {
      cancel() {
        cancelled = true;
        stream.cancel();
      },
      async *[Symbol.asyncIterator](): AsyncIterator<WatchEvent<T>> {
        try {
          for await (const ev of stream) {
            yield {
              type: eventTypeToJSON(ev.type) as WatchEventType,
              object: (ev.object as T | undefined) ?? kind.codec.fromPartial({} as never),
            };
          }
        } catch (err) {
          if (cancelled && (err as ServiceError).code === status.CANCELLED) return;
          throw apiError(err);
        }
      },
    };
  }

  private apiError(err: unknown): ApiError {
    if (err instanceof ApiError) return err;
    const e = err as Partial<ServiceError>;
    if (typeof e.code !== "number") return new ApiError(status.UNKNOWN, "Internal", (err as Error).message ?? String(err));
    // the API answered (its errors carry a reason): it is up, but something behind it (etcd, an issuer) is not
    const answered = (e.metadata?.get("krake-reason").length ?? 0) > 0;
    if (e.code === status.UNAVAILABLE && answered) {
      return ApiError.unavailable(`the Krake API at ${this.target} is unavailable: ${e.details ?? ""}`);
    }
    if (e.code === status.UNAVAILABLE) {
      // grpc-js: "No connection established. Last error: <error> (<time>). Resolution note: <note, often empty>";
      // OpenSSL's errors end with a newline. One line, without the time or an empty note.
      const cause = (e.details ?? "")
        .replace(/^No connection established\. Last error: (Error: )?/, "")
        .replace(/\. Resolution note: *$/, "")
        .replace(/\s*\(\d{4}-\d\d-\d\dT[^)]*\)$/, "")
        .replace(/\s*\n\s*/g, " ");
      return ApiError.unavailable(`cannot reach the Krake API at ${this.target}: ${cause || "unavailable"}`);
    }
    if (e.code === status.DEADLINE_EXCEEDED) {
      return new ApiError(status.DEADLINE_EXCEEDED, "Timeout", `the Krake API at ${this.target} did not answer within ${this.options.requestTimeoutMs / 1000} s`);
    }
    return fromServiceError(e as ServiceError);
  }
}

/** Adds `authorization: Bearer <token>` to every call's metadata. */
function bearer(token: string): Interceptor {
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set("authorization", `Bearer ${token}`);
        next(metadata, listener);
      },
    });
}
