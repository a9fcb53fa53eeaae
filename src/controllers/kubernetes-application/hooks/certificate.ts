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

/** How the issuer's key signs: WebCrypto's import and signing parameters. */
function signingParams(key: KeyObject): { importAs: RsaHashedImportParams | EcKeyImportParams; sign: Algorithm | EcdsaParams } {
  if (key.asymmetricKeyType === "rsa") {
    const rsa = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
    return { importAs: rsa, sign: rsa };
  }
  if (key.asymmetricKeyType === "ec") {
    const curve = EC_CURVES[key.asymmetricKeyDetails?.namedCurve ?? ""];
    if (!curve) throw new HookCertificateError(`the intermediate key's curve ${key.asymmetricKeyDetails?.namedCurve} is not supported (P-256, P-384, P-521)`);
    return { importAs: { name: "ECDSA", namedCurve: curve.namedCurve }, sign: { name: "ECDSA", hash: curve.hash } as EcdsaParams };
  }
  throw new HookCertificateError(`the intermediate key is ${key.asymmetricKeyType}; RSA or ECDSA keys can sign hook certificates`);
}

/** The CA that signs the hook certificates: checked at startup (synchronously), its key imported into WebCrypto on first use. */
export class HookIssuer {
  /** Its certificate, PEM (goes into every ca-bundle.pem after the API's CA). */
  readonly certPem: string;
  readonly cert: x509.X509Certificate;
  private readonly params: ReturnType<typeof signingParams>;
  private key: Promise<CryptoKey> | undefined;

  private constructor(nodeCert: NodeX509, private readonly keyObject: KeyObject) {
    this.certPem = nodeCert.toString();
    this.cert = new x509.X509Certificate(nodeCert.raw);
    this.params = signingParams(keyObject);
  }

  /**
   * From PEM text: the certificate must be a CA, match the key, and be valid
   * now. Errors (HookCertificateError) say which of these failed.
   */
  static load(certPem: string, keyPem: string, now = new Date()): HookIssuer {
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
    return new HookIssuer(nodeCert, keyObject);
  }

  get signingAlgorithm(): Algorithm | EcdsaParams {
    return this.params.sign;
  }

  signingKey(): Promise<CryptoKey> {
    this.key ??= subtle.importKey("pkcs8", this.keyObject.export({ type: "pkcs8", format: "der" }), this.params.importAs, false, ["sign"]);
    return this.key;
  }
}

/** HookIssuer.load as a function (the tests' and the runtime's entry). */
export function loadHookIssuer(certPem: string, keyPem: string, now = new Date()): HookIssuer {
  return HookIssuer.load(certPem, keyPem, now);
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
    signingKey: await issuer.signingKey(),
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
