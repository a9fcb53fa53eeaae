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
          let unlink = () => {};
          const call = fn(request, settings.metadata ?? new Metadata(), callOptions(settings), (err: ServiceError | null, res: unknown) => {
            unlink();
            if (err) reject(err);
            else resolve(res);
          }) as { cancel(): void };
          unlink = cancelOnAbort(settings.signal, call);
        });
    }
  }
  return out as PromiseClient<S>;
}

function callOptions(settings: CallSettings): Partial<CallOptions> {
  return settings.deadline ? { deadline: settings.deadline } : {};
}

/**
 * Cancels `call` when `signal` aborts (at once if it already has); returns
 * the function that drops the listener, so a long-lived signal shared by many
 * calls does not collect one listener per finished call.
 */
function cancelOnAbort(signal: AbortSignal | undefined, call: { cancel(): void }): () => void {
  if (!signal) return () => {};
  if (signal.aborted) {
    call.cancel();
    return () => {};
  }
  const onAbort = () => call.cancel();
  signal.addEventListener("abort", onAbort, { once: true });
  return () => signal.removeEventListener("abort", onAbort);
}

function streamOf<T>(stream: ClientReadableStream<T>, settings: CallSettings): ResponseStream<T> {
  const unlink = cancelOnAbort(settings.signal, stream);
  // a stream nobody reads never emits "close"; "status" comes either way
  stream.once("status", unlink);
  stream.once("close", unlink);
  return {
    stream,
    cancel: () => stream.cancel(),
    [Symbol.asyncIterator]: () => stream[Symbol.asyncIterator]() as AsyncIterator<T>,
  };
}
