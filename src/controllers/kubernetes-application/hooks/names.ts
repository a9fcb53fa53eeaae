/**
 * The names Krake gives a hook's objects in the member cluster and the URL an
 * application calls (krake/controller/kubernetes/hooks.py, Hook.mangle_app).
 */
import type { HookName } from "./settings.js";

export interface HookObjectNames {
  /** Secret with the token and the URL: `<app>-krake-<hook>-secret-token`. */
  tokenSecret: string;
  /** Secret with ca-bundle.pem, cert.pem, key.pem: `<app>-krake-<hook>-secret-certs`. */
  certsSecret: string;
  /** Pod volume of the certificate Secret: `<app>-krake-<hook>-volume`. */
  volume: string;
}

export function hookObjectNames(app: string, hook: HookName): HookObjectNames {
  return {
    tokenSecret: `${app}-krake-${hook}-secret-token`,
    certsSecret: `${app}-krake-${hook}-secret-certs`,
    volume: `${app}-krake-${hook}-volume`,
  };
}

/** Kubernetes' DNS-1123 subdomain (Secret names) and label (volume names). */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Why the cluster would refuse these names, or undefined. Krake's names allow
 * `_`, `:` and capitals, Kubernetes' do not: an Application so named cannot
 * use hooks, and says so before anything is applied.
 */
export function invalidHookNames(names: HookObjectNames, tls: boolean): string | undefined {
  const secrets = tls ? [names.tokenSecret, names.certsSecret] : [names.tokenSecret];
  for (const name of secrets) {
    if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
      return `the hook Secret name "${name}" is not a valid Kubernetes name (lower-case letters, digits, '-' and '.', at most 253)`;
    }
  }
  if (tls && (names.volume.length > 63 || !DNS_LABEL.test(names.volume))) {
    return `the hook volume name "${names.volume}" is not a valid Kubernetes name (lower-case letters, digits and '-', at most 63)`;
  }
  return undefined;
}

/**
 * `<endpoint>/kubernetes/namespaces/<ns>/applications/<name>/<hook>`: the
 * endpoint's path is replaced, as Krake's yarl with_path does. Krake's names
 * (`\w[\w-_.:]*`) are path-safe as they are; `system:admin` stays readable.
 */
export function hookUrl(endpoint: string, namespace: string, app: string, hook: HookName): string {
  const url = new URL(endpoint);
  url.pathname = `/kubernetes/namespaces/${namespace}/applications/${app}/${hook}`;
  url.search = "";
  url.hash = "";
  return url.toString();
}
