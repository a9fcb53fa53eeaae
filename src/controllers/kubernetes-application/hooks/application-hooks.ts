/**
 * Krake's complete and shutdown hooks behind the controller's seam
 * (../hooks.ts): `prepareManifest` = HooksRuntime.prepare (credentials
 * written to the Application's status before the manifest that carries them
 * is applied), `beforeDelete` = ShutdownGate.
 */
import type { Application, ApplicationStatus } from "../../../../gen/krake/kubernetes/v1/application.js";
import type { Cluster } from "../../../../gen/krake/kubernetes/v1/cluster.js";
import type { Clock } from "../../../client/clock.js";
import type { ReconcileContext } from "../../../controller/reconcile.js";
import { kubeConfigFrom } from "../../../kubernetes/kube-config.js";
import type { ApplicationHooks } from "../hooks.js";
import type { Manifest } from "./secrets.js";
import type { HooksRuntime } from "./runtime.js";
import { ShutdownGate } from "./shutdown.js";
import type { ShutdownCall } from "./shutdown-call.js";

export interface ApplicationHooksOptions {
  runtime: HooksRuntime;
  /** Writes an Application's status (the generic client's updateStatus; its resource_version is the precondition). */
  updateStatus(app: Application, signal?: AbortSignal): Promise<Application>;
  clock: Clock;
  shutdownCall?: ShutdownCall;
}

const credentialFields = ["completeToken", "completeCert", "completeKey", "shutdownToken", "shutdownCert", "shutdownKey"] as const;

/** The namespace resources without one land in on `cluster`: its kubeconfig context's, else `default`. */
function defaultNamespaceOf(cluster: Cluster): string {
  try {
    const kc = kubeConfigFrom(cluster.spec?.kubeconfig as Record<string, unknown> | undefined);
    return kc.getContextObject(kc.getCurrentContext())?.namespace || "default";
  } catch {
    return "default";
  }
}

export function applicationHooks(opts: ApplicationHooksOptions): ApplicationHooks {
  const gate = new ShutdownGate({
    settings: opts.runtime.settings.shutdown,
    updateStatus: (app, signal) => opts.updateStatus(app, signal),
    clock: opts.clock,
    call: opts.shutdownCall,
  });
  return {
    async prepareManifest(app: Application, cluster: Cluster, manifest: Manifest[], status: ApplicationStatus): Promise<Manifest[]> {
      const own = structuredClone(app);
      own.status = structuredClone(status);
      const prepared = await opts.runtime.prepare(own, manifest, { defaultNamespace: defaultNamespaceOf(cluster) });
      for (const f of credentialFields) status[f] = own.status![f];
      if (prepared.statusChanged) {
        // The credentials are stored before anything carries them to the cluster: a token that
        // changed after the application read it would refuse its call. The write moves the
        // Application's resource_version on, so the caller's next status write with its older
        // copy is refused (ABORTED) and the reconcile runs again on the stored credentials.
        await opts.updateStatus({ ...app, status: { ...structuredClone(app.status ?? status), ...pick(status) } });
      }
      return prepared.manifest;
    },
    async beforeDelete(app: Application, ctx: ReconcileContext) {
      const decision = await gate.beforeDelete(ctx, app);
      return decision.proceed ? decision : { proceed: false, retryAfterMs: decision.requeueAfter };
    },
  };
}

function pick(status: ApplicationStatus): Partial<ApplicationStatus> {
  const out: Partial<ApplicationStatus> = {};
  for (const f of credentialFields) out[f] = status[f];
  return out;
}
