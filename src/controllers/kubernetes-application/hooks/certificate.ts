/**
 * Client certificates for the applications' hook calls (Krake's
 * generate_certificate): CN = the hook's user, signed by a configured
 * intermediate CA, valid one year. Built with @peculiar/x509 on Node's
 * WebCrypto; the intermediate's key may be RSA or ECDSA.
 */
import "reflect-metadata";
import { createPrivateKey, webcrypto, X509Certificate as NodeX509 } from "node:crypto";
import type { KeyObject } from "node:crypto";
import * as x509 from "@peculiar/x509";

const subtle = webcrypto.subtle as unknown as SubtleCrypto;
x509.cryptoProvider.set(webcrypto as unknown as Crypto);

/** The CA that signs the hook certificates, loaded once at startup. */
export interface HookIssuer {
  /** Its certificate, PEM (goes into every ca-bundle.pem after the API's CA). */
  readonly certPem: string;
  readonly cert: x509.X509Certificate;
  readonly key: CryptoKey;
  readonly signingAlgorithm: EcdsaParams | Algorithm;
}

export interface CertificatePair {
  cert: string;
  key: string;
}

export class HookCertificateError extends Error {
  override readonly name = "HookCertificateError";
}

/** One year, as Krake. */
export const HOOK_CERT_VALIDITY_MS = 365 * 24 * 3600 * 1000;
/** notBefore lies this far in the past, so a member cluster whose clock is behind accepts the certificate. */
export const HOOK_CERT_BACKDATE_MS = 5 * 60 * 1000;

const EC_CURVES: Record<string, { namedCurve: string; hash: string }> = {
  prime256v1: { namedCurve: "P-256", hash: "SHA-256" },
  secp384r1: { namedCurve: "P-384", hash: "SHA-384" },
  secp521r1: { namedCurve: "P-521", hash: "SHA-512" },
};

async function importSigningKey(key: KeyObject): Promise<{ key: CryptoKey; algorithm: EcdsaParams | Algorithm }> {
  const pkcs8 = key.export({ type: "pkcs8", format: "der" });
  if (key.asymmetricKeyType === "rsa") {
    const algorithm = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
    return { key: await subtle.importKey("pkcs8", pkcs8, algorithm, false, ["sign"]), algorithm };
  }
  if (key.asymmetricKeyType === "ec") {
    const curve = EC_CURVES[key.asymmetricKeyDetails?.namedCurve ?? ""];
    if (!curve) throw new HookCertificateError(`the intermediate key's curve ${key.asymmetricKeyDetails?.namedCurve} is not supported (P-256, P-384, P-521)`);
    const key_ = await subtle.importKey("pkcs8", pkcs8, { name: "ECDSA", namedCurve: curve.namedCurve }, false, ["sign"]);
    return { key: key_, algorithm: { name: "ECDSA", hash: curve.hash } };
  }
  throw new HookCertificateError(`the intermediate key is ${key.asymmetricKeyType}; RSA or ECDSA keys can sign hook certificates`);
}

/**
 * Loads the intermediate CA from PEM text: its certificate must be a CA, match
 * the key, and be valid now. Errors say which of these failed.
 */
export async function loadHookIssuer(certPem: string, keyPem: string, now = new Date()): Promise<HookIssuer> {
  let nodeCert: NodeX509;
  let keyObject: KeyObject;
  try {
    nodeCert = new NodeX509(certPem);
  } catch (err) {
    throw new HookCertificateError(`the intermediate certificate is not a PEM certificate: ${(err as Error).message}`);
  }
  try {
    keyObject = createPrivateKey(keyPem);
  } catch (err) {
    throw new HookCertificateError(`the intermediate key is not a PEM private key: ${(err as Error).message}`);
  }
  if (!nodeCert.ca) throw new HookCertificateError(`the intermediate certificate (${nodeCert.subject.replace(/\n/g, ", ")}) is not a CA (basicConstraints CA:TRUE)`);
  if (!nodeCert.checkPrivateKey(keyObject)) throw new HookCertificateError("the intermediate key does not belong to the intermediate certificate");
  if (new Date(nodeCert.validTo) < now) throw new HookCertificateError(`the intermediate certificate expired on ${nodeCert.validTo}`);
  const { key, algorithm } = await importSigningKey(keyObject);
  return { certPem: nodeCert.toString(), cert: new x509.X509Certificate(nodeCert.raw), key, signingAlgorithm: algorithm };
}

/** The issuer's subject with its CN replaced by `commonName` (Krake copies the intermediate's subject). */
function subjectFor(issuer: x509.X509Certificate, commonName: string): x509.JsonName {
  const name = new x509.Name(issuer.subject).toJSON().filter((rdn) => !("CN" in rdn));
  return [...name, { CN: [commonName] }];
}

/**
 * A new key (ECDSA P-256) and a certificate for it: CN = `commonName`,
 * issued by `issuer`, valid from five minutes ago for one year, for TLS
 * client authentication only.
 */
export async function issueHookCertificate(issuer: HookIssuer, commonName: string, now = new Date()): Promise<CertificatePair> {
  const keyAlgorithm = { name: "ECDSA", namedCurve: "P-256" };
  const keys = (await subtle.generateKey(keyAlgorithm, true, ["sign", "verify"])) as CryptoKeyPair;
  const serial = Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)));
  serial[0] &= 0x7f; // a positive INTEGER
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial.toString("hex"),
    subject: subjectFor(issuer.cert, commonName),
    issuer: issuer.cert.subjectName,
    notBefore: new Date(now.getTime() - HOOK_CERT_BACKDATE_MS),
    notAfter: new Date(now.getTime() + HOOK_CERT_VALIDITY_MS),
    signingAlgorithm: issuer.signingAlgorithm,
    publicKey: keys.publicKey,
    signingKey: issuer.key,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(issuer.cert),
    ],
  });
  const pkcs8 = await subtle.exportKey("pkcs8", keys.privateKey);
  return { cert: cert.toString("pem") + "\n", key: x509.PemConverter.encode(pkcs8, "PRIVATE KEY") + "\n" };
}
