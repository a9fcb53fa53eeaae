/**
 * What a request presents to prove who it is, independent of the transport:
 * the gRPC and REST edges fill this in from metadata/headers and the TLS
 * socket, and the authentication chain reads nothing else.
 */
export interface Credentials {
  /** The raw `Authorization` header / `authorization` metadata value, if any. */
  authorization?: string;
  /** The TLS client certificate, when the connection is TLS and the client sent one. */
  clientCertificate?: ClientCertificate;
}

export interface ClientCertificate {
  /** Subject common name ("" when absent). */
  commonName: string;
  /** Subject organization entries. */
  organizations: string[];
  /** True when the TLS layer verified the chain against the configured client CA. */
  verified: boolean;
  /** Why verification failed (OpenSSL's code, e.g. UNABLE_TO_VERIFY_LEAF_SIGNATURE). */
  verifyError?: string;
}

/** True when the request carries any credential at all (then it must not become anonymous). */
export function presentsCredentials(creds: Credentials): boolean {
  return !!creds.authorization?.trim() || creds.clientCertificate !== undefined;
}

/** The token of an `Authorization: Bearer <token>` value (scheme case-insensitive), else undefined. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const m = /^\s*bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  return m ? m[1] : undefined;
}
