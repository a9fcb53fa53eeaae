import { ApiError } from "../../../errors/api-error.js";
import type { Authenticator, AuthResult } from "../authenticator.js";
import type { Credentials } from "../credentials.js";
import { bearerToken } from "../credentials.js";
import type { UserInfo } from "../user.js";

export interface KeystoneOptions {
  /** Keystone's v3 endpoint, e.g. `http://localhost:5000/v3`. */
  endpoint: string;
  /** Timeout of one validation request. */
  httpTimeoutMs: number;
  /** Validated tokens remembered at once (the oldest is forgotten first). */
  maxCachedTokens: number;
}

export const defaultKeystoneOptions: Omit<KeystoneOptions, "endpoint"> = {
  httpTimeoutMs: 5_000,
  maxCachedTokens: 10_000,
};

interface KeystoneTokenBody {
  token?: { expires_at?: unknown; user?: { name?: unknown } };
}

/**
 * Keystone tokens, validated as Krake does: `GET {endpoint}/auth/tokens` with
 * the token as both X-Auth-Token and X-Subject-Token; the user is
 * `token.user.name`. A valid token is remembered until its `expires_at`, so a
 * client sending the same token on every call costs one Keystone request.
 * The token travels as `Authorization: Bearer <token>` or, as Krake's clients
 * send it, as the bare `Authorization` value.
 */
export class KeystoneAuthenticator implements Authenticator {
  readonly name = "keystone";
  readonly reads = "authorization";
  private readonly opts: KeystoneOptions;
  private readonly url: string;
  private readonly cache = new Map<string, { user: UserInfo; expiresAt: number }>();
  private readonly inFlight = new Map<string, Promise<AuthResult>>();

  constructor(opts: Pick<KeystoneOptions, "endpoint"> & Partial<KeystoneOptions>) {
    this.opts = { ...defaultKeystoneOptions, ...opts };
    if (!/^https?:\/\//.test(this.opts.endpoint)) throw new Error(`authentication: keystone endpoint must be an http(s) URL: "${this.opts.endpoint}"`);
    this.url = `${this.opts.endpoint.replace(/\/+$/, "")}/auth/tokens`;
  }

  /** Tokens currently cached (tests, metrics). */
  get cachedTokens(): number {
    return this.cache.size;
  }

  authenticate(creds: Credentials): Promise<AuthResult> | AuthResult {
    const token = tokenOf(creds.authorization);
    if (token === undefined) return undefined;
    const hit = this.cache.get(token);
    if (hit) {
      if (hit.expiresAt > Date.now()) return { user: hit.user };
      this.cache.delete(token);
    }
    let pending = this.inFlight.get(token);
    if (!pending) {
      pending = this.validate(token).finally(() => this.inFlight.delete(token));
      this.inFlight.set(token, pending);
    }
    return pending;
  }

  private async validate(token: string): Promise<AuthResult> {
    let res: Response;
    try {
      res = await fetch(this.url, {
        headers: { "x-auth-token": token, "x-subject-token": token, accept: "application/json" },
        signal: AbortSignal.timeout(this.opts.httpTimeoutMs),
      });
    } catch (err) {
      throw ApiError.unavailable("Keystone could not be reached to validate the token", err);
    }
    if (res.status >= 500) throw ApiError.unavailable(`Keystone answered ${res.status} while validating the token`);
    if (res.status !== 200) {
      await res.body?.cancel();
      return { rejected: `Keystone does not accept the token (HTTP ${res.status})` };
    }
    const body = (await res.json().catch(() => ({}))) as KeystoneTokenBody;
    const name = body.token?.user?.name;
    const expiresAt = Date.parse(typeof body.token?.expires_at === "string" ? body.token.expires_at : "");
    if (typeof name !== "string" || !name) return { rejected: "Keystone's answer names no user" };
    if (!Number.isFinite(expiresAt) || expiresAt <= Date.now()) return { rejected: "the token has expired" };
    const user: UserInfo = { name, groups: [], provider: "keystone" };
    this.remember(token, user, expiresAt);
    return { user };
  }

  private remember(token: string, user: UserInfo, expiresAt: number): void {
    if (this.cache.size >= this.opts.maxCachedTokens) {
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    this.cache.set(token, { user, expiresAt });
  }
}

function tokenOf(authorization: string | undefined): string | undefined {
  const bearer = bearerToken(authorization);
  if (bearer !== undefined) return bearer;
  const raw = authorization?.trim();
  // A bare token (Krake's clients); "Basic ..." and other schemes are not ours.
  return raw && !/\s/.test(raw) ? raw : undefined;
}
