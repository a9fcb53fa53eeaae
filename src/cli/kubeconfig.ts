/**
 * `kube cluster register -k KUBECONFIG [-c CONTEXT]`: Krake keeps a kubeconfig
 * with exactly one context, cluster and user, and with certificates inline
 * (the API server cannot read the user's files).
 */
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { readDocuments } from "./documents.js";
import { CliError } from "./errors.js";

type Entry = { name: string; [key: string]: unknown };
type KubeConfig = { [key: string]: unknown };

export interface ClusterConfig {
  /** The one-context kubeconfig, file references replaced by `*-data`. */
  kubeconfig: KubeConfig;
  /** The name of the context's cluster: Krake names the Cluster after it. */
  clusterName: string;
}

export async function readKubeconfig(path: string, contextName?: string): Promise<ClusterConfig> {
  const docs = await readDocuments([path]);
  const config = docs[0]?.value;
  if (docs.length !== 1 || typeof config !== "object" || config === null || Array.isArray(config)) {
    throw CliError.invalid(`${path}: expected one kubeconfig document`);
  }
  const kc = config as KubeConfig;
  const find = (list: string, name: string): Entry => {
    const entries = kc[list];
    const found = Array.isArray(entries) ? (entries as Entry[]).find((e) => e && e.name === name) : undefined;
    if (!found) throw CliError.invalid(`${path}: ${list} has no entry named '${name}'`);
    return structuredClone(found);
  };
  const name = contextName ?? (kc["current-context"] as string | undefined);
  if (!name) throw CliError.usage(`${path} has no current-context: name one with -c CONTEXT`);
  const contexts = Array.isArray(kc.contexts) ? (kc.contexts as Entry[]) : [];
  if (!contexts.some((c) => c && c.name === name)) {
    throw CliError.usage(`the context '${name}' is not in ${path} (contexts: ${contexts.map((c) => c.name).join(", ") || "none"})`);
  }
  const context = find("contexts", name);
  const ref = (context.context ?? {}) as { cluster?: string; user?: string };
  if (!ref.cluster || !ref.user) throw CliError.invalid(`${path}: context '${name}' must name a cluster and a user`);
  const cluster = find("clusters", ref.cluster);
  const user = find("users", ref.user);
  const base = dirname(resolve(path));
  await inline(cluster.cluster, "certificate-authority", base);
  await inline(user.user, "client-certificate", base);
  await inline(user.user, "client-key", base);
  return {
    kubeconfig: { ...kc, clusters: [cluster], contexts: [context], users: [user], "current-context": name },
    clusterName: cluster.name,
  };
}

/** Replaces a file reference `key` by `key-data` (base64 of the file), relative paths from the kubeconfig's folder. */
async function inline(section: unknown, key: string, base: string): Promise<void> {
  if (typeof section !== "object" || section === null) return;
  const obj = section as Record<string, unknown>;
  const file = obj[key];
  if (typeof file !== "string") return;
  let data: Buffer;
  try {
    data = await readFile(resolve(base, file));
  } catch (err) {
    throw CliError.usage(`cannot read ${key} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  delete obj[key];
  obj[`${key}-data`] = data.toString("base64");
}
