/**
 * A test PKI made with openssl, as an operator makes Krake's: a root CA, an
 * intermediate CA signed by it (the hooks' issuer), a serving certificate for
 * 127.0.0.1 (server.crt/.key) and a client certificate for system:admin
 * (admin.crt/.key) for a krake-api with TLS, and, for error paths, a
 * certificate that is no CA. Files in a temporary directory; `remove()` deletes it.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface TestPki {
  dir: string;
  rootCert: string;
  intermediateCert: string;
  intermediateKey: string;
  /** A leaf certificate (CA:FALSE) and its key, signed by the root. */
  leafCert: string;
  leafKey: string;
  path(file: string): string;
  remove(): Promise<void>;
}

/** `keyType` of the intermediate: "rsa" (2048) or "ec" (P-256). */
export async function makeTestPki(keyType: "rsa" | "ec" = "rsa"): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), "krake-hooks-pki-"));
  const ssl = (args: string[]) => run("openssl", args, { cwd: dir });
  const ecKey = (out: string) => ssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", out]);
  await ecKey("root.key");
  await (keyType === "rsa" ? ssl(["genrsa", "-out", "intermediate.key", "2048"]) : ecKey("intermediate.key"));
  await ecKey("leaf.key");
  await ecKey("server.key");
  await ecKey("admin.key");
  await ssl(["req", "-x509", "-new", "-key", "root.key", "-sha256", "-days", "3", "-subj", "/O=Krake tests/CN=root-ca", "-out", "root.crt"]);
  await writeFile(join(dir, "ca.ext"), "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n");
  await writeFile(join(dir, "leaf.ext"), "basicConstraints=critical,CA:FALSE\n");
  await writeFile(join(dir, "server.ext"), "basicConstraints=critical,CA:FALSE\nsubjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  await writeFile(join(dir, "admin.ext"), "basicConstraints=critical,CA:FALSE\nextendedKeyUsage=clientAuth\n");
  const sign = async (name: string, subject: string, ext: string) => {
    await ssl(["req", "-new", "-key", `${name}.key`, "-subj", subject, "-out", `${name}.csr`]);
    await ssl(["x509", "-req", "-in", `${name}.csr`, "-CA", "root.crt", "-CAkey", "root.key", "-CAcreateserial", "-days", "3", "-sha256", "-extfile", ext, "-out", `${name}.crt`]);
  };
  await sign("intermediate", "/O=Krake tests/OU=hooks/CN=intermediate-ca", "ca.ext");
  await sign("leaf", "/CN=not-a-ca", "leaf.ext");
  await sign("server", "/CN=127.0.0.1", "server.ext");
  await sign("admin", "/CN=system:admin", "admin.ext");
  const text = (f: string) => readFile(join(dir, f), "utf8");
  return {
    dir,
    rootCert: await text("root.crt"),
    intermediateCert: await text("intermediate.crt"),
    intermediateKey: await text("intermediate.key"),
    leafCert: await text("leaf.crt"),
    leafKey: await text("leaf.key"),
    path: (file) => join(dir, file),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** `openssl verify` of `certPem` against the root and the intermediate: resolves with its output, rejects when the chain does not verify. */
export async function opensslVerify(pki: TestPki, certPem: string, purpose = "sslclient"): Promise<string> {
  const file = join(pki.dir, `check-${Math.random().toString(36).slice(2)}.pem`);
  await writeFile(file, certPem);
  const { stdout } = await run("openssl", ["verify", "-purpose", purpose, "-CAfile", pki.path("root.crt"), "-untrusted", pki.path("intermediate.crt"), file]);
  return stdout;
}
