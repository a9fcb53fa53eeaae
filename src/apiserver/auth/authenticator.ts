import { ApiError } from "../../errors/api-error.js";
import type { Credentials } from "./credentials.js";
import { presentsCredentials } from "./credentials.js";
import type { UserInfo } from "./user.js";
import { anonymousUser } from "./user.js";

/**
 * A provider's answer: a user; `rejected` when it recognised a credential of
 * its kind but found it invalid (another provider may still accept the same
 * header, e.g. OIDC and Keystone both read `Authorization`); undefined when
 * the request carries nothing for it.
 */
export type AuthResult = { user: UserInfo } | { rejected: string } | undefined;

/**
 * One way to establish identity. `authenticate` must not throw for a bad
 * credential (answer `rejected`); it throws an ApiError only to stop the chain:
 * UNAUTHENTICATED for a credential that taints the whole request (an
 * unverified client certificate), UNAVAILABLE when the identity service
 * cannot be reached.
 */
export interface Authenticator {
  readonly name: string;
  /**
   * False for a provider that names a user without looking at the request
   * (static): it must not turn a request whose credential an earlier provider
   * rejected into a user.
   */
  readonly readsCredentials?: boolean;
  authenticate(creds: Credentials): Promise<AuthResult> | AuthResult;
}

export interface ChainOptions {
  /** Requests without any credential become `system:anonymous` (else UNAUTHENTICATED). */
  allowAnonymous: boolean;
}

/**
 * The configured providers in order; the first that yields a user wins. A
 * request that presents a credential nobody accepts is UNAUTHENTICATED, never
 * anonymous.
 */
export class AuthenticationChain {
  readonly providers: readonly Authenticator[];
  private readonly opts: ChainOptions;

  constructor(providers: Authenticator[], opts: ChainOptions) {
    this.providers = providers;
    this.opts = opts;
  }

  async authenticate(creds: Credentials): Promise<UserInfo> {
    const rejections: string[] = [];
    for (const provider of this.providers) {
      if (provider.readsCredentials === false && rejections.length) break;
      const result = await provider.authenticate(creds);
      if (!result) continue;
      if ("user" in result) return result.user;
      rejections.push(`${provider.name}: ${result.rejected}`);
    }
    if (rejections.length) throw ApiError.unauthenticated(`Invalid credentials (${rejections.join("; ")})`);
    if (presentsCredentials(creds)) throw ApiError.unauthenticated("No configured authentication provider accepts the credentials presented");
    if (this.opts.allowAnonymous) return anonymousUser;
    throw ApiError.unauthenticated("Authentication required");
  }
}
