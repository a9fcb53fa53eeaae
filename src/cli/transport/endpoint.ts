import { CliError } from "../errors.js";

export const defaultGrpcPort = 9090;

/** Where and how to reach krake-api, from `api_url` and `tls.enabled`. */
export interface Endpoint {
  protocol: "grpc" | "rest";
  /** `host:port` for gRPC; the base URL for REST. */
  address: string;
  tls: boolean;
  /** Set when `api_url` and `tls.enabled` disagree and TLS won (Krake warns, too). */
  warning?: string;
}

/**
 * `host[:port]`, `grpc://host[:port]` (plaintext unless tls.enabled),
 * `grpcs://host[:port]` (TLS), `http(s)://…` (the REST gateway).
 */
export function parseApiUrl(apiUrl: string, tlsEnabled: boolean): Endpoint {
  const match = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(apiUrl.trim());
  const scheme = match ? match[1].toLowerCase() : "";
  const rest = match ? match[2] : apiUrl.trim();
  if (scheme === "http" || scheme === "https") {
    return { protocol: "rest", address: apiUrl, tls: scheme === "https" || tlsEnabled };
  }
  if (scheme !== "" && scheme !== "grpc" && scheme !== "grpcs") {
    throw CliError.usage(`api_url "${apiUrl}": unknown scheme "${scheme}" (use host:port, grpc://host:port or grpcs://host:port)`);
  }
  const hostPort = rest.replace(/\/+$/, "");
  if (!hostPort || hostPort.includes("/")) throw CliError.usage(`api_url "${apiUrl}" is not host:port`);
  const hasPort = /^\[.*\]:\d+$/.test(hostPort) || (!hostPort.startsWith("[") && /:\d+$/.test(hostPort));
  const address = hasPort ? hostPort : `${hostPort}:${defaultGrpcPort}`;
  const tls = scheme === "grpcs" || tlsEnabled;
  const warning = scheme === "grpc" && tlsEnabled ? `api_url ${apiUrl} uses grpc://, but tls.enabled is set: connecting with TLS` : undefined;
  return { protocol: "grpc", address, tls, warning };
}
