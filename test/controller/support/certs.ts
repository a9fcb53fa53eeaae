/** A throw-away PKI made with the openssl CLI: a CA, a server certificate for 127.0.0.1/localhost, client certificates. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Pki {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  /** Makes a client certificate whose CN is `user`; returns its files. */
  client(user: string): { cert: string; key: string };
  remove(): void;
}

function openssl(args: string[]): void {
  execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
}

export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), "krake-pki-"));
  const f = (name: string) => join(dir, name);
  const key = (file: string) => openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", file]);
  const sign = (name: string, subject: string, ext: string) => {
    key(f(`${name}-key.pem`));
    openssl(["req", "-new", "-key", f(`${name}-key.pem`), "-subj", subject, "-out", f(`${name}.csr`)]);
    writeFileSync(f(`${name}.ext`), ext);
    openssl(["x509", "-req", "-in", f(`${name}.csr`), "-CA", f("ca.pem"), "-CAkey", f("ca-key.pem"), "-CAcreateserial", "-sha256", "-days", "2", "-extfile", f(`${name}.ext`), "-out", f(`${name}.pem`)]);
    return { cert: f(`${name}.pem`), key: f(`${name}-key.pem`) };
  };
  key(f("ca-key.pem"));
  openssl(["req", "-x509", "-new", "-key", f("ca-key.pem"), "-sha256", "-days", "2", "-subj", "/CN=krake test CA",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", f("ca.pem")]);
  const server = sign("server", "/CN=krake-api", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  let n = 0;
  return {
    dir,
    ca: f("ca.pem"),
    serverCert: server.cert,
    serverKey: server.key,
    client: (user) => sign(`client-${n++}`, `/CN=${user}`, "extendedKeyUsage=clientAuth\n"),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
