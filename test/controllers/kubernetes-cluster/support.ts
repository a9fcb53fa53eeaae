/**
 * Helpers for the cluster controller's tests against real member clusters: Nodes written as a
 * kubelet writes them (the Node, then its status), CustomResourceDefinitions, and a TCP proxy
 * that can stop forwarding without closing anything (a network that silently drops packets).
 */
import { createConnection, createServer } from "node:net";
import type { AddressInfo, Socket } from "node:net";
import { ApiextensionsV1Api, CoreV1Api } from "@kubernetes/client-node";
import type { KubeConfig, V1NodeCondition } from "@kubernetes/client-node";

/** Condition statuses by type; the rest of a kubelet's defaults stay. */
export type Conditions = Record<string, "True" | "False" | "Unknown">;

const kubeletDefaults: Conditions = { MemoryPressure: "False", DiskPressure: "False", PIDPressure: "False", Ready: "True" };

const reasons: Record<string, [string, string]> = {
  "Ready/True": ["KubeletReady", "kubelet is posting ready status"],
  "Ready/False": ["KubeletNotReady", "container runtime network not ready"],
  "MemoryPressure/True": ["KubeletHasInsufficientMemory", "kubelet has insufficient memory available"],
  "MemoryPressure/False": ["KubeletHasSufficientMemory", "kubelet has sufficient memory available"],
  "DiskPressure/False": ["KubeletHasNoDiskPressure", "kubelet has no disk pressure"],
  "PIDPressure/False": ["KubeletHasSufficientPID", "kubelet has sufficient PID available"],
};

function conditions(set: Conditions): V1NodeCondition[] {
  const now = new Date();
  return Object.entries({ ...kubeletDefaults, ...set }).map(([type, status]) => {
    const [reason, message] = reasons[`${type}/${status}`] ?? [`${type}${status}`, `${type} is ${status}`];
    return { type, status, reason, message, lastHeartbeatTime: now, lastTransitionTime: now };
  });
}

/** Registers a Node as a kubelet does (POST the Node, then PUT its status) with a kubelet's usual conditions. */
export async function registerNode(kc: KubeConfig, name: string, set: Conditions = {}): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const created = await core.createNode({ body: { metadata: { name, labels: { "kubernetes.io/hostname": name } } } });
  await core.replaceNodeStatus({ name, body: { ...created, status: { conditions: conditions(set) } } });
}

/** Sets some of a Node's conditions, as the kubelet reports a change. */
export async function setNodeConditions(kc: KubeConfig, name: string, set: Conditions): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const node = await core.readNode({ name });
  const current = Object.fromEntries((node.status?.conditions ?? []).map((c) => [c.type, c.status])) as Conditions;
  await core.replaceNodeStatus({ name, body: { ...node, status: { ...node.status, conditions: conditions({ ...current, ...set }) } } });
}

export async function deleteNode(kc: KubeConfig, name: string): Promise<void> {
  await kc.makeApiClient(CoreV1Api).deleteNode({ name });
}

/** A namespaced CustomResourceDefinition `<plural>.<group>`; the API server marks it Established. */
export async function createCrd(kc: KubeConfig, plural: string, group: string): Promise<void> {
  const kind = plural.charAt(0).toUpperCase() + plural.slice(1, -1);
  await kc.makeApiClient(ApiextensionsV1Api).createCustomResourceDefinition({
    body: {
      metadata: { name: `${plural}.${group}` },
      spec: {
        group,
        scope: "Namespaced",
        names: { plural, singular: plural.slice(0, -1), kind },
        versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object", x_kubernetes_preserve_unknown_fields: true } } }],
      },
    },
  });
}

export async function deleteCrd(kc: KubeConfig, name: string): Promise<void> {
  await kc.makeApiClient(ApiextensionsV1Api).deleteCustomResourceDefinition({ name });
}

export interface FreezingProxy {
  /** `127.0.0.1:PORT`. */
  readonly address: string;
  /** Stops forwarding in both directions, keeping every connection open and accepting new ones (that go nowhere). */
  freeze(): void;
  thaw(): void;
  close(): Promise<void>;
}

/** A TCP proxy in front of `target` that can black-hole traffic: what a partition looks like to a client. */
export async function startFreezingProxy(target: string): Promise<FreezingProxy> {
  const url = new URL(target);
  const sockets = new Set<Socket>();
  const pairs = new Set<[Socket, Socket]>();
  let frozen = false;
  const pipe = ([client, upstream]: [Socket, Socket]) => {
    client.pipe(upstream);
    upstream.pipe(client);
  };
  const server = createServer((client) => {
    const upstream = createConnection({ host: url.hostname, port: Number(url.port) });
    const pair: [Socket, Socket] = [client, upstream];
    for (const s of pair) {
      sockets.add(s);
      s.on("close", () => {
        sockets.delete(s);
        pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      });
      s.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    pairs.add(pair);
    if (frozen) {
      client.pause();
      return;
    }
    pipe(pair);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    address: `127.0.0.1:${port}`,
    freeze() {
      frozen = true;
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
    thaw() {
      frozen = false;
      for (const pair of pairs) {
        pair[0].resume();
        pair[1].resume();
        pipe(pair);
      }
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A copy of `kubeconfig` whose server is `https://<address>` (its certificate names 127.0.0.1, so a loopback proxy passes TLS). */
export function viaAddress(kubeconfig: Record<string, unknown>, address: string): Record<string, unknown> {
  const copy = structuredClone(kubeconfig) as { clusters: Array<{ cluster: { server: string } }> };
  copy.clusters[0]!.cluster.server = `https://${address}`;
  return copy as unknown as Record<string, unknown>;
}
