/**
 * status.services as Krake fills it: a NodePort Service is reachable at the
 * cluster API's host and its first port's nodePort; a LoadBalancer at its
 * first ingress IP (or `<pending>` until one is assigned) and its first port.
 * Other Services have no entry.
 */
import { isRecord } from "../manifest/resource-id.js";

type Obj = Record<string, unknown>;

export function serviceEndpoints(objects: readonly Obj[], clusterHost: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const o of objects) {
    if (o.kind !== "Service") continue;
    const name = String(isRecord(o.metadata) ? o.metadata.name : "");
    const spec = isRecord(o.spec) ? o.spec : {};
    const ports = Array.isArray(spec.ports) ? spec.ports.filter(isRecord) : [];
    if (spec.type === "LoadBalancer") {
      const status = isRecord(o.status) ? o.status : {};
      const lb = isRecord(status.loadBalancer) ? status.loadBalancer : {};
      const ingress = Array.isArray(lb.ingress) ? lb.ingress.filter(isRecord) : [];
      const ip = ingress[0]?.ip ?? ingress[0]?.hostname ?? "<pending>";
      const port = ports[0]?.port ?? "<pending>";
      out[name] = `${String(ip)}:${String(port)}`;
      continue;
    }
    const nodePort = ports[0]?.nodePort;
    if (typeof nodePort === "number") out[name] = `${clusterHost}:${nodePort}`;
  }
  return out;
}

/** The host of a kube-apiserver URL (`https://10.0.0.1:6443` → `10.0.0.1`). */
export function apiHost(server: string): string {
  try {
    return new URL(server).hostname.replace(/^\[|\]$/g, "");
  } catch {
    return server;
  }
}
