import { expect } from "chai";
import { base64url, SignJWT } from "jose";
import { AuthenticationChain } from "../../src/apiserver/auth/authenticator.js";
import type { AuthResult } from "../../src/apiserver/auth/authenticator.js";
import { OidcAuthenticator } from "../../src/apiserver/auth/providers/oidc.js";
import { ApiError, Status } from "../../src/errors/api-error.js";
import { AUDIENCE, newSigningKey, startIssuer } from "./support/oidc-issuer.js";
import type { Issuer, SigningKey } from "./support/oidc-issuer.js";

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function rejected(result: AuthResult): string {
  expect(result, "expected the token to be rejected").to.be.an("object").that.has.property("rejected");
  return (result as { rejected: string }).rejected;
}

async function expectCode(p: Promise<unknown>, code: Status): Promise<ApiError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).to.be.instanceOf(ApiError);
  expect((err as ApiError).code, (err as ApiError).message).to.equal(code);
  return err as ApiError;
}

describe("auth: OIDC bearer tokens against a real OpenID provider", function () {
  this.timeout(30_000);
  let key: SigningKey;
  let issuer: Issuer;
  let other: Issuer;
  let oidc: OidcAuthenticator;

  before(async () => {
    key = await newSigningKey("k1");
    issuer = await startIssuer([key]);
    other = await startIssuer([await newSigningKey("other-k1")]);
    oidc = new OidcAuthenticator({ issuer: issuer.issuer, audience: [AUDIENCE] });
  });
  after(async () => {
    await issuer?.stop();
    await other?.stop();
  });

  /** A token like the provider's, signed with its key, with some claims changed. */
  const forge = (claims: Record<string, unknown>, opts: { key?: SigningKey; iat?: number } = {}) => {
    const now = Math.floor(Date.now() / 1000);
    const k = opts.key ?? key;
    return new SignJWT({ preferred_username: "alice", iss: issuer.issuer, aud: AUDIENCE, iat: now, exp: now + 300, ...claims })
      .setProtectedHeader({ alg: "RS256", typ: "at+jwt", kid: k.kid })
      .sign(k.privateKey);
  };

  it("accepts a real access token; the user is its preferred_username", async () => {
    const result = await oidc.authenticate(bearer(await issuer.token("alice")));
    expect(result).to.deep.equal({ user: { name: "alice", groups: [], provider: "oidc" } });
    const admin = await oidc.authenticate({ authorization: `bearer ${await issuer.token("system:admin")}` });
    expect(admin).to.have.nested.property("user.name", "system:admin");
  });

  it("ignores requests without a bearer token", async () => {
    expect(await oidc.authenticate({})).to.equal(undefined);
    expect(await oidc.authenticate({ authorization: "Basic YWxpY2U6eA==" })).to.equal(undefined);
  });

  const bad: [string, () => Promise<string>, RegExp][] = [
    ["expired", () => forge({ exp: Math.floor(Date.now() / 1000) - 120, iat: Math.floor(Date.now() / 1000) - 600 }), /expired/],
    ["not yet valid", () => forge({ nbf: Math.floor(Date.now() / 1000) + 120 }), /"nbf" claim/],
    ["for another audience (forged)", () => forge({ aud: "other" }), /"aud" claim/],
    ["for another audience (issued)", () => issuer.token("alice", "urn:other:api"), /"aud" claim/],
    ["from another issuer (issued)", () => other.token("alice"), /key the issuer does not publish/],
    ["claiming another issuer", () => forge({ iss: other.issuer }), /"iss" claim/],
    ["with an unknown kid", async () => forge({}, { key: await newSigningKey("unknown") }), /key the issuer does not publish/],
    ["signed with none", async () => {
      const header = base64url.encode(JSON.stringify({ alg: "none", typ: "JWT" }));
      const now = Math.floor(Date.now() / 1000);
      const payload = base64url.encode(JSON.stringify({ preferred_username: "alice", iss: issuer.issuer, aud: AUDIENCE, exp: now + 300 }));
      return `${header}.${payload}.`;
    }, /algorithm|invalid/],
    ["tampered (payload changed, signature kept)", async () => {
      const [h, p, s] = (await issuer.token("bob")).split(".");
      const claims = JSON.parse(Buffer.from(p, "base64url").toString()) as Record<string, unknown>;
      return `${h}.${base64url.encode(JSON.stringify({ ...claims, preferred_username: "system:admin" }))}.${s}`;
    }, /signature/],
    ["tampered (signature changed)", async () => {
      const token = await issuer.token("alice");
      return token.slice(0, -4) + (token.endsWith("AAAA") ? "BBBB" : "AAAA");
    }, /signature/],
    ["without the username claim", () => forge({ preferred_username: undefined }), /preferred_username/],
    ["not a JWT", async () => "opaque-token-value", /not a JWT/],
  ];
  for (const [name, make, why] of bad) {
    it(`rejects a token ${name}, and the chain answers 401 even with anonymous access on`, async () => {
      const token = await make();
      expect(rejected(await oidc.authenticate(bearer(token)))).to.match(why);
      const chain = new AuthenticationChain([oidc], { allowAnonymous: true });
      await expectCode(chain.authenticate(bearer(token)), Status.UNAUTHENTICATED);
    });
  }

  it("tolerates a small clock skew", async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(await oidc.authenticate(bearer(await forge({ exp: now - 10, iat: now - 300 })))).to.have.nested.property("user.name", "alice");
    expect(await oidc.authenticate(bearer(await forge({ nbf: now + 10 })))).to.have.nested.property("user.name", "alice");
    const strict = new OidcAuthenticator({ issuer: issuer.issuer, audience: [AUDIENCE], clockSkewSeconds: 0 });
    rejected(await strict.authenticate(bearer(await forge({ exp: now - 10, iat: now - 300 }))));
  });

  it("reads the user and groups from configured claims, with a prefix", async () => {
    const custom = new OidcAuthenticator({
      issuer: issuer.issuer, audience: ["x", AUDIENCE], usernameClaim: "sub", usernamePrefix: "oidc:", groupsClaim: "groups",
    });
    const result = await custom.authenticate(bearer(await forge({ sub: "u-42", groups: ["ops", "dev", 7] })));
    expect(result).to.deep.equal({ user: { name: "oidc:u-42", groups: ["ops", "dev"], provider: "oidc" } });
    const real = await custom.authenticate(bearer(await issuer.token("bob")));
    expect(real).to.have.nested.property("user.name", "oidc:bob");
  });

  it("fetches the key set again for an unknown kid (key rotation)", async () => {
    const rotating = await startIssuer([await newSigningKey("r1")]);
    try {
      const auth = new OidcAuthenticator({ issuer: rotating.issuer, audience: [AUDIENCE], jwksCooldownMs: 0 });
      expect(await auth.authenticate(bearer(await rotating.token("alice")))).to.have.nested.property("user.name", "alice");
      await rotating.restart([await newSigningKey("r2")]);
      const afterRotation = await rotating.token("bob");
      expect(JSON.parse(Buffer.from(afterRotation.split(".")[0], "base64url").toString())).to.include({ kid: "r2" });
      expect(await auth.authenticate(bearer(afterRotation))).to.have.nested.property("user.name", "bob");
    } finally {
      await rotating.stop();
    }
  });

  it("answers UNAVAILABLE while the issuer cannot be reached, and recovers", async () => {
    const flaky = await startIssuer([await newSigningKey("f1")]);
    const token = await flaky.token("alice");
    await flaky.stop();
    const auth = new OidcAuthenticator({ issuer: flaky.issuer, audience: [AUDIENCE], httpTimeoutMs: 2_000 });
    await expectCode(Promise.resolve(auth.authenticate(bearer(token))), Status.UNAVAILABLE);
    await flaky.restart([await newSigningKey("f2")]);
    try {
      expect(await auth.authenticate(bearer(await flaky.token("alice")))).to.have.nested.property("user.name", "alice");
    } finally {
      await flaky.stop();
    }
  });

  it("refuses a discovery document that names another issuer", async () => {
    const auth = new OidcAuthenticator({ issuer: `${issuer.issuer}/`, audience: [AUDIENCE] });
    const err = await expectCode(Promise.resolve(auth.authenticate(bearer(await issuer.token("alice")))), Status.UNAVAILABLE);
    expect(err.message).to.match(/names issuer/);
  });

  it("rejects bad settings at construction", () => {
    expect(() => new OidcAuthenticator({ issuer: "keycloak.local", audience: ["a"] })).to.throw(/http\(s\) URL/);
    expect(() => new OidcAuthenticator({ issuer: "https://k", audience: [] })).to.throw(/audience/);
  });
});
