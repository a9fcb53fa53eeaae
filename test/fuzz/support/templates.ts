/**
 * A valid object of every kind, in Krake's wire shape: the fuzzer's starting
 * point for bodies that get past validation into the deeper code, and the
 * content of the seed objects. The examples of test/fixtures/krake (one per
 * kind, picked up by their `kind`), plus a few written here. A kind with
 * neither (a new one) gets a bare object from `registerKind`, and its bodies
 * come from its OpenAPI schema alone.
 */
import { readdirSync, readFileSync } from "node:fs";
import { clone, isJsonObject, objectOf } from "./json.js";
import type { Json, JsonObject } from "./json.js";

const fixtureDir = new URL("../../fixtures/krake/", import.meta.url);

/** `Application` → `applications`, as the REST paths spell kinds. */
export function pluralOf(kind: string): string {
  return `${kind.toLowerCase()}s`;
}

function fixtures(): Map<string, JsonObject> {
  const out = new Map<string, JsonObject>();
  for (const file of readdirSync(fixtureDir).sort()) {
    if (!file.endsWith(".json")) continue;
    const parsed = JSON.parse(readFileSync(new URL(file, fixtureDir), "utf8")) as Json;
    if (!isJsonObject(parsed) || typeof parsed.kind !== "string") continue;
    const plural = pluralOf(parsed.kind);
    // the first file of a kind wins (globalmetricsprovider-static.json before globalmetricsprovider.json)
    if (!out.has(plural)) out.set(plural, parsed);
  }
  return out;
}

const metricSpec: JsonObject = { provider: { name: "static-demo", metric: "heat-demand" }, min: 0, max: 1, allowed_values: [] };
const staticProvider: JsonObject = { type: "static", static: { metrics: { "heat-demand": 0.4, "electricity-cost": 0.7 } } };

/** By the plural of the REST path. Metadata is filled in by `templateFor`. */
const bodies = new Map<string, JsonObject>([
  ...fixtures(),
  ["metrics", { api: "core", kind: "Metric", metadata: {}, spec: metricSpec }],
  ["metricsproviders", { api: "core", kind: "MetricsProvider", metadata: {}, spec: staticProvider }],
  ["roles", {
    api: "core",
    kind: "Role",
    metadata: {},
    rules: [{ api: "kubernetes", namespaces: ["fuzz"], resources: ["applications", "applications/status"], verbs: ["get", "list"] }],
  }],
  ["rolebindings", { api: "core", kind: "RoleBinding", metadata: {}, users: ["alice"], roles: ["fuzz-reader"] }],
  ["leases", { api: "core", kind: "Lease", metadata: {}, spec: { holder_identity: "replica-1", lease_duration_seconds: 15, lease_transitions: 0 } }],
]);

/** A kind the examples do not cover: a bare object of it (its bodies come from the schema). */
export function registerKind(plural: string, api: string, kind: string): void {
  if (!bodies.has(plural)) bodies.set(plural, { api, kind, metadata: {} });
}

/** The plurals with a template, for mapping protobuf message names to kinds. */
export function hasTemplate(plural: string): boolean {
  return bodies.has(plural);
}

/** A fresh copy of the kind's valid object named `name` (in `namespace` unless ""). */
export function templateFor(plural: string, name: string, namespace: string): JsonObject {
  const base = bodies.get(plural);
  if (!base) throw new Error(`no template for ${plural}`);
  const copy = clone(base) as JsonObject;
  const metadata = isJsonObject(copy.metadata) ? copy.metadata : {};
  const labels = isJsonObject(metadata.labels) ? metadata.labels : { fuzz: "yes" };
  copy.metadata = objectOf([
    ["name", name],
    ...(namespace ? ([["namespace", namespace]] as const) : []),
    ["labels", labels],
  ]);
  return copy;
}

/** Valid bodies of the subresources, by `plural/sub`. */
export function subresourceTemplate(plural: string, sub: string, name: string, namespace: string): JsonObject {
  switch (`${plural}/${sub}`) {
    case "applications/status":
      return { ...templateFor(plural, name, namespace), status: { state: "RUNNING", retries: 0 } };
    case "clusters/status":
    case "clouds/status":
    case "globalclouds/status":
    case "projects/status":
      return { ...templateFor(plural, name, namespace), status: { state: "ONLINE" } };
    case "applications/binding":
      return { cluster: { api: "kubernetes", kind: "Cluster", namespace, name: "fuzz-seed" } };
    case "clusters/binding":
      return { cloud: { api: "infrastructure", kind: "Cloud", namespace, name: "fuzz-seed" } };
    case "applications/complete":
    case "applications/shutdown":
      return { token: "fuzz-token" };
    default:
      return sub === "status" ? { ...templateFor(plural, name, namespace), status: {} } : {};
  }
}
