import { isIP } from "node:net";
import type { StoreCache } from "../watchcache/store-cache.js";
import { AccessControl } from "./access-control.js";
import { AuthenticationChain } from "./authenticator.js";
import type { Authenticator } from "./authenticator.js";
import { AlwaysAllow, AlwaysDeny, AUTHORIZATION_MODES } from "./authorizer.js";
import type { AuthorizationMode, Authorizer } from "./authorizer.js";
import { ClientCertificateAuthenticator } from "./providers/client-certificate.js";
import { KeystoneAuthenticator } from "./providers/keystone.js";
import { OidcAuthenticator } from "./providers/oidc.js";
import { StaticAuthenticator } from "./providers/static.js";
import { RbacAuthorizer } from "./rbac.js";
import { RbacIndex } from "./rbac-index.js";
import type { TlsListenerConfig } from "./tls.js";
import { checkTlsConfig } from "./tls.js";

/**
 * `authentication:` of krake-api's config. `providers` is ordered; each entry
 * is `{type: static|tls|oidc|keystone, ...its settings}` (snake_case or
 * camelCase keys).
 */
export interface AuthenticationConfig {
  allowAnonymous: boolean;
  /** The static provider on a non-loopback listener is refused unless this is true. */
  allowStaticOnNetwork: boolean;
  providers: ProviderConfig[];
}

export type ProviderConfig = { type: string } & Record<string, unknown>;

/** Development: every caller is system:admin (loopback only, see checkSecurityConfig). */
export const defaultAuthentication: AuthenticationConfig = {
  allowAnonymous: false,
  allowStaticOnNetwork: false,
  providers: [{ type: "static", name: "system:admin" }],
};

export const defaultAuthorization: AuthorizationMode = "always-allow";

/** A listener as the security checks see it. */
export interface ListenerConfig {
  /** Config path of the listener, for messages: "grpc", "rest". */
  name: string;
  host: string;
  tls?: TlsListenerConfig;
}

export interface SecurityConfig {
  authentication: AuthenticationConfig;
  authorization: string;
  listeners: ListenerConfig[];
}

/**
 * Start-up checks; throws one Error listing every problem. Besides malformed
 * settings it refuses the static provider (which makes every caller that
 * user) on a listener reachable from the network, unless
 * `authentication.allow_static_on_network` says so explicitly.
 */
export function checkSecurityConfig(cfg: SecurityConfig): void {
  const problems: string[] = [];
  if (!AUTHORIZATION_MODES.includes(cfg.authorization.toLowerCase() as AuthorizationMode)) {
    problems.push(`authorization must be one of ${AUTHORIZATION_MODES.join(", ")} (got "${cfg.authorization}")`);
  }
  let providers: Authenticator[] = [];
  try {
    providers = buildAuthenticators(cfg.authentication.providers);
  } catch (err) {
    problems.push(err instanceof Error ? err.message : String(err));
  }
  if (cfg.authentication.providers.length === 0 && !cfg.authentication.allowAnonymous) {
    problems.push("authentication: no providers and allow_anonymous is false: every request would be rejected");
  }
  for (const l of cfg.listeners) {
    if (l.tls) problems.push(...checkTlsConfig(l.tls, `${l.name}.tls`));
    if (providers.some((p) => p.name === "static") && !isLoopback(l.host) && !cfg.authentication.allowStaticOnNetwork) {
      problems.push(
        `authentication: the static provider makes every caller the same user, and ${l.name}.host "${l.host}" is reachable ` +
          "from the network; listen on a loopback address, use tls/oidc/keystone, or set authentication.allow_static_on_network: true",
      );
    }
  }
  if (problems.length) throw new Error(`krake-api config:\n  - ${problems.join("\n  - ")}`);
}

/** The gate of a running API server, reading RBAC data from its watch cache. */
export function createAccessControl(
  authentication: AuthenticationConfig,
  authorization: string,
  cache: StoreCache,
): AccessControl {
  const chain = new AuthenticationChain(buildAuthenticators(authentication.providers), {
    allowAnonymous: authentication.allowAnonymous,
  });
  const index = new RbacIndex(cache.kindCache("core", "roles"), cache.kindCache("core", "rolebindings"));
  // Krake writes "RBAC"; modes are matched without regard to case.
  const mode = authorization.toLowerCase();
  let authorizer: Authorizer;
  if (mode === "always-allow") authorizer = new AlwaysAllow();
  else if (mode === "always-deny") authorizer = new AlwaysDeny();
  else if (mode === "rbac") authorizer = new RbacAuthorizer(index);
  else throw new Error(`authorization must be one of ${AUTHORIZATION_MODES.join(", ")} (got "${authorization}")`);
  return new AccessControl(chain, authorizer, index, cache);
}

/** One Authenticator per provider entry, in order; throws on unknown types or settings. */
export function buildAuthenticators(entries: ProviderConfig[]): Authenticator[] {
  if (!Array.isArray(entries)) throw new Error("authentication.providers must be a list");
  return entries.map((raw, i) => {
    const where = `authentication.providers[${i}]`;
    if (typeof raw !== "object" || raw === null) throw new Error(`${where} must be a mapping with a "type"`);
    const entry = camelKeys(raw);
    const settings = new Settings(entry, `${where} (${String(entry.type)})`);
    const type = settings.string("type");
    let provider: Authenticator;
    switch (type) {
      case "static":
        provider = new StaticAuthenticator(settings.string("name", "system:admin"));
        break;
      case "tls":
        provider = new ClientCertificateAuthenticator();
        break;
      case "oidc":
        provider = new OidcAuthenticator({
          issuer: settings.string("issuer"),
          audience: settings.strings("audience"),
          usernameClaim: settings.string("usernameClaim", "preferred_username"),
          usernamePrefix: settings.string("usernamePrefix", ""),
          groupsClaim: settings.string("groupsClaim", ""),
          clockSkewSeconds: settings.number("clockSkewSeconds", 30),
          ...(entry.algorithms !== undefined ? { algorithms: settings.strings("algorithms") } : {}),
          httpTimeoutMs: settings.number("httpTimeoutMs", 5_000),
          jwksCooldownMs: settings.number("jwksCooldownMs", 30_000),
        });
        break;
      case "keystone":
        provider = new KeystoneAuthenticator({
          endpoint: settings.string("endpoint", "http://localhost:5000/v3"),
          httpTimeoutMs: settings.number("httpTimeoutMs", 5_000),
          maxCachedTokens: settings.number("maxCachedTokens", 10_000),
        });
        break;
      default:
        throw new Error(`${where}.type must be one of static, tls, oidc, keystone (got "${type}")`);
    }
    settings.rejectUnread();
    return provider;
  });
}

/** Loopback addresses and "localhost"; everything else (0.0.0.0, ::, a NIC's address) is the network. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost") return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  if (isIP(h) === 6) return h === "::1" || /^::ffff:127\./.test(h);
  return false;
}

function camelKeys(raw: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k.replace(/[-_]([a-z])/g, (_, c: string) => c.toUpperCase()), v]));
}

/** Typed reads of one provider entry that remember which keys were used. */
class Settings {
  private readonly read = new Set<string>();
  private readonly entry: Record<string, unknown>;
  private readonly where: string;

  constructor(entry: Record<string, unknown>, where: string) {
    this.entry = entry;
    this.where = where;
  }

  string(key: string, fallback?: string): string {
    this.read.add(key);
    const v = this.entry[key];
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v !== "string" || (fallback === undefined && !v)) throw new Error(`${this.where}: ${key} must be a non-empty string`);
    return v;
  }

  strings(key: string): string[] {
    this.read.add(key);
    const v = this.entry[key];
    const list = typeof v === "string" ? [v] : v;
    if (!Array.isArray(list) || list.length === 0 || !list.every((s) => typeof s === "string" && s)) {
      throw new Error(`${this.where}: ${key} must be a string or a non-empty list of strings`);
    }
    return list as string[];
  }

  number(key: string, fallback: number): number {
    this.read.add(key);
    const v = this.entry[key];
    if (v === undefined) return fallback;
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw new Error(`${this.where}: ${key} must be a non-negative number`);
    return v;
  }

  rejectUnread(): void {
    const unknown = Object.keys(this.entry).filter((k) => !this.read.has(k));
    if (unknown.length) throw new Error(`${this.where}: unknown setting ${unknown.join(", ")}`);
  }
}
