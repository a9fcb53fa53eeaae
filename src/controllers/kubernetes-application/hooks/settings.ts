/**
 * The `hooks:` block of krake-controller-kubernetes-application's config
 * (Krake's HooksConfiguration): how applications reach the API to say they
 * are complete or shut down, which user their certificate names, and what the
 * controller does when a graceful shutdown fails.
 */

/** Settings every hook has (Krake's CompleteHookConfiguration / ShutdownHookConfiguration). */
export interface HookSettings {
  /** CN of the client certificate the applications get (the RBAC user of the hook). */
  hookUser: string;
  /** PEM file of the intermediate CA certificate that signs the applications' certificates (TLS only). */
  intermediateSrc: string;
  /** PEM file of its private key (TLS only). */
  intermediateKeySrc: string;
  /** Where the certificate Secret is mounted in every container (TLS only). */
  certDest: string;
  /** Name of the environment variable holding the token. */
  envToken: string;
  /** Name of the environment variable holding the hook's URL. */
  envUrl: string;
  /** The API's URL as the applications reach it; `apiEndpoint` when empty. */
  externalEndpoint: string;
}

export interface ShutdownHookSettings extends HookSettings {
  /** Seconds each attempt waits for the application to call back (an Application's shutdown_grace_time wins). */
  timeout: number;
  /** `delete` (remove the resources anyway) or `give_up` (DEGRADED until `retry`); the Application's wins. */
  failureStrategy: string;
  /** Attempts beyond the first (the Application's shutdown_retry_count wins). */
  failureRetryCount: number;
  /** Milliseconds one call of the application's shutdown endpoint may take. */
  requestTimeoutMs: number;
}

export interface HooksSettings {
  /** krake-api's REST endpoint as applications reach it, e.g. http://krake.example:8080. */
  apiEndpoint: string;
  complete: HookSettings;
  shutdown: ShutdownHookSettings;
}

export type HookName = "complete" | "shutdown";
export const HOOK_NAMES: readonly HookName[] = ["complete", "shutdown"];

export const defaultHooksSettings: HooksSettings = {
  apiEndpoint: "http://127.0.0.1:8080",
  complete: {
    hookUser: "system:complete-hook",
    intermediateSrc: "",
    intermediateKeySrc: "",
    certDest: "/etc/krake_complete_certs/",
    envToken: "KRAKE_COMPLETE_TOKEN",
    envUrl: "KRAKE_COMPLETE_URL",
    externalEndpoint: "",
  },
  shutdown: {
    hookUser: "system:shutdown-hook",
    intermediateSrc: "",
    intermediateKeySrc: "",
    certDest: "/etc/krake_shutdown_certs/",
    envToken: "KRAKE_SHUTDOWN_TOKEN",
    envUrl: "KRAKE_SHUTDOWN_URL",
    externalEndpoint: "",
    timeout: 30,
    failureStrategy: "delete",
    failureRetryCount: 0,
    requestTimeoutMs: 5_000,
  },
};

export const SHUTDOWN_FAILURE_STRATEGIES = ["delete", "give_up"] as const;
export type ShutdownFailureStrategy = (typeof SHUTDOWN_FAILURE_STRATEGIES)[number];

/** Environment variable names: what Kubernetes accepts (C identifiers are the portable subset). */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Problems in the settings, each naming its key (empty: valid). Checked at
 * startup so that a bad value stops the controller, not an application.
 */
export function validateHooksSettings(settings: HooksSettings): string[] {
  const errors: string[] = [];
  const url = (value: string, key: string) => {
    if (value === "") return;
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      errors.push(`hooks.${key}: "${value}" is not a URL`);
      return;
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") errors.push(`hooks.${key}: the scheme must be http or https`);
  };
  if (settings.apiEndpoint === "") errors.push("hooks.api_endpoint: is required (the API's REST URL as applications reach it)");
  url(settings.apiEndpoint, "api_endpoint");
  for (const name of HOOK_NAMES) {
    const hook = settings[name];
    url(hook.externalEndpoint, `${name}.external_endpoint`);
    for (const key of ["envToken", "envUrl"] as const) {
      if (!ENV_NAME.test(hook[key])) errors.push(`hooks.${name}.${key === "envToken" ? "env_token" : "env_url"}: "${hook[key]}" is not an environment variable name`);
    }
    if (hook.envToken === hook.envUrl) errors.push(`hooks.${name}: env_token and env_url must differ`);
    if ((hook.intermediateSrc === "") !== (hook.intermediateKeySrc === "")) {
      errors.push(`hooks.${name}: intermediate_src and intermediate_key_src go together`);
    }
    if (!hook.certDest.startsWith("/")) errors.push(`hooks.${name}.cert_dest: must be an absolute path`);
  }
  const shutdown = settings.shutdown;
  if (!(SHUTDOWN_FAILURE_STRATEGIES as readonly string[]).includes(shutdown.failureStrategy)) {
    errors.push(`hooks.shutdown.failure_strategy: must be "delete" or "give_up"`);
  }
  if (!Number.isInteger(shutdown.failureRetryCount) || shutdown.failureRetryCount < 0) {
    errors.push("hooks.shutdown.failure_retry_count: must be an integer ≥ 0");
  }
  if (!(shutdown.timeout >= 0)) errors.push("hooks.shutdown.timeout: must be ≥ 0 (seconds)");
  if (!(shutdown.requestTimeoutMs > 0)) errors.push("hooks.shutdown.request_timeout_ms: must be > 0");
  return errors;
}

/** The base URL the hook's URL is built on: its external endpoint, else the API's. */
export function hookEndpoint(settings: HooksSettings, hook: HookName): string {
  return settings[hook].externalEndpoint || settings.apiEndpoint;
}
