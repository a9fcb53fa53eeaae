import type { Authenticator, AuthResult } from "../authenticator.js";

/** Every request is `name` (development; the API refuses it on non-loopback addresses unless forced). */
export class StaticAuthenticator implements Authenticator {
  readonly name = "static";
  readonly reads = "nothing";
  private readonly result: AuthResult;

  constructor(user: string) {
    if (!user.trim()) throw new Error("authentication: the static provider needs a user name");
    this.result = { user: { name: user, groups: [], provider: "static" } };
  }

  authenticate(): AuthResult {
    return this.result;
  }
}
