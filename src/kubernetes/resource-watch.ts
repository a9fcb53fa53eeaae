/**
 * A list+watch cache of one kind on one member cluster, in one namespace or
 * in all of them (client-go's reflector, small): it lists, then watches from the list's
 * resourceVersion with bookmarks, watches again from the last version after
 * the server closes the stream, and lists again after an error or a 410
 * (Gone), with backoff. `synced` is false until a list succeeded and again
 * while the cluster cannot be listed, so a reader can tell "absent" from
 * "not known".
 */
import { Watch } from "@kubernetes/client-node";
import type { ClusterResources, KubeObject, ResourceType } from "./cluster-resources.js";

export type ResourceEvent = "added" | "modified" | "deleted";

export interface ResourceWatchOptions {
  backoffInitialMs: number;
  backoffMaxMs: number;
  onChange(type: ResourceEvent, obj: KubeObject): void;
  onError?(err: unknown): void;
  /** After each successful list, once its changes were reported. */
  onSynced?(): void;
}

export function objectKeyOf(obj: KubeObject): string {
  const ns = obj.metadata?.namespace ?? "";
  return `${ns}/${obj.metadata?.name ?? ""}`;
}

export class ResourceWatch {
  private readonly objects = new Map<string, KubeObject>();
  private synced_ = false;
  private stopped = false;
  private abort: AbortController | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private resourceVersion = "";

  constructor(
    private readonly cluster: ClusterResources,
    readonly type: ResourceType,
    private readonly opts: ResourceWatchOptions,
    /** "" for every namespace (and for cluster-scoped kinds). */
    readonly namespace = "",
  ) {}

  get synced(): boolean {
    return this.synced_;
  }

  /** The object `namespace/name` ("" namespace for cluster-scoped kinds). */
  get(namespace: string, name: string): KubeObject | undefined {
    return this.objects.get(`${namespace}/${name}`);
  }

  start(): void {
    void this.relist();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.abort?.abort();
  }

  private retry(err: unknown): void {
    if (this.stopped) return;
    this.synced_ = false;
    this.opts.onError?.(err);
    const delay = Math.min(this.opts.backoffMaxMs, this.opts.backoffInitialMs * 2 ** this.failures++);
    this.timer = setTimeout(() => void this.relist(), delay);
  }

  private async relist(): Promise<void> {
    if (this.stopped) return;
    let listed: { items: KubeObject[]; resourceVersion: string };
    try {
      listed = await this.cluster.list(this.type.apiVersion, this.type.kind, this.namespace);
    } catch (err) {
      this.retry(err);
      return;
    }
    if (this.stopped) return;
    const fresh = new Map(listed.items.map((o) => [objectKeyOf(withKind(o, this.type)), withKind(o, this.type)]));
    const old = new Map(this.objects);
    this.objects.clear();
    for (const [k, o] of fresh) this.objects.set(k, o);
    this.synced_ = true;
    this.resourceVersion = listed.resourceVersion;
    for (const [k, o] of old) if (!fresh.has(k)) this.opts.onChange("deleted", o);
    for (const [k, o] of fresh) {
      const before = old.get(k);
      if (!before) this.opts.onChange("added", o);
      else if (before.metadata?.resourceVersion !== o.metadata?.resourceVersion) this.opts.onChange("modified", o);
    }
    this.opts.onSynced?.();
    await this.watch();
  }

  private async watch(): Promise<void> {
    if (this.stopped) return;
    const { plural, apiVersion } = this.type;
    const scope = this.namespace ? `/namespaces/${encodeURIComponent(this.namespace)}` : "";
    const path = `${apiVersion.includes("/") ? "/apis" : "/api"}/${apiVersion}${scope}/${plural}`;
    let gone = false;
    let sawEvent = false;
    const done = (err: unknown) => {
      if (this.stopped) return;
      if (err || gone) {
        this.retry(err ?? new Error("watch expired (410)"));
        return;
      }
      // The server ended the stream (its timeout): watch again from the last version.
      if (sawEvent) void this.watch();
      else this.timer = setTimeout(() => void this.watch(), this.opts.backoffInitialMs);
    };
    try {
      this.abort = await new Watch(this.cluster.kubeConfig).watch(
        path,
        { resourceVersion: this.resourceVersion, allowWatchBookmarks: true },
        (phase: string, raw: unknown) => {
          sawEvent = true;
          const obj = withKind(raw as KubeObject, this.type);
          if (phase === "ERROR") {
            gone = true;
            this.abort?.abort();
            return;
          }
          this.resourceVersion = obj.metadata?.resourceVersion ?? this.resourceVersion;
          if (phase === "BOOKMARK") return;
          const key = objectKeyOf(obj);
          if (phase === "DELETED") {
            this.objects.delete(key);
            this.opts.onChange("deleted", obj);
          } else {
            const existed = this.objects.has(key);
            this.objects.set(key, obj);
            this.opts.onChange(existed ? "modified" : "added", obj);
          }
          this.failures = 0;
        },
        done,
      );
    } catch (err) {
      this.retry(err);
    }
  }
}

/** List items come without apiVersion and kind. */
function withKind(obj: KubeObject, type: ResourceType): KubeObject {
  if (obj.kind && obj.apiVersion) return obj;
  return { ...obj, apiVersion: type.apiVersion, kind: type.kind };
}
