import { makeGenericClientConstructor, Metadata } from "@grpc/grpc-js";
import type { CallOptions, ChannelCredentials, Client, ClientOptions, ClientReadableStream, ServiceError } from "@grpc/grpc-js";

/** The shape of a method in a ts-proto grpc-js service definition. */
interface MethodShape {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  requestSerialize(value: never): Buffer;
  responseDeserialize(value: Buffer): unknown;
}

type RequestOf<M> = M extends { requestSerialize(value: infer R): Buffer } ? R : never;
type ResponseOf<M> = M extends { responseDeserialize(value: Buffer): infer R } ? R : never;

export interface CallSettings {
  metadata?: Metadata;
  deadline?: Date | number;
  signal?: AbortSignal;
}

/** A server stream as an async iterable; `cancel()` ends it from the client side. */
export interface ResponseStream<T> extends AsyncIterable<T> {
  cancel(): void;
  readonly stream: ClientReadableStream<T>;
}

export type PromiseClient<S> = {
  [K in keyof S]: S[K] extends { responseStream: true }
    ? (request: RequestOf<S[K]>, settings?: CallSettings) => ResponseStream<ResponseOf<S[K]>>
    : (request: RequestOf<S[K]>, settings?: CallSettings) => Promise<ResponseOf<S[K]>>;
} & { readonly grpcClient: Client; close(): void };

/**
 * A promise-based client for a generated service, built by walking its
 * definition: unary methods return promises, server-streaming methods async
 * iterables. Errors are grpc-js ServiceErrors (code, details, metadata).
 */
export function createClient<S extends Record<string, MethodShape>>(
  service: S,
  address: string,
  credentials: ChannelCredentials,
  options: Partial<ClientOptions> = {},
): PromiseClient<S> {
  const Ctor = makeGenericClientConstructor(service as never, "");
  const client = new Ctor(address, credentials, options) as Client & Record<string, (...args: unknown[]) => unknown>;
  const out: Record<string, unknown> = {
    grpcClient: client,
    close: () => client.close(),
  };
  for (const [name, method] of Object.entries(service)) {
    const fn = client[name].bind(client);
    if (method.responseStream) {
      out[name] = (request: unknown, settings: CallSettings = {}) =>
        streamOf(fn(request, settings.metadata ?? new Metadata(), callOptions(settings)) as ClientReadableStream<unknown>, settings);
    } else {
      out[name] = (request: unknown, settings: CallSettings = {}) =>
        new Promise((resolve, reject) => {
          const call = fn(request, settings.metadata ?? new Metadata(), callOptions(settings), (err: ServiceError | null, res: unknown) =>
            err ? reject(err) : resolve(res),
          ) as { cancel(): void };
          settings.signal?.addEventListener("abort", () => call.cancel(), { once: true });
        });
    }
  }
  return out as PromiseClient<S>;
}

function callOptions(settings: CallSettings): Partial<CallOptions> {
  return settings.deadline ? { deadline: settings.deadline } : {};
}

function streamOf<T>(stream: ClientReadableStream<T>, settings: CallSettings): ResponseStream<T> {
  settings.signal?.addEventListener("abort", () => stream.cancel(), { once: true });
  return {
    stream,
    cancel: () => stream.cancel(),
    [Symbol.asyncIterator]: () => stream[Symbol.asyncIterator]() as AsyncIterator<T>,
  };
}
