/**
 * The hooks as the controller uses them, built once at startup from the
 * `hooks:` settings: `prepare` is the manifest seam (credentials into status,
 * the transformed manifest out).
 */
import { readFileSync } from "node:fs";
import type { Application } from "../../../../gen/krake/kubernetes/v1/application.js";
import { ApplicationStatus } from "../../../../gen/krake/kubernetes/v1/application.js";
import { loadHookIssuer } from "./certificate.js";
import type { HookIssuer } from "./certificate.js";
import { ensureHookCredentials } from "./credentials.js";
import { mangleManifest } from "./mangle.js";
import type { Manifest } from "./secrets.js";
import { HOOK_NAMES, validateHooksSettings } from "./settings.js";
import type { HookName, HooksSettings } from "./settings.js";

export class HookConfigError extends Error {
  override readonly name = "HookConfigError";
}

export interface HooksRuntimeOptions {
  /**
   * PEM of the CA(s) that sign krake-api's serving certificate (the
   * controller's tls.client_ca), put first into every ca-bundle.pem. Empty
   * when the API's certificate chains to system roots.
   */
  apiCaPem?: string;
  /** Reads the intermediate files. */
  readText?: (path: string) => string;
}

export interface PreparedManifest {
  /** The resources to apply. */
  manifest: Manifest[];
  /** The Application's status gained or lost hook credentials: write it before applying. */
  statusChanged: boolean;
}

export class HooksRuntime {
  private constructor(
    readonly settings: HooksSettings,
    private readonly issuers: Partial<Record<HookName, { issuer: HookIssuer; hookUser: string }>>,
    private readonly tls: Partial<Record<HookName, { caBundle: string; intermediate: string }>>,
  ) {}

  /**
   * Validates the settings and loads each hook's intermediate CA (a hook with
   * `intermediate_src` gives its applications a client certificate). Throws
   * HookConfigError naming every problem. Synchronous, so that a controller
   * checks it while it starts, before it acts.
   */
  static load(settings: HooksSettings, opts: HooksRuntimeOptions = {}): HooksRuntime {
    const errors = validateHooksSettings(settings);
    if (errors.length > 0) throw new HookConfigError(errors.join("; "));
    const read = opts.readText ?? ((path: string) => readFileSync(path, "utf8"));
    const issuers: Partial<Record<HookName, { issuer: HookIssuer; hookUser: string }>> = {};
    const tls: Partial<Record<HookName, { caBundle: string; intermediate: string }>> = {};
    for (const hook of HOOK_NAMES) {
      const s = settings[hook];
      if (s.intermediateSrc === "") continue;
      let issuer: HookIssuer;
      try {
        issuer = loadHookIssuer(read(s.intermediateSrc), read(s.intermediateKeySrc));
      } catch (err) {
        throw new HookConfigError(`hooks.${hook}: ${(err as Error).message}`);
      }
      issuers[hook] = { issuer, hookUser: s.hookUser };
      const apiCa = (opts.apiCaPem ?? "").trim();
      tls[hook] = { caBundle: `${apiCa === "" ? "" : `${apiCa}\n`}${issuer.certPem.trim()}\n`, intermediate: issuer.certPem };
    }
    return new HooksRuntime(settings, issuers, tls);
  }

  /** Whether the hook gives its applications a client certificate. */
  hasTls(hook: HookName): boolean {
    return this.issuers[hook] !== undefined;
  }

  /**
   * The manifest seam. Brings `app.status`'s hook credentials in line with
   * `spec.hooks` (in place; see credentials.ts), then returns `manifest` as
   * it must be applied. Throws HookError / HookManifestError for an
   * Application whose hooks cannot be set up (its status should say why).
   */
  async prepare(app: Application, manifest: readonly Manifest[], opts: { defaultNamespace?: string; now?: Date } = {}): Promise<PreparedManifest> {
    const status = (app.status ??= ApplicationStatus.fromPartial({}));
    const hooks = app.spec?.hooks ?? [];
    const statusChanged = await ensureHookCredentials(status, { hooks, issuers: this.issuers, now: opts.now });
    const out = mangleManifest(manifest, {
      app: { name: app.metadata?.name ?? "", namespace: app.metadata?.namespace ?? "" },
      hooks,
      status,
      settings: this.settings,
      tls: this.tls,
      defaultNamespace: opts.defaultNamespace || "default",
    });
    return { manifest: out, statusChanged };
  }
}
