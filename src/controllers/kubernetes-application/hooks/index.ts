/**
 * Krake's application hooks `complete` and `shutdown` for the Kubernetes
 * application controller. For the process: `defaultHooksSettings` (the
 * `hooks:` config block) and `hooksForController`. The parts, for tests and
 * tools: the runtime (manifest seam), the shutdown gate, certificates.
 */
import { readFileSync } from "node:fs";
import type { Logger } from "pino";
import type { Application } from "../../../../gen/krake/kubernetes/v1/application.js";
import type { Clock } from "../../../client/clock.js";
import { realClock } from "../../../client/clock.js";
import type { KindClient } from "../../../client/kind-client.js";
import type { ApplicationHooks } from "../hooks.js";
import { applicationHooks } from "./application-hooks.js";
import { HooksRuntime } from "./runtime.js";
import type { HooksSettings } from "./settings.js";
import type { ShutdownCall } from "./shutdown-call.js";

export { defaultHooksSettings, validateHooksSettings } from "./settings.js";
export type { HooksSettings, HookSettings, ShutdownHookSettings, HookName } from "./settings.js";
export { HooksRuntime, HookConfigError } from "./runtime.js";
export { ShutdownGate } from "./shutdown.js";
export type { ShutdownDecision } from "./shutdown.js";
export { applicationHooks } from "./application-hooks.js";
export { httpShutdownCall, shutdownUrl, SHUTDOWN_SERVICE } from "./shutdown-call.js";
export type { ShutdownCall } from "./shutdown-call.js";
export { loadHookIssuer, issueHookCertificate, HookIssuer, HookCertificateError } from "./certificate.js";
export { HookError } from "./mangle.js";
export { HookManifestError } from "./inject.js";

/**
 * The hooks of a controller process from its configuration: the `hooks:`
 * block, and its TLS towards the API (tls.client_ca, the CA applications
 * get in their ca-bundle.pem). Throws HookConfigError for bad settings.
 */
export function hooksForController(opts: {
  settings: HooksSettings;
  tls: { enabled: boolean; clientCa: string };
  applications: KindClient<Application>;
  log: Logger;
  clock?: Clock;
  shutdownCall?: ShutdownCall;
}): ApplicationHooks {
  const apiCaPem = opts.tls.enabled && opts.tls.clientCa ? readFileSync(opts.tls.clientCa, "utf8") : "";
  const runtime = HooksRuntime.load(opts.settings, { apiCaPem });
  opts.log.info(
    { apiEndpoint: opts.settings.apiEndpoint, completeCertificates: runtime.hasTls("complete"), shutdownCertificates: runtime.hasTls("shutdown") },
    "application hooks ready",
  );
  return applicationHooks({
    runtime,
    updateStatus: (app, signal) => opts.applications.updateStatus(app, { signal }),
    clock: opts.clock ?? realClock,
    shutdownCall: opts.shutdownCall,
  });
}
