/**
 * krakectl over TLS with a client certificate and a bearer token, and the exit
 * codes of permission errors, against a grpc-js TLS server (krake-api does
 * not serve TLS yet; see tls-server.ts).
 */
import { expect } from "chai";
import { mkdir, copyFile } from "node:fs/promises";
import { haveOpenssl, makePki, startTlsListServer } from "./tls-server.js";
import type { Pki, TlsListServer } from "./tls-server.js";
import { runCli, show, Workdir } from "./harness.js";

type Wire = Record<string, any>;

describe("krakectl over TLS", function () {
  this.timeout(60_000);
  let work: Workdir;
  let pki: Pki;
  let server: TlsListServer;

  before(async function () {
    if (!haveOpenssl()) {
      console.log("    (openssl is not installed: the TLS tests are skipped)");
      this.skip();
    }
    work = await Workdir.create();
    pki = makePki(work, "alice");
    server = await startTlsListServer(pki);
  });
  after(async () => {
    await server?.stop();
    await work?.remove();
  });
  beforeEach(() => {
    if (server) server.calls.length = 0;
  });

  const tlsFlags = () => ["--api-url", `grpcs://localhost:${server.port}`, "--client-ca", pki.ca, "--client-cert", pki.clientCert, "--client-key", pki.clientKey];

  it("presents the client certificate and sends the bearer token (flags)", async () => {
    const r = await runCli(work, [...tlsFlags(), "--auth-token", "s3cret", "kube", "app", "list", "-n", "team-a", "-o", "json"]);
    expect(r.code, show(r)).to.equal(0);
    expect((JSON.parse(r.stdout) as Wire[]).map((a) => a.metadata.name)).to.deep.equal(["over-tls"]);
    expect(server.calls).to.deep.equal([{ commonName: "alice", authorization: "Bearer s3cret", namespace: "team-a" }]);
  });

  it("takes TLS, the token and the user from krakectl.yaml, certificate paths relative to it", async () => {
    const dir = work.path("project");
    await mkdir(`${dir}/certs`, { recursive: true });
    for (const [from, to] of [[pki.ca, "ca.pem"], [pki.clientCert, "me.pem"], [pki.clientKey, "me.key"]]) await copyFile(from, `${dir}/certs/${to}`);
    await work.write(
      "project/krakectl.yaml",
      `api_url: localhost:${server.port}\nuser: bob\ntoken: from-file\ntls:\n  enabled: true\n  client_ca: certs/ca.pem\n  client_cert: certs/me.pem\n  client_key: certs/me.key\n`,
    );
    const r = await runCli(work, ["kube", "app", "list"], { cwd: dir });
    expect(r.code, show(r)).to.equal(0);
    expect(r.stdout).to.match(/^over-tls\s+bob\s+<none>\s/m); // the test server sends no status
    expect(server.calls).to.deep.equal([{ commonName: "alice", authorization: "Bearer from-file", namespace: "bob" }]);
    const env = await runCli(work, ["kube", "app", "list"], { cwd: dir, env: { KRAKECTL_TOKEN: "from-env" } });
    expect(env.code, show(env)).to.equal(0);
    expect(server.calls[1].authorization).to.equal("Bearer from-env");
  });

  it("sends no authorization header without a token", async () => {
    const r = await runCli(work, [...tlsFlags(), "kube", "app", "list"]);
    expect(r.code, show(r)).to.equal(0);
    expect(server.calls[0]).to.deep.include({ commonName: "alice", authorization: undefined, namespace: "system:admin" });
  });

  it("exits 5 on permission denied and on unauthenticated, with the server's reason", async () => {
    const denied = await runCli(work, [...tlsFlags(), "--auth-token", "deny", "kube", "app", "list", "-n", "team-a"]);
    expect(denied.code, show(denied)).to.equal(5);
    expect(denied.stderr).to.equal("error: alice may not list applications in team-a\n");
    const unauthenticated = await runCli(work, [...tlsFlags(), "--auth-token", "nobody", "kube", "app", "list"]);
    expect(unauthenticated.code, show(unauthenticated)).to.equal(5);
    expect(unauthenticated.stderr).to.equal("error: invalid bearer token\n");
  });

  it("exits 1 on other errors (a method the server does not implement)", async () => {
    const r = await runCli(work, [...tlsFlags(), "kube", "app", "get", "x"]);
    expect(r.code, show(r)).to.equal(1);
    expect(r.stderr).to.match(/^error: .+\n$/);
    expect(r.stderr).not.to.match(/\n\s+at /); // no stack trace
  });

  it("exits 6 when the handshake fails: no client certificate, an untrusted server, plaintext", async () => {
    const noCert = await runCli(work, ["--api-url", `grpcs://localhost:${server.port}`, "--client-ca", pki.ca, "kube", "app", "list"]);
    expect(noCert.code, show(noCert)).to.equal(6);
    expect(noCert.stderr).to.match(new RegExp(`^error: cannot reach the Krake API at localhost:${server.port}: `));
    const untrusted = await runCli(work, [...tlsFlags().slice(0, 2), "--client-ca", pki.otherCa, "--client-cert", pki.clientCert, "--client-key", pki.clientKey, "kube", "app", "list"]);
    expect(untrusted.code, show(untrusted)).to.equal(6);
    const plain = await runCli(work, ["--api-url", `localhost:${server.port}`, "kube", "app", "list"]);
    expect(plain.code, show(plain)).to.equal(6);
    expect(server.calls).to.deep.equal([]);
  });

  it("exits 2 when a certificate file cannot be read", async () => {
    const r = await runCli(work, [...tlsFlags().slice(0, 2), "--client-ca", work.path("missing.pem"), "kube", "app", "list"]);
    expect(r.code, show(r)).to.equal(2);
    expect(r.stderr).to.equal(`error: tls.client_ca: cannot read ${work.path("missing.pem")}: ENOENT\n`);
  });
});
