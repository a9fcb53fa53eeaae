import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";
import type { Metadata } from "@grpc/grpc-js";
import type { ClientCertificate, Credentials } from "./credentials.js";
import { clientCertificateOf } from "./tls.js";

/** The credentials of a gRPC call: `authorization` metadata and, on TLS, the connection's client certificate. */
export function grpcCredentials(
  call: { metadata: Metadata; getPeer(): string },
  clientCertificate?: (peer: string) => ClientCertificate | undefined,
): Credentials {
  const auth = call.metadata.get("authorization")[0];
  return {
    authorization: typeof auth === "string" ? auth : undefined,
    clientCertificate: clientCertificate?.(call.getPeer()),
  };
}

/** The credentials of an HTTP request: `Authorization` and, on TLS, the client certificate. */
export function httpCredentials(req: IncomingMessage): Credentials {
  const socket = req.socket as TLSSocket;
  return {
    authorization: req.headers.authorization,
    clientCertificate: socket.encrypted ? clientCertificateOf(socket) : undefined,
  };
}
