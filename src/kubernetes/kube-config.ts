/**
 * A member cluster's client configuration from `Cluster.spec.kubeconfig`, as the
 * user registered it: embedded certificates, bearer tokens, basic auth and the
 * CA are honoured. Anything that would make a controller read its own files or
 * run a program (file paths, `exec`, `auth-provider`) is refused: the kubeconfig
 * comes from an API user, the controller runs with Krake's privileges.
 */
import { KubeConfig } from "@kubernetes/client-node";

export class KubeconfigError extends Error {
  override name = "KubeconfigError";
}

const fileFields = {
  cluster: ["certificate-authority"],
  user: ["client-certificate", "client-key", "tokenFile", "token-file"],
} as const;
const programFields = ["exec", "auth-provider"] as const;

type Entry = Record<string, unknown>;

function entries(kubeconfig: Entry, list: string, field: string): Array<{ name: string; body: Entry }> {
  const items = kubeconfig[list];
  if (items === undefined || items === null) return [];
  if (!Array.isArray(items)) throw new KubeconfigError(`kubeconfig: '${list}' must be a list`);
  return items.map((item: unknown, i) => {
    const entry = (item ?? {}) as Entry;
    const body = entry[field];
    if (typeof body !== "object" || body === null) throw new KubeconfigError(`kubeconfig: ${list}[${i}] has no '${field}' object`);
    return { name: String(entry.name ?? i), body: body as Entry };
  });
}

/** Throws KubeconfigError naming the first field that a controller must not follow. */
export function checkKubeconfig(kubeconfig: Entry): void {
  for (const { name, body } of entries(kubeconfig, "clusters", "cluster")) {
    for (const f of fileFields.cluster) {
      if (body[f] !== undefined) throw new KubeconfigError(`kubeconfig: cluster '${name}' names a file (${f}); embed it as ${f}-data`);
    }
  }
  for (const { name, body } of entries(kubeconfig, "users", "user")) {
    for (const f of fileFields.user) {
      if (body[f] !== undefined) throw new KubeconfigError(`kubeconfig: user '${name}' names a file (${f}); embed its content instead`);
    }
    for (const f of programFields) {
      if (body[f] !== undefined) throw new KubeconfigError(`kubeconfig: user '${name}' uses '${f}', which would run a program on Krake's host; use a token or a client certificate`);
    }
  }
}

/** The client configuration for a cluster's kubeconfig; its current context (or the first) is used. */
export function kubeConfigFrom(kubeconfig: Entry | undefined): KubeConfig {
  if (!kubeconfig || Object.keys(kubeconfig).length === 0) throw new KubeconfigError("the cluster has no kubeconfig");
  checkKubeconfig(kubeconfig);
  const kc = new KubeConfig();
  try {
    kc.loadFromString(JSON.stringify(kubeconfig));
  } catch (err) {
    throw new KubeconfigError(`kubeconfig: ${(err as Error).message}`);
  }
  if (!kc.getCurrentContext() || !kc.getContextObject(kc.getCurrentContext())) {
    const first = kc.getContexts()[0];
    if (!first) throw new KubeconfigError("kubeconfig: no context");
    kc.setCurrentContext(first.name);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster?.server) throw new KubeconfigError("kubeconfig: the current context names no cluster with a server");
  return kc;
}
