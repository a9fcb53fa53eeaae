import { readFileSync } from "node:fs";
import type { TLSSocket, TlsOptions } from "node:tls";
import type { ClientCertificate } from "./credentials.js";

export type ClientCertMode = "none" | "optional" | "required";

export const CLIENT_CERT_MODES: readonly ClientCertMode[] = ["none", "optional", "required"];

/** TLS of one listener (gRPC or REST). No `cert` = plaintext. */
export interface TlsListenerConfig {
  /** PEM server certificate chain. */
  cert: string;
  /** PEM private key of `cert`. */
  key: string;
  /** PEM CA bundle that client certificates must chain to. */
  clientCa: string;
  /** Whether clients are asked for a certificate, and whether one is required. */
  clientCert: ClientCertMode;
}

export const defaultTlsConfig: TlsListenerConfig = { cert: "", key: "", clientCa: "", clientCert: "none" };

export function tlsEnabled(cfg: TlsListenerConfig | undefined): cfg is TlsListenerConfig {
  return !!cfg?.cert;
}

/** Problems with a listener's TLS settings, as messages naming the setting. */
export function checkTlsConfig(cfg: TlsListenerConfig, where: string): string[] {
  const problems: string[] = [];
  if (!CLIENT_CERT_MODES.includes(cfg.clientCert)) {
    problems.push(`${where}.client_cert must be one of ${CLIENT_CERT_MODES.join(", ")} (got "${cfg.clientCert}")`);
  }
  if (!cfg.cert) {
    if (cfg.key || cfg.clientCa || (cfg.clientCert && cfg.clientCert !== "none")) problems.push(`${where}: key, client_ca and client_cert need cert`);
    return problems;
  }
  if (!cfg.key) problems.push(`${where}.key is required with ${where}.cert`);
  if (cfg.clientCert !== "none" && !cfg.clientCa) problems.push(`${where}.client_ca is required when client_cert is ${cfg.clientCert}`);
  return problems;
}

/**
 * Node TLS server options for a listener: the files are read now, so a
 * missing or unreadable file is a start-up error. With client certificates
 * required, a client without one or with one that does not chain to
 * `client_ca` fails the handshake; with them optional, the request sees the
 * certificate and whether it was verified.
 */
export function serverTlsOptions(cfg: TlsListenerConfig): TlsOptions {
  const read = (what: string, path: string) => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new Error(`tls: cannot read ${what} ${path}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const requestCert = cfg.clientCert !== "none";
  return {
    cert: read("cert", cfg.cert),
    key: read("key", cfg.key),
    ...(requestCert ? { ca: read("client_ca", cfg.clientCa) } : {}),
    requestCert,
    rejectUnauthorized: cfg.clientCert === "required",
    minVersion: "TLSv1.2",
  };
}

/** The client certificate a TLS socket received, verified or not; undefined when none was sent. */
export function clientCertificateOf(socket: TLSSocket): ClientCertificate | undefined {
  const peer = socket.getPeerCertificate();
  if (!peer || !peer.raw) return undefined;
  const subject = (peer.subject ?? {}) as unknown as Record<string, string | string[] | undefined>;
  const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  const error = socket.authorizationError as unknown;
  return {
    commonName: list(subject.CN)[0] ?? "",
    organizations: list(subject.O),
    verified: socket.authorized,
    verifyError: socket.authorized ? undefined : error instanceof Error ? error.message : error ? String(error) : undefined,
  };
}
