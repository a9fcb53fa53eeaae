import { ApiError } from "../../../errors/api-error.js";
import type { Authenticator, AuthResult } from "../authenticator.js";
import type { Credentials } from "../credentials.js";

/**
 * TLS client certificates: the subject CN is the user, its O entries the
 * groups. Only a chain the TLS layer verified against the configured client
 * CA counts; an unverified certificate (possible when client certificates are
 * optional) fails the whole request rather than falling through to another
 * provider or to anonymous.
 */
export class ClientCertificateAuthenticator implements Authenticator {
  readonly name = "tls";
  readonly reads = "certificate";

  authenticate(creds: Credentials): AuthResult {
    const cert = creds.clientCertificate;
    if (!cert) return undefined;
    if (!cert.verified) {
      throw ApiError.unauthenticated(`The client certificate is not trusted (${cert.verifyError ?? "not verified"})`);
    }
    if (!cert.commonName) return { rejected: "the client certificate has no subject common name" };
    return { user: { name: cert.commonName, groups: cert.organizations, provider: "tls" } };
  }
}
