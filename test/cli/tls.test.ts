/**
 * krakectl over TLS against a real krake-api + etcd set up like production:
 * TLS on the gRPC listener with client certificates from a CA made by
 * scripts/certs.sh, the `tls` and `oidc` authentication providers (a real
 * OpenID provider issues the tokens), RBAC with the base roles, anonymous off.
 *
 * Two API servers share one store (same roles and applications):
 * - `certFirst`: client certificates required, providers [tls, oidc] (the
 *   shipped production order): a valid certificate names the user, and a
 *   token sent with it is never consulted;
 * - `tokenFirst`: client certificates optional, providers [oidc, tls]: a
 *   token names the user when one is sent, and token-only callers can connect.
 * The server shows whom it authenticated through RBAC: alice may list
 * applications only in team-a, bob only in team-b, and a denial names the user
 * (krakectl has no `/me` command).
 */
import { execFileSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import { SignJWT } from "jose";
import { uniquePrefix } from "../fixtures/api.js";
import { startEtcd } from "../fixtures/etcd.js";
import type { EtcdProcess } from "../fixtures/etcd.js";
import { AUDIENCE, newSigningKey, startIssuer } from "../auth/support/oidc-issuer.js";
import type { Issuer, SigningKey } from "../auth/support/oidc-issuer.js";
import { baseRoles, bootstrapInto, makePki, startSecureApi } from "../auth/support/secure-api.js";
import type { Identity, Pki, SecureApi } from "../auth/support/secure-api.js";
import { runCli, show, Workdir } from "./harness.js";
import type { RunResult } from "./harness.js";

const rbac = `api: core
kind: Role
metadata: {name: team-a-readers}
rules:
  - {api: kubernetes, resources: [applications], namespaces: [team-a], verbs: [list]}
---
api: core
kind: RoleBinding
metadata: {name: team-a-readers}
users: [alice]
roles: [team-a-readers]
---
api: core
kind: Role
metadata: {name: team-b-readers}
rules:
  - {api: kubernetes, resources: [applications], namespaces: [team-b], verbs: [list]}
---
api: core
kind: RoleBinding
metadata: {name: team-b-readers}
users: [bob]
roles: [team-b-readers]
`;

const app = (name: string, namespace: string) => `api: kubernetes
kind: Application
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  manifest:
    - {apiVersion: v1, kind: ConfigMap, metadata: {name: ${name}}, data: {k: v}}
`;

function haveOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

interface CertFiles {
  cert: string;
  key: string;
}

type Wire = { metadata: { name: string; namespace: string } };

const names = (r: RunResult) => (JSON.parse(r.stdout) as Wire[]).map((a) => `${a.metadata.namespace}/${a.metadata.name}`);
const deniedLine = (user: string, namespace: string) =>
  `error: User "${user}" may not list kubernetes/applications in namespace "${namespace}": no role bound to the user allows it\n`;

describe("krakectl over TLS against krake-api (client certificates, OIDC tokens, RBAC)", function () {
  this.timeout(90_000);
  let etcd: EtcdProcess;
  let pki: Pki;
  let signingKey: SigningKey;
  let issuer: Issuer;
  let work: Workdir;
  let certFirst: SecureApi;
  let tokenFirst: SecureApi;
  let prefix: string;
  let alice: CertFiles;
  let bob: CertFiles;
  let stranger: CertFiles;
  /** A CA that signed nothing the servers use. */
  let otherCa: string;
  let aliceToken: string;
  let bobToken: string;

  const oidcProvider = () => ({ type: "oidc", issuer: issuer.issuer, audience: AUDIENCE });

  const writeIdentity = async (name: string, id: Identity): Promise<CertFiles> => {
    const cert = work.path(`${name}.pem`);
    const key = work.path(`${name}-key.pem`);
    await writeFile(cert, id.cert);
    await writeFile(key, id.key, { mode: 0o600 });
    return { cert, key };
  };

  before(async function () {
    if (!haveOpenssl()) {
      console.log("    (openssl is not installed: the TLS tests are skipped)");
      this.skip();
    }
    work = await Workdir.create();
    pki = makePki();
    [alice, bob, stranger] = await Promise.all([
      writeIdentity("alice", pki.user("alice")),
      writeIdentity("bob", pki.user("bob")),
      writeIdentity("stranger", pki.stranger("alice")),
    ]);
    otherCa = work.path("other-ca.pem");
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-keyout", work.path("other-ca-key.pem"), "-out", otherCa, "-days", "2", "-subj", "/CN=unrelated CA"], { stdio: "ignore" });
    etcd = await startEtcd();
    signingKey = await newSigningKey("cli");
    issuer = await startIssuer([signingKey]);
    [aliceToken, bobToken] = await Promise.all([issuer.token("alice"), issuer.token("bob")]);
    prefix = uniquePrefix();
    await bootstrapInto(etcd, prefix, baseRoles, rbac, app("alpha", "team-a"), app("beta", "team-b"));
    certFirst = await startSecureApi(etcd, pki, {
      clientCert: "required",
      authorization: "rbac",
      providers: [{ type: "tls" }, oidcProvider()],
      prefix,
    });
    tokenFirst = await startSecureApi(etcd, pki, {
      clientCert: "optional",
      authorization: "rbac",
      providers: [oidcProvider(), { type: "tls" }],
      prefix,
    });
  });
  after(async () => {
    await certFirst?.stop();
    await tokenFirst?.stop();
    await issuer?.stop();
    await etcd?.stop();
    pki?.remove();
    await work?.remove();
  });

  // localhost, the server certificate's DNS name: with an IP address Node warns about the TLS ServerName.
  const address = (api: SecureApi) => `localhost:${api.api.server.grpcPort}`;
  const url = (api: SecureApi) => `grpcs://${address(api)}`;
  const tls = (api: SecureApi, id?: CertFiles) => [
    "--api-url", url(api), "--client-ca", pki.caPath, ...(id ? ["--client-cert", id.cert, "--client-key", id.key] : []),
  ];

  it("presents the client certificate and sends the bearer token (flags); the provider order decides who the user is", async () => {
    // tls first: alice's certificate names the user, bob's token is not consulted.
    const byCert = await runCli(work, [...tls(certFirst, alice), "--auth-token", bobToken, "kube", "app", "list", "-n", "team-a", "-o", "json"]);
    expect(byCert.code, show(byCert)).to.equal(0);
    expect(names(byCert)).to.deep.equal(["team-a/alpha"]);
    const notBob = await runCli(work, [...tls(certFirst, alice), "--auth-token", bobToken, "kube", "app", "list", "-n", "team-b"]);
    expect(notBob.code, show(notBob)).to.equal(5);
    expect(notBob.stderr).to.equal(deniedLine("alice", "team-b"));
    // oidc first, same flags: the token reached the server and names bob.
    const byToken = await runCli(work, [...tls(tokenFirst, alice), "--auth-token", bobToken, "kube", "app", "list", "-n", "team-b", "-o", "json"]);
    expect(byToken.code, show(byToken)).to.equal(0);
    expect(names(byToken)).to.deep.equal(["team-b/beta"]);
    const notAlice = await runCli(work, [...tls(tokenFirst, alice), "--auth-token", bobToken, "kube", "app", "list", "-n", "team-a"]);
    expect(notAlice.code, show(notAlice)).to.equal(5);
    expect(notAlice.stderr).to.equal(deniedLine("bob", "team-a"));
  });

  it("takes TLS, the token and the user from krakectl.yaml, certificate paths relative to it; KRAKECTL_TOKEN overrides the file", async () => {
    const dir = work.path("project");
    await mkdir(`${dir}/certs`, { recursive: true });
    await writeFile(`${dir}/certs/me.pem`, pki.user("alice").cert);
    await writeFile(`${dir}/certs/me-key.pem`, pki.user("alice").key, { mode: 0o600 });
    await writeFile(`${dir}/certs/ca.pem`, pki.ca);
    await work.write(
      "project/krakectl.yaml",
      `api_url: ${address(tokenFirst)}\nuser: team-b\ntoken: ${bobToken}\n` +
        "tls:\n  enabled: true\n  client_ca: certs/ca.pem\n  client_cert: certs/me.pem\n  client_key: certs/me-key.pem\n",
    );
    // The file's token names bob (oidc first); the namespace is the file's user.
    const fromFile = await runCli(work, ["kube", "app", "list"], { cwd: dir });
    expect(fromFile.code, show(fromFile)).to.equal(0);
    expect(fromFile.stdout).to.match(/^beta\s+team-b\s/m);
    expect(fromFile.stdout).not.to.match(/alpha/);
    // The environment's token wins over the file's: alice, who may not list team-b.
    const fromEnv = await runCli(work, ["kube", "app", "list"], { cwd: dir, env: { KRAKECTL_TOKEN: aliceToken } });
    expect(fromEnv.code, show(fromEnv)).to.equal(5);
    expect(fromEnv.stderr).to.equal(deniedLine("alice", "team-b"));
    // The certificate in the file is presented: the certificate-first server (which requires one) sees alice.
    const byCert = await runCli(work, ["kube", "app", "list", "-n", "team-a", "-o", "json"], {
      cwd: dir,
      env: { KRAKECTL_API_URL: address(certFirst) },
    });
    expect(byCert.code, show(byCert)).to.equal(0);
    expect(names(byCert)).to.deep.equal(["team-a/alpha"]);
  });

  it("sends no authorization header without a token: the certificate alone authenticates", async () => {
    const r = await runCli(work, [...tls(certFirst, alice), "kube", "app", "list", "-n", "team-a", "-o", "json"]);
    expect(r.code, show(r)).to.equal(0);
    expect(names(r)).to.deep.equal(["team-a/alpha"]);
    // Neither a certificate nor a token: the server saw no credential at all. Any non-blank
    // authorization header would have made it "Invalid credentials (...)" or "No configured
    // authentication provider accepts the credentials presented".
    const none = await runCli(work, [...tls(tokenFirst), "kube", "app", "list", "-n", "team-a"]);
    expect(none.code, show(none)).to.equal(5);
    expect(none.stderr).to.equal("error: Authentication required\n");
  });

  it("exits 5 on permission denied and on unauthenticated, with the server's reason in one line", async () => {
    // bob's certificate is valid, but bob has no role binding for team-a.
    const denied = await runCli(work, [...tls(certFirst, bob), "kube", "app", "list", "-n", "team-a"]);
    expect(denied.code, show(denied)).to.equal(5);
    expect(denied.stderr).to.equal(deniedLine("bob", "team-a"));
    // An expired token, signed with the issuer's own key, from a caller without a certificate.
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({ preferred_username: "alice", iss: issuer.issuer, aud: AUDIENCE, iat: now - 600, exp: now - 120 })
      .setProtectedHeader({ alg: "RS256", typ: "at+jwt", kid: signingKey.kid })
      .sign(signingKey.privateKey);
    const unauthenticated = await runCli(work, [...tls(tokenFirst), "--auth-token", expired, "kube", "app", "list", "-n", "team-a"]);
    expect(unauthenticated.code, show(unauthenticated)).to.equal(5);
    expect(unauthenticated.stderr).to.equal("error: Invalid credentials (oidc: the token has expired)\n");
    // A token that is not a JWT at all.
    const garbage = await runCli(work, [...tls(tokenFirst), "--auth-token", "s3cret", "kube", "app", "list", "-n", "team-a"]);
    expect(garbage.code, show(garbage)).to.equal(5);
    expect(garbage.stderr).to.equal("error: Invalid credentials (oidc: the bearer token is not a JWT)\n");
    // A valid certificate does not excuse an invalid token next to it, even with tls first in the chain.
    const withCert = await runCli(work, [...tls(certFirst, alice), "--auth-token", expired, "kube", "app", "list", "-n", "team-a"]);
    expect(withCert.code, show(withCert)).to.equal(5);
    expect(withCert.stderr).to.equal("error: Invalid credentials (oidc: the token has expired)\n");
  });

  it("exits 6 when the handshake fails: no client certificate, one from another CA, an untrusted server, plaintext", async () => {
    const unreachable = (r: RunResult, cause = /\S/) => {
      expect(r.code, show(r)).to.equal(6);
      expect(r.stderr, show(r)).to.match(new RegExp(`^error: cannot reach the Krake API at ${address(certFirst)}: [^\\n]+\\n$`));
      expect(r.stderr, show(r)).to.match(cause);
    };
    unreachable(await runCli(work, [...tls(certFirst), "kube", "app", "list", "-n", "team-a"]), /certificate required/);
    // Rejected by the server after the client's part of the handshake (TLS 1.3): the client sees the reset.
    unreachable(await runCli(work, [...tls(certFirst, stranger), "kube", "app", "list", "-n", "team-a"]));
    unreachable(await runCli(work, ["--api-url", url(certFirst), "--client-ca", otherCa, "--client-cert", alice.cert,
      "--client-key", alice.key, "kube", "app", "list", "-n", "team-a"]), /certificate/);
    unreachable(await runCli(work, ["--api-url", address(certFirst), "kube", "app", "list", "-n", "team-a"]));
    // None of these reached the RBAC check: the same certificate over TLS does.
    const ok = await runCli(work, [...tls(certFirst, alice), "kube", "app", "list", "-n", "team-a", "-o", "json"]);
    expect(ok.code, show(ok)).to.equal(0);
  });

  it("exits 2 when a certificate file cannot be read", async () => {
    const missing = work.path("missing.pem");
    const r = await runCli(work, ["--api-url", url(certFirst), "--client-ca", missing, "kube", "app", "list"]);
    expect(r.code, show(r)).to.equal(2);
    expect(r.stderr).to.equal(`error: tls.client_ca: cannot read ${missing}: ENOENT\n`);
    const dir = work.path("certs-dir");
    await mkdir(dir, { recursive: true });
    const notAFile = await runCli(work, [...tls(certFirst), "--client-cert", alice.cert, "--client-key", dir, "kube", "app", "list"]);
    expect(notAFile.code, show(notAFile)).to.equal(2);
    expect(notAFile.stderr).to.equal(`error: tls.client_key: cannot read ${dir}: EISDIR\n`);
  });

  it("exits 6 when krake-api answers but cannot reach its OIDC issuer, with the server's reason", async () => {
    // A port nothing listens on.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const deadIssuer = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const api = await startSecureApi(etcd, pki, {
      clientCert: "optional",
      authorization: "rbac",
      providers: [{ type: "oidc", issuer: deadIssuer, audience: AUDIENCE }, { type: "tls" }],
      prefix,
    });
    try {
      const r = await runCli(work, [...tls(api), "--auth-token", aliceToken, "kube", "app", "list", "-n", "team-a"]);
      expect(r.code, show(r)).to.equal(6);
      expect(r.stderr).to.match(new RegExp(`^error: the Krake API at localhost:\\d+ is unavailable: OIDC discovery at ${deadIssuer.replace(/\./g, "\\.")} failed: .+\\n$`));
      // The same server still serves a caller that needs no issuer.
      const byCert = await runCli(work, [...tls(api, alice), "kube", "app", "list", "-n", "team-a", "-o", "json"]);
      expect(byCert.code, show(byCert)).to.equal(0);
      expect(names(byCert)).to.deep.equal(["team-a/alpha"]);
    } finally {
      await api.stop();
    }
  });
});
