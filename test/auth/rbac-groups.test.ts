/**
 * RBAC group bindings: a RoleBinding's `groups` grant its roles to every user
 * whose certificate carries the group as an O entry, on both transports; a
 * change to a binding applies to the next request; /me lists roles bound
 * through groups; a binding needs users or groups, and group names follow the
 * rules of user names.
 */
import { expect } from "chai";
import { status as GrpcStatus } from "@grpc/grpc-js";
import type { ServiceError } from "@grpc/grpc-js";
import { Role } from "../../gen/krake/core/v1/role.js";
import { RoleBinding } from "../../gen/krake/core/v1/role_binding.js";
import { EventType } from "../../gen/krake/core/v1/watch.js";
import * as clusterGen from "../../gen/krake/kubernetes/v1/cluster.js";
import type { ResourceAttributes } from "../../src/apiserver/auth/attributes.js";
import { RbacAuthorizer } from "../../src/apiserver/auth/rbac.js";
import { RbacIndex } from "../../src/apiserver/auth/rbac-index.js";
import type { UserInfo } from "../../src/apiserver/auth/user.js";
import { allKinds, roleBindingKind, roleKind } from "../../src/apiserver/kinds/index.js";
import { CachedObject } from "../../src/apiserver/objects/cached-object.js";
import { KindCache } from "../../src/apiserver/watchcache/kind-cache.js";
import { ApiError, Status } from "../../src/errors/api-error.js";
import type { KrakeClients } from "../../src/client/clients.js";
import { expectCode, startApi, uniquePrefix } from "../fixtures/api.js";
import type { ApiHarness } from "../fixtures/api.js";
import { StreamRecorder } from "../fixtures/stream-recorder.js";
import { startEtcd } from "../fixtures/etcd.js";
import type { EtcdProcess } from "../fixtures/etcd.js";
import { runCli, show, Workdir } from "../cli/harness.js";
import { objectJson } from "./support/rbac-cases.js";
import type { Json } from "./support/rbac-cases.js";
import { baseRoles, bootstrapInto, makePki, startSecureApi } from "./support/secure-api.js";
import type { Identity, Pki, SecureApi } from "./support/secure-api.js";

const rbacYaml = `
api: core
kind: Role
metadata: {name: g-cluster-reader}
rules:
  - {api: kubernetes, resources: [clusters], namespaces: [ns-a], verbs: [get, list]}
---
api: core
kind: Role
metadata: {name: g-direct}
rules:
  - {api: core, resources: [roles], namespaces: [], verbs: [get]}
---
api: core
kind: RoleBinding
metadata: {name: g-team-a}
groups: [team-a]
roles: [g-cluster-reader]
---
api: core
kind: RoleBinding
metadata: {name: g-gina}
users: [gina]
roles: [g-direct]
`;

const clusterKind = allKinds.find((k) => k.kind === "Cluster")!;
const getFx = { namespace: "ns-a", name: "fx" };
const fxPath = "/kubernetes/namespaces/ns-a/clusters/fx";

/** The `krake-field-errors` trailer's field paths. */
function trailerFields(err: ServiceError): string[] {
  const raw = err.metadata.get("krake-field-errors")[0];
  expect(raw, "krake-field-errors trailer").to.be.a("string");
  return (JSON.parse(raw as string) as { field: string }[]).map((e) => e.field);
}

describe("auth: RBAC group bindings", function () {
  this.timeout(60_000);
  let etcd: EtcdProcess;
  let pki: Pki;
  let api: SecureApi;
  let admin: Identity;
  let adminClients: KrakeClients;

  before(async () => {
    etcd = await startEtcd();
    pki = makePki();
    admin = pki.user("system:admin");
    const prefix = uniquePrefix();
    await bootstrapInto(etcd, prefix, baseRoles, rbacYaml);
    api = await startSecureApi(etcd, pki, { clientCert: "required", authorization: "rbac", prefix });
    adminClients = api.clients(admin);
    const fx = clusterGen.Cluster.fromJSON(objectJson(clusterKind, "fx", "ns-a"));
    await adminClients.clusters.createCluster({ namespace: "ns-a", cluster: fx, blocking: "" });
  });
  after(async () => {
    await api?.stop();
    pki?.remove();
    await etcd?.stop();
  });

  const channels = new Map<Identity, KrakeClients>();
  const clientsOf = (id: Identity): KrakeClients => {
    let clients = channels.get(id);
    if (!clients) channels.set(id, (clients = api.clients(id)));
    return clients;
  };
  /** "allowed" or the gRPC code of GetCluster ns-a/fx as `id`. */
  const grpcGet = (id: Identity) =>
    clientsOf(id).clusters.getCluster(getFx).then(() => "allowed", (e: ServiceError) => e.code);
  const restGet = async (id: Identity) => (await api.rest(id, "GET", fxPath)).status;

  it("allows a user only through a group binding, on gRPC and REST", async () => {
    for (const id of [pki.user("gina", "team-a"), pki.user("hank", "unrelated", "team-a")]) {
      expect(await grpcGet(id)).to.equal("allowed");
      expect(await restGet(id)).to.equal(200);
    }
    // gina's own binding does not cover clusters: the group binding is what allows it.
    const direct = await adminClients.roleBindings.getRoleBinding({ name: "g-gina" });
    expect(direct.roles).to.deep.equal(["g-direct"]);
  });

  it("denies a user of another group, and a user named like the group, on gRPC and REST", async () => {
    for (const id of [pki.user("gus", "team-b"), pki.user("team-a")]) {
      const err = await expectCode(clientsOf(id).clusters.getCluster(getFx), GrpcStatus.PERMISSION_DENIED);
      expect(err.details).to.match(/may not get kubernetes\/clusters in namespace "ns-a"/);
      const rest = await api.rest(id, "GET", fxPath);
      expect(rest.status, rest.text).to.equal(403);
      expect(rest.json.code).to.equal("PERMISSION_DENIED");
    }
    // Not even the existence of a missing object leaks.
    const missing = await api.rest(pki.user("gus", "team-b"), "GET", "/kubernetes/namespaces/ns-a/clusters/nope");
    expect(missing.status).to.equal(403);
  });

  it("/me lists the roles bound directly and through the groups", async () => {
    const gina = await api.rest(pki.user("gina", "team-a"), "GET", "/me");
    expect(gina.status, gina.text).to.equal(200);
    expect(gina.json).to.deep.equal({ user: "gina", groups: ["team-a"], roles: ["g-cluster-reader", "g-direct"] });
    const hank = await api.rest(pki.user("hank", "unrelated", "team-a"), "GET", "/me");
    expect(hank.json).to.deep.equal({ user: "hank", groups: ["unrelated", "team-a"], roles: ["g-cluster-reader"] });
    const gus = await api.rest(pki.user("gus", "team-b"), "GET", "/me");
    expect(gus.json).to.deep.equal({ user: "gus", groups: ["team-b"], roles: [] });
  });

  it("a change to a group binding applies to the next request, whichever transport made it", async () => {
    const ivy = pki.user("ivy", "team-x");
    expect(await grpcGet(ivy)).to.equal(GrpcStatus.PERMISSION_DENIED);
    const created = await adminClients.roleBindings.createRoleBinding({
      roleBinding: RoleBinding.fromPartial({ api: "core", kind: "RoleBinding", metadata: { name: "g-team-x" }, groups: ["team-x"], roles: ["g-cluster-reader"] }),
    });
    expect(created.groups).to.deep.equal(["team-x"]);
    expect(created.users).to.deep.equal([]);
    expect(await grpcGet(ivy)).to.equal("allowed");
    expect(await restGet(ivy)).to.equal(200);

    // gRPC update: the group leaves the binding.
    const moved = await adminClients.roleBindings.updateRoleBinding({ name: "g-team-x", roleBinding: { ...created, groups: ["team-y"] } });
    expect(await grpcGet(ivy)).to.equal(GrpcStatus.PERMISSION_DENIED);
    expect(await restGet(ivy)).to.equal(403);
    expect((await api.rest(ivy, "GET", "/me")).json.roles).to.deep.equal([]);

    // REST update: the group comes back, then leaves for a users-only binding.
    const doc = (await api.rest(admin, "GET", "/core/rolebindings/g-team-x")).json;
    expect(doc.groups).to.deep.equal(["team-y"]);
    expect((doc.metadata as Json).resource_version).to.equal(moved.metadata!.resourceVersion);
    const back = await api.rest(admin, "PUT", "/core/rolebindings/g-team-x", { ...doc, groups: ["team-y", "team-x"] });
    expect(back.status, back.text).to.equal(200);
    expect(await restGet(ivy)).to.equal(200);
    expect(await grpcGet(ivy)).to.equal("allowed");
    const usersOnly = await api.rest(admin, "PUT", "/core/rolebindings/g-team-x", { ...back.json, users: ["someone"], groups: [] });
    expect(usersOnly.status, usersOnly.text).to.equal(200);
    expect(await restGet(ivy)).to.equal(403);
    expect(await grpcGet(ivy)).to.equal(GrpcStatus.PERMISSION_DENIED);
  });

  it("removing the group from a binding closes a watch it allowed with PERMISSION_DENIED before its next event", async () => {
    const jack = pki.user("jack", "team-w");
    const binding = await adminClients.roleBindings.createRoleBinding({
      roleBinding: RoleBinding.fromPartial({ api: "core", kind: "RoleBinding", metadata: { name: "g-team-w" }, groups: ["team-w"], roles: ["g-cluster-reader"] }),
    });
    const watch = new StreamRecorder(
      clientsOf(jack).clusters.watchClusters(clusterGen.WatchClustersRequest.fromPartial({ namespace: "ns-a", sendInitialEvents: true })),
    );
    const names = () => watch.messages.filter((ev) => ev.type !== EventType.BOOKMARK).map((ev) => ev.object!.metadata!.name);
    await watch.until((ms) => ms.some((ev) => ev.type === EventType.BOOKMARK), "the end of the initial events");
    expect(names()).to.include("fx");
    await adminClients.roleBindings.updateRoleBinding({ name: "g-team-w", roleBinding: { ...binding, groups: ["team-v"] } });
    const after = clusterGen.Cluster.fromJSON(objectJson(clusterKind, "after-revoke", "ns-a"));
    await adminClients.clusters.createCluster({ namespace: "ns-a", cluster: after, blocking: "" });
    const status = await watch.ended();
    expect(status.code).to.equal(GrpcStatus.PERMISSION_DENIED);
    expect(status.details).to.match(/User "jack" may not watch kubernetes\/clusters in namespace "ns-a"/);
    expect(names()).not.to.include("after-revoke");
  });

  describe("validation", () => {
    const binding = (name: string, fields: Partial<RoleBinding>) =>
      RoleBinding.fromPartial({ api: "core", kind: "RoleBinding", metadata: { name }, roles: ["g-direct"], ...fields });

    it("gRPC: a binding needs users or groups, and group names must not be blank (INVALID_ARGUMENT)", async () => {
      const cases: [string, Partial<RoleBinding>, string[]][] = [
        ["no users and no groups", { users: [], groups: [] }, ["users"]],
        ["a blank group", { groups: ["ok", " "] }, ["groups[1]"]],
        ["an empty group beside users", { users: ["alice"], groups: [""] }, ["groups[0]"]],
      ];
      for (const [name, fields, expected] of cases) {
        const err = await expectCode(adminClients.roleBindings.createRoleBinding({ roleBinding: binding("v-grpc", fields) }), GrpcStatus.INVALID_ARGUMENT);
        expect(trailerFields(err), name).to.deep.equal(expected);
        for (const field of expected) expect(err.details, name).to.contain(field);
      }
      const err = await expectCode(adminClients.roleBindings.createRoleBinding({ roleBinding: binding("v-grpc", {}) }), GrpcStatus.INVALID_ARGUMENT);
      expect(trailerFields(err)).to.deep.equal(["users"]);
      expect(err.details).to.match(/users: must not be empty unless "groups" is set/);

      // Update is validated the same way.
      const created = await adminClients.roleBindings.createRoleBinding({ roleBinding: binding("v-grpc-update", { groups: ["team-z"] }) });
      const update = adminClients.roleBindings.updateRoleBinding({ name: "v-grpc-update", roleBinding: { ...created, groups: [] } });
      expect(trailerFields(await expectCode(update, GrpcStatus.INVALID_ARGUMENT))).to.deep.equal(["users"]);
      await expectCode(adminClients.roleBindings.getRoleBinding({ name: "v-grpc" }), GrpcStatus.NOT_FOUND);
    });

    it("REST: the same errors are 422 problems naming the field; Krake-shaped users-only bindings still work", async () => {
      const post = (body: Json) => api.rest(admin, "POST", "/core/rolebindings", body);
      const doc = (name: string, fields: Json): Json => ({ api: "core", kind: "RoleBinding", metadata: { name }, roles: ["g-direct"], ...fields });
      const cases: [string, Json, string[]][] = [
        ["no users and no groups", { users: [], groups: [] }, ["users"]],
        ["nulls, as Krake's clients send them", { users: null, groups: null }, ["users"]],
        ["a blank group", { users: [], groups: ["ok", "  "] }, ["groups[1]"]],
      ];
      for (const [name, fields, expected] of cases) {
        const res = await post(doc("v-rest", fields));
        expect(res.status, `${name}: ${res.text}`).to.equal(422);
        expect(res.json.code).to.equal("INVALID_ARGUMENT");
        expect((res.json.errors as Json[]).map((e) => e.field), name).to.deep.equal(expected);
      }
      expect((await api.rest(admin, "GET", "/core/rolebindings/v-rest")).status).to.equal(404);

      // A binding as Krake's clients write it: no groups field at all.
      const krake = await post(doc("v-rest-krake", { users: ["alice"] }));
      expect(krake.status, krake.text).to.equal(200);
      expect(krake.json.users).to.deep.equal(["alice"]);
      expect(krake.json.groups).to.deep.equal([]);
      const emptied = await api.rest(admin, "PUT", "/core/rolebindings/v-rest-krake", { ...krake.json, users: [] });
      expect(emptied.status, emptied.text).to.equal(422);
      expect((emptied.json.errors as Json[]).map((e) => e.field)).to.deep.equal(["users"]);

      const groupsOnly = await post(doc("v-rest-groups", { groups: ["team-q"] }));
      expect(groupsOnly.status, groupsOnly.text).to.equal(200);
      expect(groupsOnly.json.groups).to.deep.equal(["team-q"]);
    });
  });
});

describe("auth: RBAC group bindings in the authorizer's decision cache", () => {
  const attrs: ResourceAttributes = { verb: "get", api: "kubernetes", resource: "clusters", namespaced: true, namespace: "ns-a" };
  const as = (name: string, ...groups: string[]): UserInfo => ({ name, groups, provider: "test" });

  /** Real KindCaches fed as the store watch would: one Role "r" that allows `attrs`, and bindings. */
  function setup() {
    const roles = new KindCache(roleKind, 10);
    const bindings = new KindCache(roleBindingKind, 10);
    let revision = 0;
    const role = Role.fromPartial({ api: "core", kind: "Role", metadata: { name: "r" }, rules: [{ api: "kubernetes", resources: ["clusters"], namespaces: ["ns-a"], verbs: ["get"] }] });
    roles.put(new CachedObject("/k/core/roles/r", role, ++revision, Role), true);
    const bind = (name: string, users: string[], groups: string[]) =>
      bindings.put(new CachedObject(`/k/core/rolebindings/${name}`, RoleBinding.fromPartial({ api: "core", kind: "RoleBinding", metadata: { name }, users, groups, roles: ["r"] }), ++revision, RoleBinding), true);
    const index = new RbacIndex(roles, bindings);
    return { index, rbac: new RbacAuthorizer(index), bind };
  }

  const decide = (rbac: RbacAuthorizer, user: UserInfo): string => {
    try {
      rbac.authorize(user, attrs);
      return "allowed";
    } catch (err) {
      expect(err).to.be.instanceOf(ApiError);
      expect((err as ApiError).code).to.equal(Status.PERMISSION_DENIED);
      return "denied";
    }
  };

  it("decides per user name and bound groups: the same name without the group is denied after an allowed decision", () => {
    const { rbac, bind } = setup();
    bind("ops", [], ["ops"]);
    expect(decide(rbac, as("alice", "ops"))).to.equal("allowed");
    expect(decide(rbac, as("alice"))).to.equal("denied");
    expect(decide(rbac, as("alice", "dev"))).to.equal("denied");
    expect(decide(rbac, as("alice", "dev", "ops"))).to.equal("allowed");
    // A user name spelled like a cached subject key gains nothing.
    expect(decide(rbac, as('["alice","ops"]'))).to.equal("denied");
    expect(decide(rbac, as("ops"))).to.equal("denied");
  });

  it("shares cached decisions between users whose extra groups are unbound, and forgets them on a binding change", () => {
    const { index, rbac, bind } = setup();
    bind("ops", [], ["ops"]);
    expect(index.subjectKey("alice", ["dev", "ops", "qa"])).to.equal(index.subjectKey("alice", ["ops"]));
    expect(index.subjectKey("alice", ["ops"])).not.to.equal(index.subjectKey("alice"));
    expect(decide(rbac, as("alice", "dev", "ops"))).to.equal("allowed");
    bind("ops", [], ["qa"]);
    expect(decide(rbac, as("alice", "dev", "ops"))).to.equal("denied");
    expect(decide(rbac, as("alice", "qa"))).to.equal("allowed");
    expect(index.rolesOf("alice", ["qa", "ops"])).to.deep.equal(["r"]);
    bind("direct", ["alice"], []);
    expect(decide(rbac, as("alice"))).to.equal("allowed");
    expect(index.rolesOf("alice", ["qa"])).to.deep.equal(["r"]);
  });
});

describe("krakectl core rolebinding create --groups", function () {
  this.timeout(60_000);
  let etcd: EtcdProcess;
  let api: ApiHarness;
  let work: Workdir;

  before(async () => {
    etcd = await startEtcd();
    api = await startApi(etcd);
    work = await Workdir.create();
  });
  after(async () => {
    await work?.remove();
    await api?.stop();
    await etcd?.stop();
  });

  const cli = (args: string[]) => runCli(work, ["core", "rolebinding", "create", ...args], { env: { KRAKECTL_API_URL: api.address } });

  it("binds groups (repeatable or comma-separated), with or without users", async () => {
    const r = await cli(["ops", "--groups", "team-a,team-b", "--groups", "team-c", "--roles", "viewer", "-o", "json"]);
    expect(r.code, show(r)).to.equal(0);
    const printed = JSON.parse(r.stdout) as Json;
    expect(printed.groups).to.deep.equal(["team-a", "team-b", "team-c"]);
    expect(printed.users).to.deep.equal([]);
    const stored = await api.clients.roleBindings.getRoleBinding({ name: "ops" });
    expect(stored.groups).to.deep.equal(["team-a", "team-b", "team-c"]);
    const both = await cli(["both", "--users", "alice", "--groups", "team-a", "--roles", "viewer", "-o", "json"]);
    expect(both.code, show(both)).to.equal(0);
    expect(JSON.parse(both.stdout)).to.deep.include({ users: ["alice"], groups: ["team-a"] });
    const table = await runCli(work, ["core", "rb", "list"], { env: { KRAKECTL_API_URL: api.address } });
    expect(table.stdout, show(table)).to.match(/^NAME\s+USERS\s+GROUPS\s+ROLES\s+AGE$/m);
    expect(table.stdout).to.match(/^ops\s+<none>\s+team-a,team-b,team-c\s+viewer\s+\d+s$/m);
    expect(table.stdout).to.match(/^both\s+alice\s+team-a\s+viewer\s+\d+s$/m);
  });

  it("refuses a binding with neither users nor groups (usage error); blank group words are dropped", async () => {
    const none = await cli(["nobody", "--roles", "viewer"]);
    expect(none.code, show(none)).to.equal(2);
    expect(none.stderr).to.match(/needs --users and\/or --groups, and --roles/);
    const blank = await cli(["blank", "--groups", "team-a", "--groups", " ", "--roles", "viewer"]);
    // collectWords drops blank words, so the flag alone cannot send one: the binding is created with team-a.
    expect(blank.code, show(blank)).to.equal(0);
    expect((await api.clients.roleBindings.getRoleBinding({ name: "blank" })).groups).to.deep.equal(["team-a"]);
    await expectCode(api.clients.roleBindings.getRoleBinding({ name: "nobody" }), GrpcStatus.NOT_FOUND);
  });
});
