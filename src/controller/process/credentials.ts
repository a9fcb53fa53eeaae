import { readFileSync } from "node:fs";
import { credentials as grpcCredentials } from "@grpc/grpc-js";
import type { ChannelCredentials, ChannelOptions } from "@grpc/grpc-js";
import type { ControllerConfig } from "./config.js";

/**
 * gRPC channel credentials from the TLS settings: the CA that signed the
 * API's certificate (the system's roots when empty) and, for TLS client
 * authentication (the certificate's CN is the user), a certificate and key.
 * `server_name` overrides the name checked against the API's certificate.
 */
export function channelCredentials(tls: ControllerConfig["tls"]): { credentials: ChannelCredentials; options: ChannelOptions } {
  if (!tls.enabled) return { credentials: grpcCredentials.createInsecure(), options: {} };
  const read = (file: string, setting: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new Error(`tls.${setting}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  };
  const ca = tls.clientCa ? read(tls.clientCa, "client_ca") : null;
  const key = tls.clientKey ? read(tls.clientKey, "client_key") : null;
  const cert = tls.clientCert ? read(tls.clientCert, "client_cert") : null;
  let credentials: ChannelCredentials;
  try {
    credentials = grpcCredentials.createSsl(ca, key, cert);
  } catch (err) {
    throw new Error(`tls: ${err instanceof Error ? err.message : String(err)}`);
  }
  const options: ChannelOptions = tls.serverName
    ? { "grpc.ssl_target_name_override": tls.serverName, "grpc.default_authority": tls.serverName }
    : {};
  return { credentials, options };
}
