import { readFileSync } from "node:fs";
import { credentials } from "@grpc/grpc-js";
import type { CliConfig } from "../config.js";
import { CliError } from "../errors.js";
import { parseApiUrl } from "./endpoint.js";
import { GrpcTransport } from "./grpc-transport.js";
import type { Transport } from "./transport.js";

export type { Transport } from "./transport.js";

export interface TransportSettings {
  requestTimeoutMs: number;
  /** Where warnings go (a TLS scheme that was forced). */
  warn(message: string): void;
}

/** The transport that `config` asks for: gRPC (plaintext or TLS with a client certificate). */
export function createTransport(config: CliConfig, settings: TransportSettings): Transport {
  const endpoint = parseApiUrl(config.apiUrl, config.tls.enabled);
  if (endpoint.protocol === "rest") {
    throw CliError.usage(
      `api_url ${config.apiUrl}: the REST transport is not available in this krakectl yet; use the gRPC address (host:port, grpc:// or grpcs://)`,
    );
  }
  if (endpoint.warning) settings.warn(endpoint.warning);
  const tls = config.tls;
  const channel = endpoint.tls
    ? credentials.createSsl(readPem(tls.clientCa, "client_ca"), readPem(tls.clientKey, "client_key"), readPem(tls.clientCert, "client_cert"))
    : credentials.createInsecure();
  return new GrpcTransport({ address: endpoint.address, credentials: channel, token: config.token, requestTimeoutMs: settings.requestTimeoutMs });
}

function readPem(path: string | undefined, what: string): Buffer | null {
  if (!path) return null;
  try {
    return readFileSync(path);
  } catch (err) {
    throw CliError.usage(`tls.${what}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
