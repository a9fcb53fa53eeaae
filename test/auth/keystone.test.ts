import { expect } from "chai";
import { AuthenticationChain } from "../../src/apiserver/auth/authenticator.js";
import { KeystoneAuthenticator } from "../../src/apiserver/auth/providers/keystone.js";
import { ApiError, Status } from "../../src/errors/api-error.js";
import { startKeystone } from "./support/keystone-server.js";
import type { KeystoneServer } from "./support/keystone-server.js";

async function failure(p: Promise<unknown> | unknown): Promise<ApiError> {
  const err = await Promise.resolve(p).then(() => undefined, (e: unknown) => e);
  expect(err).to.be.instanceOf(ApiError);
  return err as ApiError;
}

describe("auth: Keystone tokens against a server speaking Keystone's v3 token API", () => {
  let keystone: KeystoneServer;

  before(async () => {
    keystone = await startKeystone({ alice: "alice-pw", bob: "bob-pw" });
  });
  after(async () => keystone?.stop());
  beforeEach(() => {
    keystone.failWith = undefined;
  });

  it("validates a token with GET /auth/tokens; the user is token.user.name", async () => {
    const auth = new KeystoneAuthenticator({ endpoint: keystone.endpoint });
    const token = await keystone.issue("alice", "alice-pw");
    expect(await auth.authenticate({ authorization: `Bearer ${token}` })).to.deep.equal({
      user: { name: "alice", groups: [], provider: "keystone" },
    });
  });

  it("accepts the bare Authorization value Krake's clients send, and ignores other schemes", async () => {
    const auth = new KeystoneAuthenticator({ endpoint: keystone.endpoint });
    const token = await keystone.issue("bob", "bob-pw");
    expect(await auth.authenticate({ authorization: token })).to.have.nested.property("user.name", "bob");
    expect(await auth.authenticate({ authorization: "Basic Ym9iOmJvYi1wdw==" })).to.equal(undefined);
    expect(await auth.authenticate({})).to.equal(undefined);
  });

  it("caches a valid token for its lifetime: one Keystone request for many calls", async () => {
    const auth = new KeystoneAuthenticator({ endpoint: keystone.endpoint });
    const token = await keystone.issue("alice", "alice-pw");
    const before = keystone.validations;
    const results = await Promise.all(Array.from({ length: 5 }, () => auth.authenticate({ authorization: `Bearer ${token}` })));
    for (let i = 0; i < 3; i++) results.push(await auth.authenticate({ authorization: `Bearer ${token}` }));
    expect(results.every((r) => r && "user" in r && r.user.name === "alice")).to.equal(true);
    expect(keystone.validations - before).to.equal(1);
    expect(auth.cachedTokens).to.equal(1);
  });

  it("asks Keystone again once the cached token's lifetime is over", async () => {
    const auth = new KeystoneAuthenticator({ endpoint: keystone.endpoint });
    const token = await keystone.issue("bob", "bob-pw", 400);
    expect(await auth.authenticate({ authorization: token })).to.have.nested.property("user.name", "bob");
    const before = keystone.validations;
    await new Promise((r) => setTimeout(r, 500));
    // The same token is the caller's X-Auth-Token, so Keystone answers 401 for it.
    expect(await auth.authenticate({ authorization: token })).to.deep.equal({ rejected: "Keystone does not accept the token (HTTP 401)" });
    expect(keystone.validations - before).to.equal(1);
  });

  it("rejects unknown and revoked tokens; the chain answers 401, never anonymous", async () => {
    const auth = new KeystoneAuthenticator({ endpoint: keystone.endpoint });
    const chain = new AuthenticationChain([auth], { allowAnonymous: true });
    const unknown = await failure(chain.authenticate({ authorization: "Bearer gAAAAAnot-a-token" }));
    expect(unknown.code).to.equal(Status.UNAUTHENTICATED);
    expect(unknown.message).to.match(/keystone: Keystone does not accept the token \(HTTP 401\)/);
    const token = await keystone.issue("alice", "alice-pw");
    keystone.revoke(token);
    expect((await failure(chain.authenticate({ authorization: token }))).code).to.equal(Status.UNAUTHENTICATED);
    expect(await chain.authenticate({})).to.have.property("name", "system:anonymous");
  });

  it("answers UNAVAILABLE when Keystone fails or cannot be reached", async () => {
    const auth = new KeystoneAuthenticator({ endpoint: keystone.endpoint });
    const token = await keystone.issue("alice", "alice-pw");
    keystone.failWith = 503;
    expect((await failure(auth.authenticate({ authorization: token }))).code).to.equal(Status.UNAVAILABLE);
    const down = new KeystoneAuthenticator({ endpoint: "http://127.0.0.1:1/v3", httpTimeoutMs: 1_000 });
    expect((await failure(down.authenticate({ authorization: token }))).code).to.equal(Status.UNAVAILABLE);
  });

  it("forgets the oldest token when the cache is full", async () => {
    const auth = new KeystoneAuthenticator({ endpoint: keystone.endpoint, maxCachedTokens: 2 });
    for (let i = 0; i < 3; i++) await auth.authenticate({ authorization: await keystone.issue("alice", "alice-pw") });
    expect(auth.cachedTokens).to.equal(2);
  });

  it("rejects a bad endpoint at construction", () => {
    expect(() => new KeystoneAuthenticator({ endpoint: "keystone:5000" })).to.throw(/http\(s\) URL/);
  });
});
