import type { MetricRef } from "../../gen/krake/core/v1/types.js";
import { Cloud, GlobalCloud } from "../../gen/krake/infrastructure/v1/cloud.js";
import { Application } from "../../gen/krake/kubernetes/v1/application.js";
import { Cluster, ClusterStatus_State } from "../../gen/krake/kubernetes/v1/cluster.js";
import type { MetricReading } from "../../src/scheduling/index.js";
import { timestampFromDate } from "../../src/kinds/timestamp.js";

export const NS = "team";
export const T0 = new Date("2030-01-01T00:00:00.000Z");
export const MINUTE = 60_000;

export function at(ms: number): Date {
  return new Date(T0.getTime() + ms);
}

export interface ClusterOptions {
  namespace?: string;
  labels?: Record<string, string>;
  inheritLabels?: boolean;
  inheritMetrics?: boolean;
  metrics?: [string, number][] | MetricRef[];
  customResources?: string[];
  state?: ClusterStatus_State;
  deleted?: Date;
  boundTo?: { kind: "Cloud" | "GlobalCloud"; name: string; namespace?: string };
}

export function cluster(name: string, o: ClusterOptions = {}): Cluster {
  const namespace = o.namespace ?? NS;
  return Cluster.fromPartial({
    api: "kubernetes",
    kind: "Cluster",
    metadata: {
      name,
      namespace,
      uid: `uid-${namespace}-${name}`,
      labels: o.labels ?? {},
      inheritLabels: o.inheritLabels ?? false,
      ...(o.deleted !== undefined && { deleted: timestampFromDate(o.deleted) }),
    },
    spec: {
      kubeconfig: { apiVersion: "v1" },
      customResources: o.customResources ?? [],
      metrics: toRefs(o.metrics ?? []),
      inheritMetrics: o.inheritMetrics ?? false,
    },
    status: {
      state: o.state ?? ClusterStatus_State.ONLINE,
      ...(o.boundTo !== undefined && {
        scheduledTo: {
          api: "infrastructure",
          kind: o.boundTo.kind,
          namespace: o.boundTo.kind === "Cloud" ? (o.boundTo.namespace ?? namespace) : "",
          name: o.boundTo.name,
        },
      }),
    },
  });
}

function toRefs(metrics: [string, number][] | MetricRef[]): MetricRef[] {
  return metrics.map((m) => (Array.isArray(m) ? { name: m[0], weight: m[1], namespaced: false } : m));
}

export function cloud(name: string, labels: Record<string, string>, metrics: MetricRef[] = [], namespace = NS): Cloud {
  return Cloud.fromPartial({
    api: "infrastructure",
    kind: "Cloud",
    metadata: { name, namespace, uid: `uid-cloud-${name}`, labels },
    spec: { type: "openstack", openstack: { url: "https://keystone.example:5000/v3", metrics } },
  });
}

export function globalCloud(name: string, labels: Record<string, string>, metrics: MetricRef[] = []): GlobalCloud {
  return GlobalCloud.fromPartial({
    api: "infrastructure",
    kind: "GlobalCloud",
    metadata: { name, namespace: "", uid: `uid-gcloud-${name}`, labels },
    spec: { type: "openstack", openstack: { url: "https://keystone.example:5000/v3", metrics } },
  });
}

export interface AppOptions {
  labels?: string[];
  metrics?: string[];
  customResources?: string[];
  migration?: boolean;
  autoClusterCreate?: boolean;
  scheduledTo?: string;
  scheduledAt?: Date;
  uid?: string;
}

export function app(o: AppOptions = {}): Application {
  return Application.fromPartial({
    api: "kubernetes",
    kind: "Application",
    metadata: { name: "web", namespace: NS, uid: o.uid ?? "uid-app-web" },
    spec: {
      manifest: [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" } }],
      constraints: {
        cluster: { labels: o.labels ?? [], metrics: o.metrics ?? [], customResources: o.customResources ?? [] },
        ...(o.migration !== undefined && { migration: o.migration }),
      },
      autoClusterCreate: o.autoClusterCreate ?? false,
    },
    status: {
      ...(o.scheduledTo !== undefined && {
        scheduledTo: { api: "kubernetes", kind: "Cluster", namespace: NS, name: o.scheduledTo },
        scheduled: timestampFromDate(o.scheduledAt ?? T0),
      }),
    },
  });
}

/** A GlobalMetric in [0, 1] (normalised value = raw value) read at `observedAt`. */
export function reading(value: number, observedAt: Date = T0, definition = { min: 0, max: 1, allowedValues: [] as number[] }): MetricReading {
  return { definition, value, observedAt };
}

export function values(entries: Record<string, MetricReading>): Map<string, MetricReading> {
  return new Map(Object.entries(entries));
}

/** mulberry32: a small seeded PRNG, so that "random" tests are the same every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
