import { expect } from "chai";
import { AuthenticationChain } from "../../src/apiserver/auth/authenticator.js";
import type { Authenticator, AuthResult } from "../../src/apiserver/auth/authenticator.js";
import { buildAuthenticators, checkSecurityConfig, defaultAuthentication, isLoopback } from "../../src/apiserver/auth/config.js";
import type { SecurityConfig } from "../../src/apiserver/auth/config.js";
import type { ClientCertificate, Credentials } from "../../src/apiserver/auth/credentials.js";
import { ClientCertificateAuthenticator } from "../../src/apiserver/auth/providers/client-certificate.js";
import { StaticAuthenticator } from "../../src/apiserver/auth/providers/static.js";
import { defaultTlsConfig } from "../../src/apiserver/auth/tls.js";
import { ApiError, Status } from "../../src/errors/api-error.js";

/** A provider that accepts one token (a stand-in for OIDC/Keystone in chain-order tests). */
class TokenProvider implements Authenticator {
  readonly reads = "authorization";
  constructor(readonly name: string, private readonly token: string, private readonly user: string) {}
  authenticate(creds: Credentials): AuthResult {
    if (!creds.authorization) return undefined;
    return creds.authorization === `Bearer ${this.token}` ? { user: { name: this.user, groups: [], provider: this.name } } : { rejected: "unknown token" };
  }
}

const cert = (c: Partial<ClientCertificate>): ClientCertificate => ({ commonName: "alice", organizations: ["ops"], verified: true, ...c });

async function code(p: Promise<unknown>): Promise<number | undefined> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  if (err === undefined) return undefined;
  expect(err).to.be.instanceOf(ApiError);
  return (err as ApiError).code;
}

describe("auth: the authentication chain", () => {
  const tls = new ClientCertificateAuthenticator();

  it("takes the first provider that yields a user", async () => {
    const chain = new AuthenticationChain([tls, new TokenProvider("a", "t1", "from-a"), new TokenProvider("b", "t2", "from-b")], { allowAnonymous: false });
    expect(await chain.authenticate({ clientCertificate: cert({}) })).to.deep.equal({ name: "alice", groups: ["ops"], provider: "tls" });
    expect((await chain.authenticate({ authorization: "Bearer t2" })).name).to.equal("from-b");
    expect((await chain.authenticate({ authorization: "Bearer t1", clientCertificate: cert({ commonName: "carol" }) })).name).to.equal("carol");
  });

  it("answers 401 when a credential next to the one that won is invalid, whichever provider comes first", async () => {
    const certFirst = new AuthenticationChain([tls, new TokenProvider("a", "t1", "from-a"), new TokenProvider("b", "t2", "from-b")], { allowAnonymous: false });
    const err = await certFirst.authenticate({ clientCertificate: cert({}), authorization: "Bearer expired" }).catch((e: unknown) => e as ApiError);
    expect(err).to.be.instanceOf(ApiError).with.property("code", Status.UNAUTHENTICATED);
    expect((err as ApiError).message).to.equal("Invalid credentials (a: unknown token; b: unknown token)");
    // a token that one of the providers reading tokens accepts is fine; the first user still wins
    expect((await certFirst.authenticate({ clientCertificate: cert({}), authorization: "Bearer t2" })).name).to.equal("alice");
    const tokenFirst = new AuthenticationChain([new TokenProvider("a", "t1", "from-a"), tls], { allowAnonymous: false });
    expect((await tokenFirst.authenticate({ authorization: "Bearer t1", clientCertificate: cert({}) })).name).to.equal("from-a");
    const unverified = cert({ verified: false, verifyError: "CERT_HAS_EXPIRED" });
    expect(await code(tokenFirst.authenticate({ authorization: "Bearer t1", clientCertificate: unverified }))).to.equal(Status.UNAUTHENTICATED);
    // a credential of a kind no configured provider reads is not judged
    expect((await new AuthenticationChain([tls], { allowAnonymous: false }).authenticate({ clientCertificate: cert({}), authorization: "Bearer x" })).name).to.equal("alice");
  });

  it("answers 401 for a credential no provider accepts, even with anonymous access on", async () => {
    const chain = new AuthenticationChain([new TokenProvider("a", "t1", "x")], { allowAnonymous: true });
    expect(await code(chain.authenticate({ authorization: "Bearer nope" }))).to.equal(Status.UNAUTHENTICATED);
    // A certificate with no provider for it is a credential too: never anonymous.
    expect(await code(chain.authenticate({ clientCertificate: cert({}) }))).to.equal(Status.UNAUTHENTICATED);
    expect((await chain.authenticate({})).name).to.equal("system:anonymous");
  });

  it("answers 401 without credentials unless anonymous access is on", async () => {
    expect(await code(new AuthenticationChain([tls], { allowAnonymous: false }).authenticate({}))).to.equal(Status.UNAUTHENTICATED);
    expect(await code(new AuthenticationChain([], { allowAnonymous: false }).authenticate({}))).to.equal(Status.UNAUTHENTICATED);
  });

  it("rejects an unverified client certificate outright, whatever else the request carries", async () => {
    const chain = new AuthenticationChain([tls, new TokenProvider("a", "t1", "x")], { allowAnonymous: true });
    const bad = cert({ verified: false, verifyError: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" });
    const err = await chain.authenticate({ clientCertificate: bad }).catch((e: unknown) => e as ApiError);
    expect(err).to.be.instanceOf(ApiError).with.property("code", Status.UNAUTHENTICATED);
    expect((err as ApiError).message).to.match(/UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
    expect(await code(chain.authenticate({ clientCertificate: bad, authorization: "Bearer t1" }))).to.equal(Status.UNAUTHENTICATED);
  });

  it("rejects a verified certificate without a common name", async () => {
    expect(await code(new AuthenticationChain([tls], { allowAnonymous: true }).authenticate({ clientCertificate: cert({ commonName: "" }) })))
      .to.equal(Status.UNAUTHENTICATED);
  });

  it("a static provider names every request, but never one whose credential was rejected before it", async () => {
    const dev = new AuthenticationChain([new StaticAuthenticator("system:admin")], { allowAnonymous: false });
    expect((await dev.authenticate({})).name).to.equal("system:admin");
    expect((await dev.authenticate({ authorization: "Bearer whatever" })).name).to.equal("system:admin");
    const fallback = new AuthenticationChain([new TokenProvider("a", "t1", "from-a"), new StaticAuthenticator("dev")], { allowAnonymous: false });
    expect((await fallback.authenticate({})).name).to.equal("dev");
    expect((await fallback.authenticate({ authorization: "Bearer t1" })).name).to.equal("from-a");
    expect(await code(fallback.authenticate({ authorization: "Bearer bad" }))).to.equal(Status.UNAUTHENTICATED);
  });
});

describe("auth: configuration", () => {
  const base = (over: Partial<SecurityConfig> = {}): SecurityConfig => ({
    authentication: defaultAuthentication,
    authorization: "rbac",
    listeners: [{ name: "grpc", host: "127.0.0.1", tls: defaultTlsConfig }],
    ...over,
  });

  it("accepts the development defaults on loopback", () => {
    checkSecurityConfig(base());
    checkSecurityConfig(base({ listeners: [{ name: "grpc", host: "localhost" }, { name: "http", host: "::1" }] }));
  });

  it("refuses the static provider on a network address unless forced", () => {
    for (const host of ["0.0.0.0", "::", "10.1.2.3", "krake.example"]) {
      expect(() => checkSecurityConfig(base({ listeners: [{ name: "http", host }] })), host).to.throw(/static provider .* http\.host/);
    }
    checkSecurityConfig(base({
      authentication: { ...defaultAuthentication, allowStaticOnNetwork: true },
      listeners: [{ name: "grpc", host: "0.0.0.0" }],
    }));
    checkSecurityConfig(base({
      authentication: { ...defaultAuthentication, providers: [{ type: "tls" }] },
      listeners: [{ name: "grpc", host: "0.0.0.0" }],
    }));
  });

  const invalid: [string, Partial<SecurityConfig>, RegExp][] = [
    ["an unknown authorization mode", { authorization: "RBAC-ish" }, /authorization must be one of always-allow, always-deny, rbac/],
    ["an unknown provider type", { authentication: { ...defaultAuthentication, providers: [{ type: "ldap" }] } }, /providers\[0\]\.type must be one of/],
    ["an unknown provider setting", { authentication: { ...defaultAuthentication, providers: [{ type: "static", name: "x", nmae: "y" }] } }, /unknown setting nmae/],
    ["oidc without issuer", { authentication: { ...defaultAuthentication, providers: [{ type: "oidc", audience: "krake" }] } }, /issuer must be a non-empty string/],
    ["oidc without audience", { authentication: { ...defaultAuthentication, providers: [{ type: "oidc", issuer: "https://id" }] } }, /audience must be a string or a non-empty list/],
    ["a negative clock skew", { authentication: { ...defaultAuthentication, providers: [{ type: "oidc", issuer: "https://id", audience: "k", clock_skew_seconds: -1 }] } }, /clockSkewSeconds must be a non-negative number/],
    ["no provider and no anonymous access", { authentication: { ...defaultAuthentication, providers: [] } }, /every request would be rejected/],
    ["tls without key", { listeners: [{ name: "grpc", host: "127.0.0.1", tls: { ...defaultTlsConfig, cert: "c.pem" } }] }, /grpc\.tls\.key is required/],
    ["client certificates without a CA", { listeners: [{ name: "grpc", host: "127.0.0.1", tls: { cert: "c", key: "k", clientCa: "", clientCert: "required" } }] }, /client_ca is required/],
    ["an unknown client_cert mode", { listeners: [{ name: "grpc", host: "127.0.0.1", tls: { cert: "c", key: "k", clientCa: "ca", clientCert: "maybe" as never } }] }, /client_cert must be one of none, optional, required/],
    ["client certificates without TLS", { listeners: [{ name: "grpc", host: "127.0.0.1", tls: { ...defaultTlsConfig, clientCert: "optional" } }] }, /need cert/],
  ];
  for (const [name, over, message] of invalid) {
    it(`refuses ${name}`, () => {
      expect(() => checkSecurityConfig(base(over))).to.throw(message);
    });
  }

  it("builds providers in order from snake_case or camelCase settings", () => {
    const providers = buildAuthenticators([
      { type: "tls" },
      { type: "oidc", issuer: "https://id.example/realms/krake", audience: ["krake"], username_claim: "sub", usernamePrefix: "oidc:" },
      { type: "keystone", endpoint: "http://localhost:5000/v3", "max-cached-tokens": 10 },
      { type: "static", name: "dev" },
    ]);
    expect(providers.map((p) => p.name)).to.deep.equal(["tls", "oidc", "keystone", "static"]);
  });

  it("tells loopback from network addresses", () => {
    const cases: [string, boolean][] = [
      ["127.0.0.1", true], ["127.8.9.10", true], ["localhost", true], ["::1", true], ["[::1]", true], ["::ffff:127.0.0.1", true],
      ["0.0.0.0", false], ["::", false], ["", false], ["192.168.1.1", false], ["example.org", false], ["128.0.0.1", false],
    ];
    for (const [host, loopback] of cases) expect(isLoopback(host), host).to.equal(loopback);
  });
});
