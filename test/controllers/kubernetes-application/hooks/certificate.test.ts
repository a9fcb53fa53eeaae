import { X509Certificate, createPrivateKey } from "node:crypto";
import { expect } from "chai";
import {
  HOOK_CERT_BACKDATE_MS,
  HOOK_CERT_VALIDITY_MS,
  HookCertificateError,
  issueHookCertificate,
  loadHookIssuer,
} from "../../../../src/controllers/kubernetes-application/hooks/certificate.js";
import { makeTestPki, opensslVerify } from "./pki.js";
import type { TestPki } from "./pki.js";

function catching(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

for (const keyType of ["rsa", "ec"] as const) {
  describe(`hook certificates (${keyType} intermediate)`, function () {
    this.timeout(30_000);
    let pki: TestPki;
    before(async () => {
      pki = await makeTestPki(keyType);
    });
    after(() => pki.remove());

    it("names the hook user as CN, keeps the intermediate's other subject parts, and is valid one year from now", async () => {
      const now = new Date("2026-12-05T12:00:00Z");
      const issuer = loadHookIssuer(pki.intermediateCert, pki.intermediateKey, now);
      const pair = await issueHookCertificate(issuer, "system:complete-hook", now);
      const cert = new X509Certificate(pair.cert);
      expect(cert.subject.split("\n")).to.deep.equal(["O=Krake tests", "OU=hooks", "CN=system:complete-hook"]);
      expect(cert.issuer).to.equal(new X509Certificate(pki.intermediateCert).subject);
      expect(new Date(cert.validFrom).getTime()).to.equal(Math.floor((now.getTime() - HOOK_CERT_BACKDATE_MS) / 1000) * 1000);
      expect(new Date(cert.validTo).getTime()).to.equal(now.getTime() + HOOK_CERT_VALIDITY_MS);
      expect(cert.ca).to.equal(false);
    });

    it("chains to the intermediate and the root (node:crypto and openssl verify, purpose sslclient)", async () => {
      const issuer = loadHookIssuer(pki.intermediateCert, pki.intermediateKey);
      const pair = await issueHookCertificate(issuer, "system:shutdown-hook");
      const cert = new X509Certificate(pair.cert);
      const intermediate = new X509Certificate(pki.intermediateCert);
      const root = new X509Certificate(pki.rootCert);
      expect(cert.checkIssued(intermediate)).to.equal(true);
      expect(cert.verify(intermediate.publicKey)).to.equal(true);
      expect(intermediate.verify(root.publicKey)).to.equal(true);
      expect(cert.verify(root.publicKey)).to.equal(false);
      expect(await opensslVerify(pki, pair.cert)).to.match(/: OK/);
    });

    it("gives a private key that belongs to the certificate, and a new key and serial each time", async () => {
      const issuer = loadHookIssuer(pki.intermediateCert, pki.intermediateKey);
      const a = await issueHookCertificate(issuer, "u");
      const b = await issueHookCertificate(issuer, "u");
      expect(new X509Certificate(a.cert).checkPrivateKey(createPrivateKey(a.key))).to.equal(true);
      expect(new X509Certificate(a.cert).checkPrivateKey(createPrivateKey(b.key))).to.equal(false);
      expect(new X509Certificate(a.cert).serialNumber).not.to.equal(new X509Certificate(b.cert).serialNumber);
    });
  });
}

describe("hook certificates: a bad intermediate is refused at load, saying why", function () {
  this.timeout(30_000);
  let pki: TestPki;
  before(async () => {
    pki = await makeTestPki("ec");
  });
  after(() => pki.remove());

  const cases: Array<[string, () => [string, string], RegExp]> = [
    ["a certificate that is no CA", () => [pki.leafCert, pki.leafKey], /is not a CA/],
    ["a key of another certificate", () => [pki.intermediateCert, pki.leafKey], /does not belong/],
    ["text that is no certificate", () => ["hello", pki.intermediateKey], /not a PEM certificate/],
    ["text that is no key", () => [pki.intermediateCert, "hello"], /not a PEM private key/],
  ];
  for (const [what, input, message] of cases) {
    it(what, async () => {
      const [cert, key] = input();
      const err = catching(() => loadHookIssuer(cert, key));
      expect(err).to.be.instanceOf(HookCertificateError);
      expect((err as Error).message).to.match(message);
    });
  }

  it("an expired intermediate", async () => {
    const err = catching(() => loadHookIssuer(pki.intermediateCert, pki.intermediateKey, new Date(Date.now() + 10 * 24 * 3600 * 1000)));
    expect(err).to.be.instanceOf(HookCertificateError);
    expect((err as Error).message).to.match(/expired/);
  });
});
