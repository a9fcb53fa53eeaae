import { credentials as grpcCredentials } from "@grpc/grpc-js";
import type { ChannelCredentials, ClientOptions } from "@grpc/grpc-js";
import { generatedKinds } from "../../gen/kinds.js";
import { createClient } from "./promise-client.js";
import type { PromiseClient } from "./promise-client.js";

type Kind = (typeof generatedKinds)[number];

/** A typed promise client per kind of the generated table, by its client key ("applications", "roleBindings"). */
export type KrakeClients = { [K in Kind as K["clientKey"]]: PromiseClient<K["service"]> } & { close(): void };

/** Typed promise clients for every Krake service, sharing one channel. */
export function krakeClients(
  address: string,
  credentials: ChannelCredentials = grpcCredentials.createInsecure(),
  options: Partial<ClientOptions> = {},
): KrakeClients {
  // Same options ⇒ grpc-js shares one subchannel (one HTTP/2 connection) between them.
  const clients = generatedKinds.map((k) => [k.clientKey, createClient(k.service, address, credentials, options)] as const);
  return {
    ...(Object.fromEntries(clients) as Omit<KrakeClients, "close">),
    close() {
      for (const [, client] of clients) client.close();
    },
  };
}
