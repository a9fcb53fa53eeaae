/**
 * The manifest transform of the hooks (Krake's ApplicationMangling hooks):
 * from the Application's resources and its stored credentials, the resources
 * to apply — workloads with the hook variables (and certificate mounts), plus
 * one token Secret (and with TLS one certificate Secret) per hook and
 * namespace. Pure: the credentials come from `status` (see credentials.ts).
 */
import { storedCredentials } from "./credentials.js";
import type { HookCredentials } from "./credentials.js";
import { injectHook } from "./inject.js";
import type { HookInjection } from "./inject.js";
import { hookObjectNames, hookUrl, invalidHookNames } from "./names.js";
import { certsSecret, tokenSecret } from "./secrets.js";
import type { Manifest } from "./secrets.js";
import { HOOK_NAMES, hookEndpoint } from "./settings.js";
import type { HookName, HooksSettings } from "./settings.js";

/** Kinds that live outside namespaces: they give the hook Secrets no namespace to go to. */
const CLUSTER_SCOPED_KINDS = new Set([
  "Namespace",
  "Node",
  "PersistentVolume",
  "CustomResourceDefinition",
  "ClusterRole",
  "ClusterRoleBinding",
  "StorageClass",
  "PriorityClass",
  "IngressClass",
  "RuntimeClass",
  "APIService",
  "MutatingWebhookConfiguration",
  "ValidatingWebhookConfiguration",
  "ValidatingAdmissionPolicy",
  "ValidatingAdmissionPolicyBinding",
  "CSIDriver",
  "CSINode",
  "VolumeAttachment",
]);

export class HookError extends Error {
  override readonly name = "HookError";
}

export interface MangleContext {
  /** The Application's name and namespace (in Krake). */
  app: { name: string; namespace: string };
  /** spec.hooks. */
  hooks: readonly string[];
  /** The Application's status: where the credentials are read from. */
  status: Parameters<typeof storedCredentials>[0];
  settings: HooksSettings;
  /**
   * Per hook with TLS: the CA bundle given to the applications (the API's CA,
   * then the intermediate) and the intermediate's certificate, which follows
   * the application's own in cert.pem so that it presents the whole chain.
   */
  tls: Partial<Record<HookName, { caBundle: string; intermediate: string }>>;
  /** Where resources without metadata.namespace land (the kubeconfig's namespace, else "default"). */
  defaultNamespace: string;
}

/** The namespaces the manifest's namespaced resources use, in first-seen order. */
export function resourceNamespaces(manifest: readonly Manifest[], defaultNamespace: string): string[] {
  const out = new Set<string>();
  for (const resource of manifest) {
    const meta = resource.metadata as Record<string, unknown> | undefined;
    const ns = meta?.namespace;
    if (typeof ns === "string" && ns !== "") out.add(ns);
    else if (!CLUSTER_SCOPED_KINDS.has(String(resource.kind))) out.add(defaultNamespace);
  }
  return [...out];
}

function credentialsFor(ctx: MangleContext, hook: HookName): HookCredentials {
  const creds = storedCredentials(ctx.status, hook);
  if (!creds) throw new HookError(`the ${hook} hook has no token in status yet (ensureHookCredentials first)`);
  const tls = ctx.tls[hook] !== undefined;
  if (tls && (!creds.cert || !creds.key)) throw new HookError(`the ${hook} hook has no certificate in status yet (ensureHookCredentials first)`);
  return creds;
}

/**
 * The resources to apply for the Application: `manifest` with every
 * requested hook injected into its workloads, followed by the hooks'
 * Secrets. An Application without hooks gets `manifest` back unchanged.
 * Throws HookError when the hook objects' names are not valid Kubernetes
 * names or a credential is missing, HookManifestError (inject.ts) when a
 * workload is malformed.
 */
export function mangleManifest(manifest: readonly Manifest[], ctx: MangleContext): Manifest[] {
  const hooks = HOOK_NAMES.filter((h) => ctx.hooks.includes(h));
  if (hooks.length === 0) return [...manifest];
  const namespaces = resourceNamespaces(manifest, ctx.defaultNamespace);
  let resources = [...manifest];
  const secrets: Manifest[] = [];
  for (const hook of hooks) {
    const settings = ctx.settings[hook];
    const tls = ctx.tls[hook];
    const names = hookObjectNames(ctx.app.name, hook);
    const invalid = invalidHookNames(names, tls !== undefined);
    if (invalid) throw new HookError(invalid);
    const creds = credentialsFor(ctx, hook);
    const url = hookUrl(hookEndpoint(ctx.settings, hook), ctx.app.namespace, ctx.app.name, hook);
    const injection: HookInjection = {
      tokenSecret: names.tokenSecret,
      envToken: settings.envToken,
      envUrl: settings.envUrl,
      certs: tls === undefined ? undefined : { secret: names.certsSecret, volume: names.volume, mountPath: settings.certDest },
    };
    resources = resources.map((r) => injectHook(r, injection));
    for (const namespace of namespaces) {
      secrets.push(tokenSecret({ name: names.tokenSecret, namespace, envToken: settings.envToken, envUrl: settings.envUrl, token: creds.token, url }));
      if (tls !== undefined) {
        const chain = `${creds.cert!.trim()}\n${tls.intermediate.trim()}\n`;
        secrets.push(certsSecret({ name: names.certsSecret, namespace, caBundle: tls.caBundle, certificate: { cert: chain, key: creds.key! } }));
      }
    }
  }
  return [...resources, ...secrets];
}
