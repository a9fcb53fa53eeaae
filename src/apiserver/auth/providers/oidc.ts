import { createRemoteJWKSet, errors, jwtVerify } from "jose";
import type { JWTPayload, RemoteJWKSet } from "jose";
import { ApiError } from "../../../errors/api-error.js";
import type { Authenticator, AuthResult } from "../authenticator.js";
import type { Credentials } from "../credentials.js";
import { bearerToken } from "../credentials.js";

export interface OidcOptions {
  /** The issuer URL exactly as tokens carry it in `iss` (Keycloak: `https://host/realms/<realm>`). */
  issuer: string;
  /** Accepted `aud` values: a token must name at least one. */
  audience: string[];
  /** Claim holding the user name (Krake's Keycloak provider: preferred_username). */
  usernameClaim: string;
  /** Prepended to the user name, e.g. "oidc:", so token users cannot take `system:` names. */
  usernamePrefix: string;
  /** Claim holding the groups (string or string list), "" for none. */
  groupsClaim: string;
  /** Tolerated clock difference for exp/nbf/iat, in seconds. */
  clockSkewSeconds: number;
  /** Accepted signature algorithms. */
  algorithms: string[];
  /** Timeout of discovery and JWKS requests. */
  httpTimeoutMs: number;
  /** Minimum time between two JWKS downloads triggered by an unknown `kid`. */
  jwksCooldownMs: number;
}

export const defaultOidcOptions: Omit<OidcOptions, "issuer" | "audience"> = {
  usernameClaim: "preferred_username",
  usernamePrefix: "",
  groupsClaim: "",
  clockSkewSeconds: 30,
  algorithms: ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"],
  httpTimeoutMs: 5_000,
  jwksCooldownMs: 30_000,
};

const JWS_COMPACT = /^[\w-]+\.[\w-]+\.[\w-]*$/;

/**
 * OIDC bearer tokens (JWT access or ID tokens) verified locally: the issuer's
 * keys come from the `jwks_uri` of its discovery document, fetched once and
 * downloaded again when a token names a key id the cached set lacks (key
 * rotation). Checks the signature, `iss`, `aud`, `exp` and `nbf`.
 */
export class OidcAuthenticator implements Authenticator {
  readonly name = "oidc";
  readonly reads = "authorization";
  private readonly opts: OidcOptions;
  private jwks: Promise<RemoteJWKSet> | undefined;

  constructor(opts: Pick<OidcOptions, "issuer" | "audience"> & Partial<OidcOptions>) {
    this.opts = { ...defaultOidcOptions, ...opts };
    if (!/^https?:\/\//.test(this.opts.issuer)) throw new Error(`authentication: oidc issuer must be an http(s) URL: "${this.opts.issuer}"`);
    if (this.opts.audience.length === 0) throw new Error("authentication: oidc needs at least one audience");
    if (!this.opts.usernameClaim) throw new Error("authentication: oidc username_claim must not be empty");
  }

  async authenticate(creds: Credentials): Promise<AuthResult> {
    const token = bearerToken(creds.authorization);
    if (token === undefined) return undefined;
    if (!JWS_COMPACT.test(token)) return { rejected: "the bearer token is not a JWT" };
    const keys = await this.keys();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: this.opts.issuer,
        audience: this.opts.audience,
        clockTolerance: this.opts.clockSkewSeconds,
        algorithms: this.opts.algorithms,
        requiredClaims: ["exp"],
      }));
    } catch (err) {
      if (err instanceof errors.JWKSTimeout) throw ApiError.unavailable("The OIDC issuer's key set could not be fetched in time", err);
      // A plain JOSEError or an invalid set comes from downloading the key set, not from the token.
      if (err instanceof errors.JWKSInvalid || (err instanceof errors.JOSEError && err.code === errors.JOSEError.code)) {
        throw ApiError.unavailable(`The OIDC issuer's key set could not be used: ${err.message}`, err);
      }
      if (err instanceof errors.JOSEError) return { rejected: describe(err) };
      throw ApiError.unavailable("The OIDC issuer's key set could not be fetched", err);
    }
    const name = payload[this.opts.usernameClaim];
    if (typeof name !== "string" || !name) return { rejected: `the token has no "${this.opts.usernameClaim}" claim` };
    return { user: { name: this.opts.usernamePrefix + name, groups: this.groups(payload), provider: "oidc" } };
  }

  private groups(payload: JWTPayload): string[] {
    if (!this.opts.groupsClaim) return [];
    const value = payload[this.opts.groupsClaim];
    if (typeof value === "string") return [value];
    return Array.isArray(value) ? value.filter((g): g is string => typeof g === "string") : [];
  }

  /** The issuer's key set, discovered on first use; a failed discovery is retried by the next request. */
  private keys(): Promise<RemoteJWKSet> {
    this.jwks ??= this.discover().catch((err: unknown) => {
      this.jwks = undefined;
      throw ApiError.unavailable(`OIDC discovery at ${this.opts.issuer} failed: ${err instanceof Error ? err.message : String(err)}`, err);
    });
    return this.jwks;
  }

  private async discover(): Promise<RemoteJWKSet> {
    const url = `${this.opts.issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
    const res = await fetch(url, { signal: AbortSignal.timeout(this.opts.httpTimeoutMs), headers: { accept: "application/json" } });
    if (!res.ok) throw new Error(`${url} answered ${res.status}`);
    const doc = (await res.json()) as { issuer?: unknown; jwks_uri?: unknown };
    if (doc.issuer !== this.opts.issuer) throw new Error(`the discovery document names issuer ${JSON.stringify(doc.issuer)}`);
    if (typeof doc.jwks_uri !== "string") throw new Error("the discovery document has no jwks_uri");
    return createRemoteJWKSet(new URL(doc.jwks_uri), {
      timeoutDuration: this.opts.httpTimeoutMs,
      cooldownDuration: this.opts.jwksCooldownMs,
    });
  }
}

function describe(err: InstanceType<typeof errors.JOSEError>): string {
  if (err instanceof errors.JWTExpired) return "the token has expired";
  if (err instanceof errors.JWTClaimValidationFailed) return `the token's "${err.claim}" claim is not acceptable (${err.reason})`;
  if (err instanceof errors.JWKSNoMatchingKey) return "the token is signed with a key the issuer does not publish";
  if (err instanceof errors.JWSSignatureVerificationFailed) return "the token's signature is invalid";
  if (err instanceof errors.JOSEAlgNotAllowed) return "the token's signature algorithm is not accepted";
  return `the token is invalid (${err.code})`;
}
