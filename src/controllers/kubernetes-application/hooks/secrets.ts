/**
 * The Secrets a hook adds to an Application's manifest, one of each per
 * namespace its resources use (Krake's Hook.secret_token / secret_certs).
 */
import type { CertificatePair } from "./certificate.js";

export type Manifest = Record<string, unknown>;

/** The file names in the certificate Secret, as the application finds them under cert_dest. */
export const CA_BUNDLE_FILE = "ca-bundle.pem";
export const CERT_FILE = "cert.pem";
export const KEY_FILE = "key.pem";

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

function secret(name: string, namespace: string, data: Record<string, string>): Manifest {
  return { apiVersion: "v1", kind: "Secret", metadata: { name, namespace }, type: "Opaque", data };
}

/** The Secret's key for an environment variable: its name in lower case (Krake's `env_token.lower()`). */
export function secretKeyFor(envName: string): string {
  return envName.toLowerCase();
}

/** `<app>-krake-<hook>-secret-token`: the token and the hook's URL under the lower-cased variable names. */
export function tokenSecret(opts: {
  name: string;
  namespace: string;
  envToken: string;
  envUrl: string;
  token: string;
  url: string;
}): Manifest {
  return secret(opts.name, opts.namespace, {
    [secretKeyFor(opts.envToken)]: b64(opts.token),
    [secretKeyFor(opts.envUrl)]: b64(opts.url),
  });
}

/**
 * `<app>-krake-<hook>-secret-certs`: ca-bundle.pem (the CA that signs the
 * API's certificate, then the intermediate, as Krake chains them), cert.pem
 * (the application's certificate; the caller appends the intermediate, so
 * that an API trusting only the root accepts it) and key.pem.
 */
export function certsSecret(opts: { name: string; namespace: string; caBundle: string; certificate: CertificatePair }): Manifest {
  return secret(opts.name, opts.namespace, {
    [CA_BUNDLE_FILE]: b64(opts.caBundle),
    [CERT_FILE]: b64(opts.certificate.cert),
    [KEY_FILE]: b64(opts.certificate.key),
  });
}
