/**
 * What a hook puts into the workloads of a manifest (Krake's Hook.env_vars
 * and Hook.volumes): in every container of every Pod, Deployment and
 * ReplicationController, the token and URL variables read from the token
 * Secret and, with TLS, the certificate Secret mounted at cert_dest.
 */
import type { Manifest } from "./secrets.js";
import { secretKeyFor } from "./secrets.js";

/** The kinds Krake injects into (Complete.hook_resources / Shutdown.hook_resources). */
export const HOOK_WORKLOAD_KINDS: readonly string[] = ["Pod", "Deployment", "ReplicationController"];

export interface HookInjection {
  tokenSecret: string;
  envToken: string;
  envUrl: string;
  /** With TLS: the certificate Secret, its volume's name and where it is mounted. */
  certs?: { secret: string; volume: string; mountPath: string };
}

export class HookManifestError extends Error {
  override readonly name = "HookManifestError";
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** The pod spec of a workload: `spec` for a Pod, `spec.template.spec` for the controllers of pods. */
function podSpecPath(kind: string): string[] {
  return kind === "Pod" ? ["spec"] : ["spec", "template", "spec"];
}

/** Walks (and creates) the objects along `path`; a non-object on the way is the manifest's error. */
function objectAt(root: Obj, path: string[], where: string): Obj {
  let cur = root;
  const seen: string[] = [];
  for (const key of path) {
    seen.push(key);
    const next = cur[key];
    if (next === undefined || next === null) cur[key] = {};
    else if (!isObj(next)) throw new HookManifestError(`${where}: ${seen.join(".")} must be an object`);
    cur = cur[key] as Obj;
  }
  return cur;
}

function listAt(obj: Obj, key: string, where: string): unknown[] {
  const value = obj[key];
  if (value === undefined || value === null) return (obj[key] = []) as unknown[];
  if (!Array.isArray(value)) throw new HookManifestError(`${where}: ${key} must be a list`);
  return value;
}

/** Puts `entry` into the list by name: replaces an entry of the same name (the hook's wins), else appends. */
function putNamed(list: unknown[], entry: Obj & { name: string }): void {
  const i = list.findIndex((e) => isObj(e) && e.name === entry.name);
  if (i >= 0) list[i] = entry;
  else list.push(entry);
}

function describe(resource: Manifest): string {
  const meta = isObj(resource.metadata) ? resource.metadata : {};
  return `${String(resource.kind)} ${String(meta.name ?? "")}`;
}

/**
 * A copy of `resource` with the hook's variables (and mounts) in every
 * container, when it is a workload kind; other resources are returned as
 * they are. Throws HookManifestError when the pod spec is not shaped as
 * Kubernetes defines it.
 */
export function injectHook(resource: Manifest, injection: HookInjection): Manifest {
  const kind = String(resource.kind ?? "");
  if (!HOOK_WORKLOAD_KINDS.includes(kind)) return resource;
  const copy = structuredClone(resource) as Obj;
  const where = describe(resource);
  const path = podSpecPath(kind);
  const podSpec = objectAt(copy, path, where);
  const containers = listAt(podSpec, "containers", `${where}: ${path.join(".")}`);
  const fromSecret = (name: string) => ({
    name,
    valueFrom: { secretKeyRef: { name: injection.tokenSecret, key: secretKeyFor(name) } },
  });
  containers.forEach((container, i) => {
    const at = `${where}: ${path.join(".")}.containers[${i}]`;
    if (!isObj(container)) throw new HookManifestError(`${at} must be an object`);
    const env = listAt(container, "env", at);
    putNamed(env, fromSecret(injection.envToken));
    putNamed(env, fromSecret(injection.envUrl));
    if (injection.certs) {
      putNamed(listAt(container, "volumeMounts", at), { name: injection.certs.volume, mountPath: injection.certs.mountPath, readOnly: true });
    }
  });
  if (injection.certs) {
    putNamed(listAt(podSpec, "volumes", `${where}: ${path.join(".")}`), {
      name: injection.certs.volume,
      secret: { secretName: injection.certs.secret },
    });
  }
  return copy;
}
