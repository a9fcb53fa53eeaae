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
/** The credential a provider reads: the Authorization header, the TLS client certificate, or none (static). */
export type CredentialKind = "authorization" | "certificate" | "nothing";

export interface Authenticator {
  readonly name: string;
  /**
   * What the provider reads. One that reads nothing (static) must not turn a
   * request whose credential an earlier provider rejected into a user.
   */
  readonly reads: CredentialKind;
  authenticate(creds: Credentials): Promise<AuthResult> | AuthResult;
}

export interface ChainOptions {
  /** Requests without any credential become `system:anonymous` (else UNAUTHENTICATED). */
  allowAnonymous: boolean;
}

/**
 * The configured providers in order; the first that yields a user wins. A
 * request that presents a credential nobody accepts is UNAUTHENTICATED, never
 * anonymous; so is one that presents, next to the credential that won, another
 * credential that the providers reading it reject (an expired token sent with
 * a valid client certificate): every credential presented must be valid.
 */
export class AuthenticationChain {
  readonly providers: readonly Authenticator[];
  private readonly opts: ChainOptions;

  constructor(providers: Authenticator[], opts: ChainOptions) {
    this.providers = providers;
    this.opts = opts;
  }

  async authenticate(creds: Credentials): Promise<UserInfo> {
    const rejections: Rejection[] = [];
    for (let i = 0; i < this.providers.length; i++) {
      const provider = this.providers[i];
      if (provider.reads === "nothing" && rejections.length) break;
      const result = await provider.authenticate(creds);
      if (!result) continue;
      if ("user" in result) {
        await this.checkOtherCredentials(creds, provider, i, rejections);
        return result.user;
      }
      rejections.push({ reads: provider.reads, message: `${provider.name}: ${result.rejected}` });
    }
    if (rejections.length) throw invalid(rejections);
    if (presentsCredentials(creds)) throw ApiError.unauthenticated("No configured authentication provider accepts the credentials presented");
    if (this.opts.allowAnonymous) return anonymousUser;
    throw ApiError.unauthenticated("Authentication required");
  }

  /**
   * The credentials of other kinds than the winner's go through the providers
   * after it that read them; one is fine once any provider accepts it, and
   * invalid when those that judged it all rejected it. A kind no configured
   * provider reads is not judged.
   */
  private async checkOtherCredentials(creds: Credentials, winner: Authenticator, index: number, earlier: Rejection[]): Promise<void> {
    for (const kind of presentedKinds(creds)) {
      if (kind === winner.reads) continue;
      const rejected = earlier.filter((r) => r.reads === kind);
      let accepted = false;
      for (const provider of this.providers.slice(index + 1)) {
        if (provider.reads !== kind) continue;
        const result = await provider.authenticate(creds);
        if (!result) continue;
        if ("user" in result) {
          accepted = true;
          break;
        }
        rejected.push({ reads: kind, message: `${provider.name}: ${result.rejected}` });
      }
      if (!accepted && rejected.length) throw invalid(rejected);
    }
  }
}

interface Rejection {
  reads: CredentialKind;
  message: string;
}

function invalid(rejections: Rejection[]): ApiError {
  return ApiError.unauthenticated(`Invalid credentials (${rejections.map((r) => r.message).join("; ")})`);
}

function presentedKinds(creds: Credentials): CredentialKind[] {
  const kinds: CredentialKind[] = [];
  if (creds.authorization?.trim()) kinds.push("authorization");
  if (creds.clientCertificate) kinds.push("certificate");
  return kinds;
}
