/**
 * The per-Application secrets of its hooks, kept in its status as Krake keeps
 * them: `complete_token`, `complete_cert`, `complete_key` and the same for
 * `shutdown`. A token is made once and kept; a certificate is made when TLS
 * is configured for the hook and none is stored, or the stored one no longer
 * suits (another issuer, or less than 30 days left).
 */
import { X509Certificate } from "node:crypto";
import type { ApplicationStatus } from "../../../../gen/krake/kubernetes/v1/application.js";
import { issueHookCertificate } from "./certificate.js";
import type { HookIssuer } from "./certificate.js";
import type { HookName } from "./settings.js";
import { HOOK_NAMES } from "./settings.js";
import { generateHookToken } from "./token.js";

/** A stored certificate with less validity than this left is replaced. */
export const HOOK_CERT_RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;

type CredentialFields = Pick<ApplicationStatus, "completeToken" | "completeCert" | "completeKey" | "shutdownToken" | "shutdownCert" | "shutdownKey">;

const fields = {
  complete: { token: "completeToken", cert: "completeCert", key: "completeKey" },
  shutdown: { token: "shutdownToken", cert: "shutdownCert", key: "shutdownKey" },
} as const satisfies Record<HookName, { token: keyof CredentialFields; cert: keyof CredentialFields; key: keyof CredentialFields }>;

export interface HookCredentials {
  token: string;
  cert?: string;
  key?: string;
}

/** The hook's credentials as stored in `status` (undefined when it has no token). */
export function storedCredentials(status: CredentialFields | undefined, hook: HookName): HookCredentials | undefined {
  const f = fields[hook];
  const token = status?.[f.token];
  if (!token) return undefined;
  return { token, cert: status[f.cert] || undefined, key: status[f.key] || undefined };
}

function certificateStillGood(pem: string | undefined, issuer: HookIssuer, commonName: string, now: Date): boolean {
  if (!pem) return false;
  try {
    const cert = new X509Certificate(pem);
    if (!cert.checkIssued(new X509Certificate(issuer.certPem)) || !cert.verify(new X509Certificate(issuer.certPem).publicKey)) return false;
    if (!cert.subject.split("\n").includes(`CN=${commonName}`)) return false;
    return new Date(cert.validTo).getTime() - now.getTime() > HOOK_CERT_RENEW_BEFORE_MS;
  } catch {
    return false;
  }
}

export interface EnsureOptions {
  /** The hooks the Application asks for (spec.hooks). */
  hooks: readonly string[];
  /** Per hook with TLS: the issuer and the CN its certificates name. */
  issuers: Partial<Record<HookName, { issuer: HookIssuer; hookUser: string }>>;
  now?: Date;
}

/**
 * Brings `status` in line with the hooks the Application asks for, in
 * place: a token (and with TLS a certificate) for each hook it has, none for
 * the others (so a token of a hook that was removed opens nothing).
 * Returns whether anything changed — then the caller writes the status
 * before it applies the manifest that carries the new values.
 */
export async function ensureHookCredentials(status: CredentialFields, opts: EnsureOptions): Promise<boolean> {
  const now = opts.now ?? new Date();
  let changed = false;
  const set = (key: keyof CredentialFields, value: string | undefined) => {
    if ((status[key] || undefined) === value) return;
    status[key] = value;
    changed = true;
  };
  for (const hook of HOOK_NAMES) {
    const f = fields[hook];
    if (!opts.hooks.includes(hook)) {
      set(f.token, undefined);
      set(f.cert, undefined);
      set(f.key, undefined);
      continue;
    }
    if (!status[f.token]) set(f.token, generateHookToken());
    const tls = opts.issuers[hook];
    if (!tls) {
      set(f.cert, undefined);
      set(f.key, undefined);
    } else if (!status[f.key] || !certificateStillGood(status[f.cert], tls.issuer, tls.hookUser, now)) {
      const pair = await issueHookCertificate(tls.issuer, tls.hookUser, now);
      set(f.cert, pair.cert);
      set(f.key, pair.key);
    }
  }
  return changed;
}
