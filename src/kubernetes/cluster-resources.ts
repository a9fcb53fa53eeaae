/**
 * Generic access to any kind of resource of a member cluster, custom
 * resources included, through @kubernetes/client-node's KubernetesObjectApi:
 * server-side apply, read, delete, list, and the discovery facts (plural,
 * scope) a watch needs. Errors are sorted once into "the cluster answered
 * no" (KubeApiError, with its status and message) and "the cluster did not
 * answer" (ClusterUnreachableError).
 */
import { KubernetesObjectApi, PatchStrategy } from "@kubernetes/client-node";
import type { KubeConfig, KubernetesObject, V1APIResource } from "@kubernetes/client-node";

export type KubeObject = KubernetesObject & Record<string, unknown>;

/** The cluster answered with an error status (the manifest was refused, a conflict, not found...). */
export class KubeApiError extends Error {
  override name = "KubeApiError";
  constructor(
    readonly status: number,
    message: string,
    readonly reason = "",
  ) {
    super(message);
  }
}

/** No answer: connection refused or reset, TLS failure, timeout. */
export class ClusterUnreachableError extends Error {
  override name = "ClusterUnreachableError";
}

/** Sorts what client-node threw into the two kinds above. */
export function kubeError(err: unknown, what: string): KubeApiError | ClusterUnreachableError {
  if (err instanceof KubeApiError || err instanceof ClusterUnreachableError) return err;
  const e = err as { code?: unknown; body?: unknown; message?: string };
  if (typeof e?.code === "number") {
    let body = e.body;
    if (typeof body === "string") {
      try {
        body = JSON.parse(body) as unknown;
      } catch {
        // plain text
      }
    }
    const status = body as { message?: string; reason?: string } | undefined;
    const message = typeof status === "object" && status?.message ? status.message : typeof body === "string" && body ? body : `HTTP ${e.code}`;
    return new KubeApiError(e.code, `${what}: ${message}`, typeof status === "object" ? (status?.reason ?? "") : "");
  }
  return new ClusterUnreachableError(`${what}: ${e?.message ?? String(err)}`);
}

export function isNotFound(err: unknown): boolean {
  return err instanceof KubeApiError && err.status === 404;
}

/** KubernetesObjectApi with its discovery lookup made public. */
class ObjectApi extends KubernetesObjectApi {
  describe(apiVersion: string, kind: string): Promise<V1APIResource | undefined> {
    return this.resource(apiVersion, kind);
  }
  get namespaceDefault(): string {
    return this.defaultNamespace;
  }
}

export interface ResourceType {
  apiVersion: string;
  kind: string;
  /** The plural the URL uses. */
  plural: string;
  namespaced: boolean;
}

export interface ClusterResourcesOptions {
  /** Each request's time limit (the library has none). */
  timeoutMs: number;
}

export class ClusterResources {
  private readonly api: ObjectApi;
  private readonly opts: ClusterResourcesOptions;

  constructor(
    readonly kubeConfig: KubeConfig,
    opts: Partial<ClusterResourcesOptions> = {},
  ) {
    this.api = kubeConfig.makeApiClient(ObjectApi);
    (this.api as unknown as { setDefaultNamespace(kc: KubeConfig): void }).setDefaultNamespace(kubeConfig);
    this.opts = { timeoutMs: 15_000, ...opts };
  }

  /** The namespace of namespaced resources that name none (the context's, else `default`). */
  get defaultNamespace(): string {
    return this.api.namespaceDefault;
  }

  get server(): string {
    return this.kubeConfig.getCurrentCluster()?.server ?? "";
  }

  /** Plural and scope of a kind (discovery, cached; a kind the cluster does not serve is a 404 KubeApiError). */
  async resourceType(apiVersion: string, kind: string): Promise<ResourceType> {
    const what = `${kind} (${apiVersion})`;
    const found = await this.call(what, () => this.api.describe(apiVersion, kind));
    if (!found) throw new KubeApiError(404, `the cluster does not serve ${what}`, "NotFound");
    return { apiVersion, kind, plural: found.name, namespaced: found.namespaced };
  }

  /** The namespace a resource lands in ("" for cluster-scoped kinds). */
  async namespaceOf(resource: KubeObject): Promise<string> {
    const type = await this.resourceType(resource.apiVersion ?? "", resource.kind ?? "");
    return type.namespaced ? resource.metadata?.namespace || this.defaultNamespace : "";
  }

  /** Server-side apply as `fieldManager`; conflicts with other managers are errors (409), never forced. */
  apply(resource: KubeObject, fieldManager: string): Promise<KubeObject> {
    return this.call(describe(resource, "apply"), () =>
      this.api.patch(structuredClone(resource), undefined, undefined, fieldManager, false, PatchStrategy.ServerSideApply),
    );
  }

  read(resource: KubeObject): Promise<KubeObject> {
    const header = { apiVersion: resource.apiVersion ?? "", kind: resource.kind ?? "", metadata: { name: resource.metadata?.name ?? "", namespace: resource.metadata?.namespace } };
    return this.call(describe(resource, "read"), () => this.api.read<KubeObject>(header));
  }

  /** Deletes (background propagation); true when it was there, false when it already was not. */
  async delete(resource: KubeObject): Promise<boolean> {
    const header = { apiVersion: resource.apiVersion, kind: resource.kind, metadata: { name: resource.metadata?.name, namespace: resource.metadata?.namespace } };
    try {
      await this.call(describe(resource, "delete"), () => this.api.delete(header, undefined, undefined, undefined, undefined, "Background"));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /** Every object of a kind in `namespace` (every namespace when empty), and the list's resourceVersion. */
  async list(apiVersion: string, kind: string, namespace = ""): Promise<{ items: KubeObject[]; resourceVersion: string }> {
    const res = await this.call(`list ${kind} (${apiVersion})`, () => this.api.list<KubeObject>(apiVersion, kind, namespace || undefined));
    return { items: res.items, resourceVersion: res.metadata?.resourceVersion ?? "" };
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ClusterUnreachableError(`${what}: no answer within ${this.opts.timeoutMs} ms`)), this.opts.timeoutMs);
    });
    try {
      return await Promise.race([fn(), timeout]);
    } catch (err) {
      throw kubeError(err, what);
    } finally {
      clearTimeout(timer);
    }
  }
}

function describe(resource: KubeObject, verb: string): string {
  const ns = resource.metadata?.namespace;
  return `${verb} ${resource.kind} ${ns ? `${ns}/` : ""}${resource.metadata?.name}`;
}
