/**
 * RBAC over both transports, generated: every kind × every method (create,
 * get, get of a missing object, list, list across namespaces, watch, watch
 * across namespaces, update, update status, delete, each subresource) × each
 * namespace × users with different roles. The expectation comes from an
 * oracle that expands the test's own Role definitions into the set of
 * concrete permissions, independently of the authorizer: a call is allowed
 * iff that set holds it, and denied calls are 403 whether the object exists
 * or not.
 */
import { request as httpsRequest } from "node:https";
import { readFileSync } from "node:fs";
import { expect } from "chai";
import { status as GrpcStatus } from "@grpc/grpc-js";
import type { ServiceError } from "@grpc/grpc-js";
import * as leaseGen from "../../gen/krake/core/v1/lease.js";
import * as metricGen from "../../gen/krake/core/v1/metric.js";
import * as metricsProviderGen from "../../gen/krake/core/v1/metrics_provider.js";
import * as roleGen from "../../gen/krake/core/v1/role.js";
import * as roleBindingGen from "../../gen/krake/core/v1/role_binding.js";
import { EventType } from "../../gen/krake/core/v1/watch.js";
import * as applicationGen from "../../gen/krake/kubernetes/v1/application.js";
import * as clusterGen from "../../gen/krake/kubernetes/v1/cluster.js";
import { allKinds } from "../../src/apiserver/kinds/index.js";
import type { AnyKind } from "../../src/apiserver/registry/kind.js";
import { createClient } from "../../src/client/promise-client.js";
import type { ResponseStream } from "../../src/client/promise-client.js";
import { uniquePrefix } from "../fixtures/api.js";
import { startEtcd } from "../fixtures/etcd.js";
import type { EtcdProcess } from "../fixtures/etcd.js";
import { baseRoles, bootstrapInto, channelOptions, makePki, startSecureApi } from "./support/secure-api.js";
import type { Identity, Pki, SecureApi } from "./support/secure-api.js";

type Json = Record<string, unknown>;
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
const ROLES: Record<string, Rule[]> = {
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
  "m-bob2": [{ api: "core", resources: ["metricsproviders"], namespaces: ["ns-b"], verbs: ["create", "update", "get"] }],
  "m-dave": [
    { api: "*", resources: ["*"], namespaces: ["*"], verbs: ["watch"] },
    { api: "core", resources: [""], namespaces: ["ns-a"], verbs: ["list_all"] },
  ],
};
const BINDINGS: Record<string, string[]> = { alice: ["m-alice"], bob: ["m-bob", "m-bob2"], carol: ["m-missing"], dave: ["m-dave"] };
const USERS = Object.keys(BINDINGS);

function rbacYaml(): string {
  const docs: string[] = [];
  for (const [name, rules] of Object.entries(ROLES)) docs.push(JSON.stringify({ api: "core", kind: "Role", metadata: { name }, rules }));
  for (const [user, roles] of Object.entries(BINDINGS)) {
    docs.push(JSON.stringify({ api: "core", kind: "RoleBinding", metadata: { name: `m-${user}-binding` }, users: [user], roles }));
  }
  return docs.join("\n---\n");
}

/** RBAC resources of a kind: its plural, status and subresources. */
function resourcesOf(kind: AnyKind): string[] {
  const out = [kind.plural];
  if (kind.emptyStatus) out.push(`${kind.plural}/status`);
  for (const sub of kind.subresources ?? []) out.push(`${kind.plural}/${sub.name}`);
  return out;
}

/** The oracle: every concrete permission the user's roles grant, as "verb|api|resource|scope". */
function permissions(user: string): Set<string> {
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

const gen = { ...roleGen, ...roleBindingGen, ...metricGen, ...metricsProviderGen, ...leaseGen, ...applicationGen, ...clusterGen } as unknown as Record<
  string,
  { fromJSON(o: unknown): unknown }
>;

function fixtureDoc(file: string): Json {
  return JSON.parse(readFileSync(new URL(`../fixtures/krake/${file}`, import.meta.url), "utf8")) as Json;
}

/** A valid object of each kind (Krake's JSON), harmless for RBAC itself. */
function objectJson(kind: AnyKind, name: string, namespace: string): Json {
  const base: Record<string, () => Json> = {
    Role: () => ({ rules: [{ api: "nothing", resources: ["nothing"], namespaces: [], verbs: ["get"] }] }),
    RoleBinding: () => ({ users: ["nobody"], roles: ["nothing"] }),
    Metric: () => fixtureDoc("globalmetric.json"),
    GlobalMetric: () => fixtureDoc("globalmetric.json"),
    MetricsProvider: () => fixtureDoc("globalmetricsprovider.json"),
    GlobalMetricsProvider: () => fixtureDoc("globalmetricsprovider.json"),
    Lease: () => ({ spec: { holder_identity: "", lease_duration_seconds: 0, lease_transitions: 0 } }),
    Application: () => fixtureDoc("application.json"),
    Cluster: () => fixtureDoc("cluster.json"),
  };
  const doc = base[kind.kind]();
  return { ...doc, api: kind.api, kind: kind.kind, metadata: { name, ...(kind.namespaced ? { namespace } : {}) } };
}

const RUNNING: Record<string, string> = { Application: "RUNNING", Cluster: "ONLINE" };

const snake = (s: string) => s.replace(/[A-Z]/g, (c, i: number) => (i ? "_" : "") + c.toLowerCase());

interface Case {
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
        () => ({ namespace: ns, name: "fx", [bodyKey]: { ...fx(), status: { state: counter++ % 2 ? RUNNING[kind.kind] : "PENDING" } } }),
        (j) => j[bodyKey]);
    }
    add(method((r) => r === `Delete${kind.kind}`), "delete a missing object", "delete", kind.plural, scope, ns, GrpcStatus.NOT_FOUND,
      () => ({ namespace: ns, name: "absent" }));
    for (const sub of kind.subresources ?? []) {
      const m = method((r) => r === `${sub.verb}${kind.kind}`);
      const resource = sub.rbacResource ?? `${kind.plural}/${sub.name}`;
      if (sub.name === "binding") {
        const ref = kind.kind === "Application"
          ? { cluster: { api: "kubernetes", kind: "Cluster", name: "fx", namespace: ns } }
          : { cloud: { api: "infrastructure", kind: "Cloud", name: "c1", namespace: ns } };
        add(m, sub.name, "update", resource, scope, ns, OK, () => ({ namespace: ns, name: "fx", binding: ref }), (j) => j.binding);
      } else if (sub.bodyField) {
        // Wrong token: allowed callers reach the hook's own check (401, "hook token is invalid").
        add(m, sub.name, "update", resource, scope, ns, GrpcStatus.UNAUTHENTICATED,
          () => ({ namespace: ns, name: "fx", [sub.bodyField!]: { token: "wrong" } }), (j) => j[sub.bodyField!]);
      } else {
        add(m, sub.name, "update", resource, scope, ns, undefined, () => ({ namespace: ns, name: "fx" }), () => ({}));
      }
    }
  }
  if (kind.namespaced) {
    add(method((r) => r.startsWith("List")), "list across namespaces", "list", kind.plural, ALL, "", GrpcStatus.OK, () => ({ namespace: "" }));
    add(method((r) => r.startsWith("Watch")), "watch across namespaces", "watch", kind.plural, ALL, "", GrpcStatus.OK,
      () => ({ namespace: "", send_initial_events: true }));
  }
  return out;
}

const CASES = allKinds.flatMap(casesOf);

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

function grpcTransport(api: SecureApi): Transport {
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

function restTransport(api: SecureApi): Transport {
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
            method: "GET", ca: undefined, cert: user.cert, key: user.key, servername: "localhost", agent: false,
            rejectUnauthorized: false }, (res) => {
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

async function runCases(t: Transport, user: Identity, cases: Case[], allowed: (c: Case) => boolean): Promise<string[]> {
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

describe("auth: RBAC matrix on gRPC and REST", function () {
  this.timeout(120_000);
  let etcd: EtcdProcess;
  let pki: Pki;
  let api: SecureApi;
  let admin: Identity;

  before(async () => {
    etcd = await startEtcd();
    pki = makePki();
    admin = pki.user("system:admin");
    const prefix = uniquePrefix();
    await bootstrapInto(etcd, prefix, baseRoles, rbacYaml());
    api = await startSecureApi(etcd, pki, { clientCert: "required", authorization: "rbac", prefix });
    // Fixtures: "fx" of every kind in every namespace, created by the administrator.
    const grpc = grpcTransport(api);
    for (const c of CASES.filter((x) => x.label.split(" @")[0] === "create")) {
      const json = c.json();
      const bodyKey = snake(c.kind.kind);
      const doc = objectJson(c.kind, "fx", c.namespace);
      const outcome = await grpc.call(admin, { ...c, json: () => ({ ...json, [bodyKey]: doc }) });
      expect(outcome.code, `${c.kind.kind} fixture: ${outcome.message}`).to.equal(GrpcStatus.OK);
    }
  });
  after(async () => {
    await api?.stop();
    pki?.remove();
    await etcd?.stop();
  });

  it("covers every kind, method and subresource", () => {
    for (const kind of allKinds) {
      const rpcs = new Set(CASES.filter((c) => c.kind === kind).map((c) => c.rpc));
      for (const m of Object.values(kind.service as Record<string, { path: string }>)) {
        expect(rpcs.has(m.path.slice(m.path.lastIndexOf("/") + 1)), m.path).to.equal(true);
      }
    }
    expect(CASES.length).to.be.greaterThan(100);
  });

  for (const transport of ["gRPC", "REST"]) {
    for (const user of USERS) {
      it(`${transport}: ${user} gets exactly what the bound roles allow (${CASES.length} calls)`, async () => {
        const t = transport === "gRPC" ? grpcTransport(api) : restTransport(api);
        const granted = permissions(user);
        const problems = await runCases(t, pki.user(user), CASES, (c) => granted.has(c.need));
        expect(problems, problems.join("\n")).to.deep.equal([]);
      });
    }
    it(`${transport}: the administrator of the base roles may do everything`, async () => {
      const t = transport === "gRPC" ? grpcTransport(api) : restTransport(api);
      const problems = await runCases(t, admin, CASES, () => true);
      expect(problems, problems.join("\n")).to.deep.equal([]);
    });
  }

  it("the oracle is not trivial: every user has grants and denials", () => {
    for (const user of USERS.filter((u) => u !== "carol")) {
      const granted = permissions(user);
      const allowed = CASES.filter((c) => granted.has(c.need)).length;
      expect(allowed, user).to.be.greaterThan(0).and.lessThan(CASES.length);
    }
    expect(CASES.filter((c) => permissions("carol").has(c.need))).to.deep.equal([]);
  });
});

describe("auth: RBAC changes apply at once; always-deny", function () {
  this.timeout(60_000);
  let etcd: EtcdProcess;
  let pki: Pki;
  let api: SecureApi;
  let admin: Identity;

  before(async () => {
    etcd = await startEtcd();
    pki = makePki();
    admin = pki.user("system:admin");
    const prefix = uniquePrefix();
    await bootstrapInto(etcd, prefix, baseRoles, rbacYaml());
    api = await startSecureApi(etcd, pki, { clientCert: "required", authorization: "rbac", prefix });
    const fx = clusterGen.Cluster.fromJSON(objectJson(allKinds.find((k) => k.kind === "Cluster")!, "fx", "ns-a"));
    await api.clients(admin).clusters.createCluster({ namespace: "ns-a", cluster: fx, blocking: "" });
  });
  after(async () => {
    await api?.stop();
    pki?.remove();
    await etcd?.stop();
  });

  const getCluster = { namespace: "ns-a", name: "fx" };
  const clusterRule = { api: "kubernetes", resources: ["clusters"], namespaces: ["ns-a"], verbs: ["get"] };

  it("gRPC: a role edit takes effect on the very next request", async () => {
    const adminClients = api.clients(admin);
    const alice = api.clients(pki.user("alice"));
    const deny = () => alice.clusters.getCluster(getCluster).then(() => "allowed", (e: ServiceError) => e.code);
    expect(await deny()).to.equal(GrpcStatus.PERMISSION_DENIED);
    for (let round = 0; round < 3; round++) {
      const role = await adminClients.roles.getRole({ name: "m-alice" });
      role.metadata!.resourceVersion = ""; // last write wins
      role.rules.push(roleGen.RoleRule.fromPartial(clusterRule));
      await adminClients.roles.updateRole({ name: "m-alice", role });
      expect(await deny(), `round ${round}: after granting`).to.equal("allowed");
      role.rules.pop();
      await adminClients.roles.updateRole({ name: "m-alice", role });
      expect(await deny(), `round ${round}: after revoking`).to.equal(GrpcStatus.PERMISSION_DENIED);
    }
  });

  it("REST: a role edit takes effect on the very next request", async () => {
    const alice = pki.user("alice");
    const get = async () => (await api.rest(alice, "GET", "/kubernetes/namespaces/ns-a/clusters/fx")).status;
    expect(await get()).to.equal(403);
    const role = (await api.rest(admin, "GET", "/core/roles/m-alice")).json;
    const rules = role.rules as Json[];
    const granted = await api.rest(admin, "PUT", "/core/roles/m-alice", { ...role, rules: [...rules, clusterRule] });
    expect(granted.status, granted.text).to.equal(200);
    expect(await get()).to.equal(200);
    const revoked = await api.rest(admin, "PUT", "/core/roles/m-alice", { ...role, metadata: { ...(role.metadata as Json), resource_version: "" }, rules });
    expect(revoked.status, revoked.text).to.equal(200);
    expect(await get()).to.equal(403);
  });

  /** Binds `user` to m-dave (watch everything) under a fresh binding name. */
  async function bindDave(name: string): Promise<void> {
    await api.clients(admin).roleBindings.createRoleBinding({
      roleBinding: roleBindingGen.RoleBinding.fromPartial({ metadata: { name }, users: ["erin"], roles: ["m-dave"] }),
    });
  }

  async function createApp(name: string): Promise<void> {
    const app = applicationGen.Application.fromJSON(objectJson(allKinds.find((k) => k.kind === "Application")!, name, "ns-a"));
    await api.clients(admin).applications.createApplication({ namespace: "ns-a", application: app, blocking: "" });
  }

  it("gRPC: deleting a binding closes an open watch with PERMISSION_DENIED before its next event", async () => {
    await bindDave("erin-grpc");
    const erin = api.clients(pki.user("erin"));
    const stream = erin.applications.watchApplications(applicationGen.WatchApplicationsRequest.fromPartial({ namespace: "ns-a", sendInitialEvents: true }));
    const seen: string[] = [];
    let bookmark!: () => void;
    const ready = new Promise<void>((r) => (bookmark = r));
    const ended = new Promise<ServiceError>((resolve) => {
      stream.stream.on("data", (ev: { type: EventType; object?: { metadata?: { name: string } } }) => {
        if (ev.type === EventType.BOOKMARK) bookmark();
        else seen.push(ev.object!.metadata!.name);
      });
      stream.stream.on("error", resolve);
    });
    await ready;
    await createApp("before-revoke-grpc");
    await api.clients(admin).roleBindings.deleteRoleBinding(roleBindingGen.DeleteRoleBindingRequest.fromPartial({ name: "erin-grpc" }));
    await createApp("after-revoke-grpc");
    const err = await ended;
    expect(err.code).to.equal(GrpcStatus.PERMISSION_DENIED);
    expect(err.details).to.match(/User "erin" may not watch kubernetes\/applications in namespace "ns-a"/);
    expect(seen).to.include("before-revoke-grpc");
    expect(seen).not.to.include("after-revoke-grpc");
  });

  it("REST: deleting a binding ends an open watch with an ERROR line (403) before its next event", async () => {
    await bindDave("erin-rest");
    const erin = pki.user("erin");
    const lines: Json[] = [];
    let bookmark!: () => void;
    const ready = new Promise<void>((r) => (bookmark = r));
    const ended = new Promise<void>((resolve, reject) => {
      const req = httpsRequest({ host: "127.0.0.1", port: api.restPort, path: "/kubernetes/namespaces/ns-a/applications?watch&heartbeat=0&send_initial_events=true",
        cert: erin.cert, key: erin.key, ca: pki.ca, servername: "localhost", agent: false }, (res) => {
        expect(res.statusCode).to.equal(200);
        let buffer = "";
        res.setEncoding("utf8").on("data", (chunk: string) => {
          buffer += chunk;
          let nl: number;
          while ((nl = buffer.indexOf("\n")) >= 0) {
            const line = buffer.slice(0, nl).trim();
            buffer = buffer.slice(nl + 1);
            if (!line) continue;
            const ev = JSON.parse(line) as Json;
            lines.push(ev);
            if (ev.type === "BOOKMARK") bookmark();
          }
        }).on("end", resolve);
      });
      req.on("error", reject);
      req.end();
    });
    await ready;
    await api.clients(admin).roleBindings.deleteRoleBinding(roleBindingGen.DeleteRoleBindingRequest.fromPartial({ name: "erin-rest" }));
    await createApp("after-revoke-rest");
    await ended;
    const last = lines[lines.length - 1];
    expect(last.type).to.equal("ERROR");
    expect((last.object as Json).status).to.equal(403);
    const names = lines.filter((l) => l.type === "ADDED").map((l) => ((l.object as Json).metadata as Json).name);
    expect(names).not.to.include("after-revoke-rest");
  });

  it("always-deny denies every call of every kind, watches included, on both transports", async () => {
    const prefix = uniquePrefix();
    await bootstrapInto(etcd, prefix, baseRoles);
    const deny = await startSecureApi(etcd, pki, { clientCert: "required", authorization: "always-deny", prefix });
    try {
      for (const t of [grpcTransport(deny), restTransport(deny)]) {
        const problems = await runCases(t, admin, CASES, () => false);
        expect(problems, `${t.name}:\n${problems.join("\n")}`).to.deep.equal([]);
      }
      expect((await deny.rest(admin, "GET", "/me")).json).to.deep.include({ user: "system:admin" });
    } finally {
      await deny.stop();
    }
  });
});
