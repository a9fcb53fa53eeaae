import { createSecureContext } from "node:tls";
import type { RequestOptions } from "node:https";
import { ApiextensionsV1Api, ApiException, CoreV1Api, Observable, Watch } from "@kubernetes/client-node";
import type { ConfigurationOptions, KubeConfig, ObservableMiddleware, V1Node } from "@kubernetes/client-node";
import { Reason_Code } from "../../../gen/krake/core/v1/types.js";
import type { Reason } from "../../../gen/krake/core/v1/types.js";
import type { Clock } from "../../client/clock.js";
import { KubeconfigError } from "../../kubernetes/kube-config.js";

/** An event of the Node watch, as the Kubernetes API sends it. */
export type NodeEvent =
  | { type: "ADDED" | "MODIFIED" | "DELETED"; node: V1Node; resourceVersion: string }
  | { type: "BOOKMARK"; resourceVersion: string }
  /** The server's ERROR event (a Status): `code` 410 means the resource version expired. */
  | { type: "ERROR"; code: number; message: string };

/**
 * What the cluster observer asks of a member cluster. Every call but the watch is bounded by the
 * request timeout; the watch is bounded by the server (`timeoutSeconds`) and watched over by the
 * observer's probe. Failures are thrown as they come; `failureReason` names them.
 */
export interface MemberApi {
  /** Every node (pages of `pageSize`, each within the timeout) and the list's resource version. */
  listNodes(signal: AbortSignal): Promise<{ nodes: V1Node[]; resourceVersion: string }>;
  /** A one-node list: does the cluster answer, and still let Krake read nodes? */
  probe(signal: AbortSignal): Promise<void>;
  /** Whether a CustomResourceDefinition `<plural>.<group>` exists and is Established; why not, otherwise. */
  customResource(name: string, signal: AbortSignal): Promise<{ served: true } | { served: false; why: string }>;
  /**
   * Opens a watch on Nodes from `resourceVersion` (bookmarks on; the server ends it after
   * `timeoutSeconds`). Resolves once the server accepted it, with a function that closes it; `done`
   * is called once when it ends (null: closed by the server), also when opening fails.
   */
  watchNodes(resourceVersion: string, timeoutSeconds: number, onEvent: (ev: NodeEvent) => void, done: (err: unknown) => void): Promise<() => void>;
}

export interface MemberApiOptions {
  timeoutMs: number;
  pageSize: number;
  clock: Clock;
}

/** A timeout of ours (the cluster did not answer in time), told apart from an abort by the caller. */
export class MemberTimeoutError extends Error {
  override name = "MemberTimeoutError";
}

/** The member cluster's API through @kubernetes/client-node, configured by the Cluster's kubeconfig. */
export class KubeMemberApi implements MemberApi {
  private readonly core: CoreV1Api;
  private readonly extensions: ApiextensionsV1Api;
  private readonly watcher: Watch;

  constructor(
    kubeConfig: KubeConfig,
    private readonly opts: MemberApiOptions,
  ) {
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.extensions = kubeConfig.makeApiClient(ApiextensionsV1Api);
    this.watcher = new Watch(kubeConfig);
  }

  async listNodes(signal: AbortSignal): Promise<{ nodes: V1Node[]; resourceVersion: string }> {
    const nodes: V1Node[] = [];
    let next: string | undefined;
    for (;;) {
      const page = await this.bounded(signal, (s) => this.core.listNode({ limit: this.opts.pageSize, _continue: next }, callOptions(s)));
      nodes.push(...page.items);
      next = page.metadata?._continue || undefined;
      if (!next) return { nodes, resourceVersion: page.metadata?.resourceVersion ?? "" };
    }
  }

  async probe(signal: AbortSignal): Promise<void> {
    await this.bounded(signal, (s) => this.core.listNode({ limit: 1 }, callOptions(s)));
  }

  async customResource(name: string, signal: AbortSignal): Promise<{ served: true } | { served: false; why: string }> {
    try {
      const crd = await this.bounded(signal, (s) => this.extensions.readCustomResourceDefinition({ name }, callOptions(s)));
      const established = crd.status?.conditions?.find((c) => c.type === "Established");
      return established?.status === "True" ? { served: true } : { served: false, why: "not established" };
    } catch (err) {
      // The cluster answered: the definition is missing or Krake may not read it. Not a reachability problem.
      if (err instanceof ApiException) return { served: false, why: err.code === 404 ? "not found" : httpFailure(err.code, err, "custom resource definitions") };
      throw err;
    }
  }

  async watchNodes(resourceVersion: string, timeoutSeconds: number, onEvent: (ev: NodeEvent) => void, done: (err: unknown) => void): Promise<() => void> {
    const request = await this.watcher.watch(
      "/api/v1/nodes",
      { resourceVersion, allowWatchBookmarks: true, timeoutSeconds },
      (type: string, obj: { metadata?: { resourceVersion?: string }; code?: number; message?: string }) => {
        const rv = obj?.metadata?.resourceVersion ?? "";
        if (type === "ADDED" || type === "MODIFIED" || type === "DELETED") onEvent({ type, node: obj as V1Node, resourceVersion: rv });
        else if (type === "BOOKMARK") onEvent({ type, resourceVersion: rv });
        else if (type === "ERROR") onEvent({ type, code: obj?.code ?? 0, message: obj?.message ?? "watch error" });
      },
      done,
    );
    return () => request.abort();
  }

  /** Runs `call` with a signal that aborts when `outer` does or when the timeout passes (then MemberTimeoutError). */
  private async bounded<T>(outer: AbortSignal, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    outer.throwIfAborted();
    const ac = new AbortController();
    let timedOut = false;
    const timer = this.opts.clock.setTimer(() => {
      timedOut = true;
      ac.abort();
    }, this.opts.timeoutMs);
    const onAbort = () => ac.abort();
    outer.addEventListener("abort", onAbort, { once: true });
    try {
      return await call(ac.signal);
    } catch (err) {
      if (timedOut) throw new MemberTimeoutError(`no answer within ${this.opts.timeoutMs} ms`);
      throw err;
    } finally {
      timer.cancel();
      outer.removeEventListener("abort", onAbort);
    }
  }
}

/**
 * Throws KubeconfigError when the kubeconfig's CA, client certificate or key do not load (not
 * PEM, a key that does not match its certificate): a fault of the Cluster's spec, reported as
 * such rather than as an unreachable cluster.
 */
export async function checkTlsMaterial(kubeConfig: KubeConfig): Promise<void> {
  const opts: RequestOptions = {};
  try {
    await kubeConfig.applyToHTTPSOptions(opts);
    createSecureContext({ ca: opts.ca, cert: opts.cert, key: opts.key });
  } catch (err) {
    throw new KubeconfigError(`kubeconfig: its certificates or key do not load (${err instanceof Error ? err.message : String(err)})`);
  }
}

/** Per-call options of the generated client that attach `signal` to the request. */
function callOptions(signal: AbortSignal): ConfigurationOptions {
  const attach: ObservableMiddleware = {
    pre: (ctx) => {
      ctx.setSignal(signal);
      return new Observable(Promise.resolve(ctx));
    },
    post: (res) => new Observable(Promise.resolve(res)),
  };
  return { middleware: [attach], middlewareMergeStrategy: "append" };
}

/**
 * A failure of a call to the member cluster as a Krake reason: CLUSTER_NOT_REACHABLE when no
 * answer came (refused, reset, DNS, TLS, timeout), KUBERNETES_ERROR when the cluster answered
 * with an error (401: its credentials are refused; 403: Krake's user may not list nodes).
 */
export function failureReason(err: unknown): Reason {
  if (err instanceof ApiException) return { code: Reason_Code.KUBERNETES_ERROR, message: httpFailure(err.code, err) };
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === "number") return { code: Reason_Code.KUBERNETES_ERROR, message: httpFailure(status, err) };
  const message = err instanceof Error ? err.message : String(err);
  return { code: Reason_Code.CLUSTER_NOT_REACHABLE, message: `not reachable: ${message}` };
}

function httpFailure(code: number, err: unknown, what = "nodes"): string {
  const known: Record<number, string> = {
    401: "the cluster refuses the kubeconfig's credentials",
    403: `the kubeconfig's user may not read ${what}`,
  };
  const detail = statusMessage(err);
  return `HTTP ${code}${known[code] ? `: ${known[code]}` : ""}${detail ? ` (${detail})` : ""}`;
}

/** The message of the Status the cluster answered with, when there is one. */
function statusMessage(err: unknown): string {
  const body = (err as { body?: unknown }).body;
  if (typeof body === "string") {
    try {
      const parsed = JSON.parse(body) as { message?: unknown };
      if (typeof parsed.message === "string") return parsed.message;
    } catch {
      // not JSON
    }
  }
  if (body && typeof body === "object" && typeof (body as { message?: unknown }).message === "string") return (body as { message: string }).message;
  // client-node's ApiException says "HTTP-Code: 401\nMessage: Unauthorized\n…": keep the short line
  const line = (err instanceof Error ? err.message : "").split("\n").find((l) => l.startsWith("Message: "));
  const text = line?.slice("Message: ".length) ?? "";
  return text === "Unknown API Status Code!" ? "" : text;
}
