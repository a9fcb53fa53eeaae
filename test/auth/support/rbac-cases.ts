/**
 * The RBAC matrix: Role definitions, an oracle that expands them into the
 * set of concrete permissions (independently of the authorizer), the cases
 * (every kind × method × namespace) and a gRPC and a REST way to run them.
 */
import { request as httpsRequest } from "node:https";
import { readFileSync } from "node:fs";
import { status as GrpcStatus } from "@grpc/grpc-js";
import type { ServiceError } from "@grpc/grpc-js";
import { generatedKinds } from "../../../gen/kinds.js";
import { EventType } from "../../../gen/krake/core/v1/watch.js";
import { allKinds } from "../../../src/apiserver/kinds/index.js";
import type { AnyKind } from "../../../src/apiserver/objects/kind.js";
import { createClient } from "../../../src/client/promise-client.js";
import type { ResponseStream } from "../../../src/client/promise-client.js";
import { channelOptions } from "./secure-api.js";
import type { Identity, SecureApi } from "./secure-api.js";

export type Json = Record<string, unknown>;
type Verb = "create" | "get" | "list" | "watch" | "update" | "delete";
const VERBS: Verb[] = ["create", "get", "list", "watch", "update", "delete"];
const NAMESPACES = ["ns-a", "ns-b"];
const ALL = "*all*";
const GLOBAL = "-";

interface Rule {
  api: string;
  resources: string[];
  namespaces: string[];
  verbs: string[];
}

/** The users' roles; `bindings` may name roles that do not exist. */
export const ROLES: Record<string, Rule[]> = {
  "m-alice": [
    { api: "kubernetes", resources: ["applications", "applications/status"], namespaces: ["ns-a"], verbs: ["get", "list", "update"] },
    { api: "core", resources: ["metrics"], namespaces: ["ns-a", "ns-b"], verbs: ["create", "delete", "watch"] },
    { api: "core", resources: ["roles"], namespaces: [], verbs: ["get", "list"] },
    { api: "kubernetes", resources: ["clusters/binding"], namespaces: ["ns-b"], verbs: ["update"] },
  ],
  "m-bob": [
    { api: "", resources: ["clusters", "leases"], namespaces: [""], verbs: ["list", "get"] },
    { api: "kubernetes", resources: ["applications/complete", "applications/shutdown"], namespaces: ["*"], verbs: ["update"] },
    { api: "core", resources: ["globalmetrics", "globalmetricsproviders"], namespaces: [], verbs: ["*"] },
    { api: "kubernetes", resources: ["applications"], namespaces: ["ns-b"], verbs: ["list_all"] },
    { api: "*", resources: ["rolebindings"], namespaces: [], verbs: ["delete"] },
  ],
  "m-bob2": [
    { api: "core", resources: ["metricsproviders"], namespaces: ["ns-b"], verbs: ["create", "update", "get"] },
    { api: "kubernetes", resources: ["applications/schedule"], namespaces: ["ns-a"], verbs: ["create"] },
  ],
  "m-dave": [
    { api: "*", resources: ["*"], namespaces: ["*"], verbs: ["watch"] },
    { api: "core", resources: [""], namespaces: ["ns-a"], verbs: ["list_all"] },
  ],
};
export const BINDINGS: Record<string, string[]> = { alice: ["m-alice"], bob: ["m-bob", "m-bob2"], carol: ["m-missing"], dave: ["m-dave"] };
export const USERS = Object.keys(BINDINGS);

export function rbacYaml(): string {
  const docs: string[] = [];
  for (const [name, rules] of Object.entries(ROLES)) docs.push(JSON.stringify({ api: "core", kind: "Role", metadata: { name }, rules }));
  for (const [user, roles] of Object.entries(BINDINGS)) {
    docs.push(JSON.stringify({ api: "core", kind: "RoleBinding", metadata: { name: `m-${user}-binding` }, users: [user], roles }));
  }
  return docs.join("\n---\n");
}

/** RBAC resources of a kind: its plural, status, subresources and actions. */
function resourcesOf(kind: AnyKind): string[] {
  const out = [kind.plural];
  if (kind.emptyStatus) out.push(`${kind.plural}/status`);
  for (const sub of kind.subresources ?? []) out.push(`${kind.plural}/${sub.name}`);
  for (const action of kind.actions ?? []) out.push(`${kind.plural}/${action.name}`);
  return out;
}

/** The oracle: every concrete permission the user's roles grant, as "verb|api|resource|scope". */
export function permissions(user: string): Set<string> {
  const out = new Set<string>();
  const any = (list: string[], value: string) => list.includes(value) || list.includes("") || list.includes("*");
  for (const role of BINDINGS[user]) {
    for (const rule of ROLES[role] ?? []) {
      for (const kind of allKinds) {
        if (!any([rule.api], kind.api)) continue;
        for (const resource of resourcesOf(kind)) {
          if (!any(rule.resources, resource)) continue;
          const everywhere = rule.namespaces.includes("") || rule.namespaces.includes("*");
          const scopes = kind.namespaced ? [...NAMESPACES.filter((ns) => any(rule.namespaces, ns)), ...(everywhere ? [ALL] : [])] : [GLOBAL];
          const verbs = new Set<string>();
          for (const v of rule.verbs) {
            if (v === "*") VERBS.forEach((x) => verbs.add(x));
            else if (v === "list") ["list", "watch"].forEach((x) => verbs.add(x));
            else if (v !== "list_all") verbs.add(v);
          }
          for (const scope of scopes) for (const v of verbs) out.add(`${v}|${kind.api}|${resource}|${scope}`);
          if (rule.verbs.includes("list_all") && kind.namespaced && everywhere) {
            for (const v of ["list", "watch"]) out.add(`${v}|${kind.api}|${resource}|${ALL}`);
          }
        }
      }
    }
  }
  return out;
}

/** Every method's request codec, by "<Rpc>Request", from the kind table. */
export const gen: Record<string, { fromJSON(o: unknown): unknown }> = Object.fromEntries(
  generatedKinds.flatMap((k) =>
    Object.values(k.definition.methods as Record<string, { name: string; requestType: { fromJSON(o: unknown): unknown } }>).map(
      (m) => [`${m.name}Request`, m.requestType] as const,
    )),
);

function fixtureDoc(file: string): Json {
  return JSON.parse(readFileSync(new URL(`../../fixtures/krake/${file}`, import.meta.url), "utf8")) as Json;
}

/** A valid object of each kind (Krake's JSON), harmless for RBAC itself. */
export function objectJson(kind: AnyKind, name: string, namespace: string): Json {
  const base: Record<string, () => Json> = {
    Role: () => ({ rules: [{ api: "nothing", resources: ["nothing"], namespaces: [], verbs: ["get"] }] }),
    RoleBinding: () => ({ users: ["nobody"], roles: ["nothing"] }),
    Metric: () => fixtureDoc("globalmetric.json"),
    GlobalMetric: () => fixtureDoc("globalmetric.json"),
    MetricsProvider: () => fixtureDoc("globalmetricsprovider.json"),
    GlobalMetricsProvider: () => fixtureDoc("globalmetricsprovider.json"),
    Lease: () => ({ spec: { holder_identity: "", lease_duration_seconds: 0, lease_transitions: 0 } }),
  };
  // Every other kind: its Krake fixture, test/fixtures/krake/<kind>.json.
  const doc = (base[kind.kind] ?? (() => fixtureDoc(`${kind.kind.toLowerCase()}.json`)))();
  return { ...doc, api: kind.api, kind: kind.kind, metadata: { name, ...(kind.namespaced ? { namespace } : {}) } };
}

/** Two states of a kind's status.state enum (the table's first two), to flip between. */
function twoStates(kind: AnyKind): [string, string] {
  const names = generatedKinds.find((k) => k.api === kind.api && k.kind === kind.kind)?.state?.names ?? [];
  return [names[0] ?? "", names[1] ?? ""];
}

export const snake = (s: string) => s.replace(/[A-Z]/g, (c, i: number) => (i ? "_" : "") + c.toLowerCase());

export interface Case {
  label: string;
  kind: AnyKind;
  methodKey: string;
  rpc: string;
  streaming: boolean;
  need: string;
  /** gRPC code when allowed: OK, NOT_FOUND, ..., or undefined for "anything but a denial". */
  allowed: number | undefined;
  /** The request in proto JSON; gRPC decodes it with the request type, REST maps it to path and body. */
  json: () => Json;
  namespace: string;
  body?: (json: Json) => unknown;
}

let counter = 0;

function casesOf(kind: AnyKind): Case[] {
  const methods = Object.entries(kind.service as Record<string, { path: string; responseStream: boolean }>).map(([key, m]) => ({
    key,
    rpc: m.path.slice(m.path.lastIndexOf("/") + 1),
    streaming: m.responseStream,
  }));
  const method = (pred: (rpc: string) => boolean) => methods.find((m) => pred(m.rpc))!;
  const bodyKey = snake(kind.kind);
  const out: Case[] = [];
  const add = (m: { key: string; rpc: string; streaming: boolean }, label: string, verb: Verb, resource: string, scope: string,
    namespace: string, allowed: number | undefined, json: () => Json, body?: (json: Json) => unknown) => {
    out.push({ label: `${label}${scope === GLOBAL ? "" : ` @${scope}`}`, kind, methodKey: m.key, rpc: m.rpc, streaming: m.streaming,
      need: `${verb}|${kind.api}|${resource}|${scope}`, allowed, json, namespace, body });
  };
  const nss = kind.namespaced ? NAMESPACES : [""];
  const OK = GrpcStatus.OK;
  for (const ns of nss) {
    const scope = kind.namespaced ? ns : GLOBAL;
    const fx = () => objectJson(kind, "fx", ns);
    add(method((r) => r === `Create${kind.kind}`), "create", "create", kind.plural, scope, ns, OK,
      () => ({ namespace: ns, [bodyKey]: objectJson(kind, `m-${++counter}`, ns) }), (j) => j[bodyKey]);
    add(method((r) => r === `Create${kind.kind}`), "create with an invalid body", "create", kind.plural, scope, ns, GrpcStatus.INVALID_ARGUMENT,
      () => ({ namespace: ns, [bodyKey]: { ...objectJson(kind, "Not A Name!", ns), api: "wrong" } }), (j) => j[bodyKey]);
    add(method((r) => r === `Get${kind.kind}`), "get", "get", kind.plural, scope, ns, OK, () => ({ namespace: ns, name: "fx" }));
    add(method((r) => r === `Get${kind.kind}`), "get a missing object", "get", kind.plural, scope, ns, GrpcStatus.NOT_FOUND,
      () => ({ namespace: ns, name: "absent" }));
    add(method((r) => r.startsWith("List")), "list", "list", kind.plural, scope, ns, OK, () => ({ namespace: ns }));
    add(method((r) => r.startsWith("Watch")), "watch", "watch", kind.plural, scope, ns, OK,
      () => ({ namespace: ns, send_initial_events: true }));
    add(method((r) => r === `Update${kind.kind}`), "update", "update", kind.plural, scope, ns, OK, () => {
      const doc = fx();
      (doc.metadata as Json).labels = { touch: String(++counter) };
      return { namespace: ns, name: "fx", [bodyKey]: doc };
    }, (j) => j[bodyKey]);
    const status = methods.find((m) => m.rpc === `Update${kind.kind}Status`);
    if (status) {
      add(status, "update status", "update", `${kind.plural}/status`, scope, ns, undefined,
        () => ({ namespace: ns, name: "fx", [bodyKey]: { ...fx(), status: { state: twoStates(kind)[counter++ % 2] } } }),
        (j) => j[bodyKey]);
    }
    add(method((r) => r === `Delete${kind.kind}`), "delete a missing object", "delete", kind.plural, scope, ns, GrpcStatus.NOT_FOUND,
      () => ({ namespace: ns, name: "absent" }));
    for (const sub of kind.subresources ?? []) {
      const m = method((r) => r === `${sub.verb}${kind.kind}`);
      const resource = sub.rbacResource ?? `${kind.plural}/${sub.name}`;
      if (sub.name === "binding") {
        const bindings: Record<string, Json> = {
          Application: { cluster: { api: "kubernetes", kind: "Cluster", name: "fx", namespace: ns } },
          Cluster: { cloud: { api: "infrastructure", kind: "Cloud", name: "c1", namespace: ns } },
          MagnumCluster: { project: { api: "openstack", kind: "Project", name: "p1", namespace: ns }, template: "t" },
        };
        const ref = bindings[kind.kind];
        if (!ref) throw new Error(`rbac-cases: a binding body for ${kind.kind} is missing here`);
        add(m, sub.name, "update", resource, scope, ns, OK, () => ({ namespace: ns, name: "fx", binding: ref }), (j) => j.binding);
      } else if (sub.bodyField) {
        // Wrong token: allowed callers reach the hook's own check (401, "hook token is invalid").
        add(m, sub.name, "update", resource, scope, ns, GrpcStatus.UNAUTHENTICATED,
          () => ({ namespace: ns, name: "fx", [sub.bodyField!]: { token: "wrong" } }), (j) => j[sub.bodyField!]);
      } else {
        add(m, sub.name, "update", resource, scope, ns, undefined, () => ({ namespace: ns, name: "fx" }), () => ({}));
      }
    }
    for (const action of kind.actions ?? []) {
      // An action is create on <plural>/<name>; with the kind's object as body (the dry run) it answers for a new object.
      const m = method((r) => r === `${action.verb}${kind.kind}`);
      if (!action.takesObject || !action.bodyField) throw new Error(`rbac-cases: a body for ${m.rpc} is missing here`);
      const field = snake(action.bodyField);
      add(m, action.name, "create", `${kind.plural}/${action.name}`, scope, ns, OK,
        () => ({ namespace: ns, [field]: objectJson(kind, "dry-run", ns) }), (j) => j[field]);
    }
  }
  if (kind.namespaced) {
    add(method((r) => r.startsWith("List")), "list across namespaces", "list", kind.plural, ALL, "", GrpcStatus.OK, () => ({ namespace: "" }));
    add(method((r) => r.startsWith("Watch")), "watch across namespaces", "watch", kind.plural, ALL, "", GrpcStatus.OK,
      () => ({ namespace: "", send_initial_events: true }));
  }
  return out;
}

export const CASES = allKinds.flatMap(casesOf);

/** The outcome of one call: a gRPC code and, for 401s, the message. */
interface Outcome {
  code: number;
  message: string;
}

const HTTP_OF: Record<number, number> = {
  [GrpcStatus.OK]: 200, [GrpcStatus.NOT_FOUND]: 404, [GrpcStatus.INVALID_ARGUMENT]: 422, [GrpcStatus.UNAUTHENTICATED]: 401, [GrpcStatus.PERMISSION_DENIED]: 403,
};

interface Transport {
  name: string;
  call(user: Identity, c: Case): Promise<Outcome>;
}

export function grpcTransport(api: SecureApi): Transport {
  const clients = new Map<string, Record<string, (req: unknown, s?: unknown) => unknown>>();
  return {
    name: "gRPC",
    async call(user, c) {
      const key = `${c.kind.kind}|${user.cert.toString("base64").slice(-40)}`;
      let client = clients.get(key);
      if (!client) {
        client = createClient(c.kind.service as never, api.grpcAddress, api.channel(user), channelOptions) as never;
        clients.set(key, client!);
      }
      const request = gen[`${c.rpc}Request`].fromJSON(c.json());
      if (!c.streaming) {
        try {
          await client![c.methodKey](request);
          return { code: GrpcStatus.OK, message: "" };
        } catch (err) {
          return { code: (err as ServiceError).code, message: (err as ServiceError).details };
        }
      }
      const stream = client![c.methodKey](request) as ResponseStream<{ type: EventType }>;
      return new Promise<Outcome>((resolve) => {
        stream.stream.on("data", (ev: { type: EventType }) => {
          if (ev.type === EventType.BOOKMARK) resolve({ code: GrpcStatus.OK, message: "" });
        });
        stream.stream.on("error", (err: ServiceError) => resolve({ code: err.code, message: err.details }));
      }).finally(() => stream.cancel());
    },
  };
}

export function restTransport(api: SecureApi): Transport {
  const routes = api.api.server.gateway.routes();
  const toCode = Object.fromEntries(Object.entries(HTTP_OF).map(([g, h]) => [h, Number(g)]));
  return {
    name: "REST",
    async call(user, c) {
      const json = c.json();
      const candidates = routes.filter((r) => r.rpc === c.rpc && r.watch === c.streaming);
      const route = candidates.find((r) => r.path.includes("{namespace}") === (c.kind.namespaced && c.namespace !== "")) ?? candidates[0];
      const path = route.path.replace("{namespace}", String(json.namespace ?? "")).replace("{name}", String(json.name ?? ""));
      if (c.streaming) {
        const status = await new Promise<number>((resolve, reject) => {
          const req = httpsRequest({ host: "127.0.0.1", port: api.restPort, path: `${path}?watch&heartbeat=0&send_initial_events=true`,
            method: "GET", ca: api.ca, cert: user.cert, key: user.key, servername: "localhost", agent: false }, (res) => {
            resolve(res.statusCode ?? 0);
            res.destroy();
          });
          req.on("error", reject);
          req.end();
        });
        return { code: toCode[status] ?? -status, message: "" };
      }
      const res = await api.rest(user, route.method, path, c.body?.(json));
      const detail = typeof res.json.detail === "string" ? res.json.detail : "";
      return { code: toCode[res.status] ?? -res.status, message: detail };
    },
  };
}

function judge(c: Case, allowed: boolean, outcome: Outcome): string | undefined {
  const denied = outcome.code === GrpcStatus.PERMISSION_DENIED;
  if (!allowed) return denied ? undefined : `expected PERMISSION_DENIED, got ${outcome.code} ${outcome.message}`;
  if (denied) return `expected access, got PERMISSION_DENIED: ${outcome.message}`;
  if (c.allowed === undefined) return undefined;
  if (c.allowed === GrpcStatus.UNAUTHENTICATED) {
    return outcome.code === c.allowed && /hook token is invalid/.test(outcome.message) ? undefined : `expected the hook's 401, got ${outcome.code} ${outcome.message}`;
  }
  return outcome.code === c.allowed ? undefined : `expected ${c.allowed}, got ${outcome.code} ${outcome.message}`;
}

export async function runCases(t: Transport, user: Identity, cases: Case[], allowed: (c: Case) => boolean): Promise<string[]> {
  const problems: string[] = [];
  for (let i = 0; i < cases.length; i += 8) {
    await Promise.all(cases.slice(i, i + 8).map(async (c) => {
      const outcome = await t.call(user, c);
      const why = judge(c, allowed(c), outcome);
      if (why) problems.push(`${c.kind.kind} ${c.label} (${c.rpc}): ${why}`);
    }));
  }
  return problems;
}

