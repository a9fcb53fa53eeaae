import { expect } from "chai";
import { Role } from "../../gen/krake/core/v1/role.js";
import type { RoleRule } from "../../gen/krake/core/v1/role.js";
import { RoleBinding } from "../../gen/krake/core/v1/role_binding.js";
import { AccessControl } from "../../src/apiserver/auth/access-control.js";
import type { ResourceAttributes } from "../../src/apiserver/auth/attributes.js";
import { methodAccess } from "../../src/apiserver/auth/attributes.js";
import { AuthenticationChain } from "../../src/apiserver/auth/authenticator.js";
import { AlwaysAllow, AlwaysDeny } from "../../src/apiserver/auth/authorizer.js";
import { RbacAuthorizer, ruleAllows } from "../../src/apiserver/auth/rbac.js";
import { RbacIndex } from "../../src/apiserver/auth/rbac-index.js";
import { observeRbacWrites } from "../../src/apiserver/auth/rbac-writes.js";
import { anonymousUser } from "../../src/apiserver/auth/user.js";
import type { Store } from "../../src/store/store.js";
import type { UserInfo } from "../../src/apiserver/auth/user.js";
import { allKinds, applicationKind, roleKind } from "../../src/apiserver/kinds/index.js";
import { roleBindingKind } from "../../src/apiserver/kinds/index.js";
import { CachedObject } from "../../src/apiserver/objects/cached-object.js";
import { KindCache } from "../../src/apiserver/watchcache/kind-cache.js";
import type { StoreCache } from "../../src/apiserver/watchcache/store-cache.js";
import { ApiError, Status } from "../../src/errors/api-error.js";
import { timestampFromDate } from "../../src/kinds/timestamp.js";

const rule = (r: Partial<RoleRule>): RoleRule => ({ api: "kubernetes", resources: ["applications"], namespaces: ["a"], verbs: ["get"], ...r });
const attrs = (a: Partial<ResourceAttributes>): ResourceAttributes => ({
  verb: "get", api: "kubernetes", resource: "applications", namespaced: true, namespace: "a", ...a,
});

describe("auth: RBAC rule matching", () => {
  const cases: [string, Partial<RoleRule>, Partial<ResourceAttributes>, boolean][] = [
    ["exact match", {}, {}, true],
    ["other verb", {}, { verb: "delete" }, false],
    ["verb *", { verbs: ["*"] }, { verb: "delete" }, true],
    ["watch allowed by list", { verbs: ["list"] }, { verb: "watch" }, true],
    ["watch allowed by watch", { verbs: ["watch"] }, { verb: "watch" }, true],
    ["list not allowed by watch", { verbs: ["watch"] }, { verb: "list" }, false],
    ["get not implied by list", { verbs: ["list"] }, { verb: "get" }, false],
    ["api wildcard \"\"", { api: "" }, {}, true],
    ["api wildcard *", { api: "*" }, {}, true],
    ["other api", { api: "core" }, {}, false],
    ["resource wildcard \"\"", { resources: [""] }, {}, true],
    ["resource wildcard *", { resources: ["*"] }, { resource: "applications/status" }, true],
    ["other resource", { resources: ["clusters"] }, {}, false],
    ["plural does not cover a subresource", {}, { verb: "update", resource: "applications/status" }, false],
    ["subresource does not cover the plural", { resources: ["applications/status"], verbs: ["update"] }, { verb: "update" }, false],
    ["subresource rule", { resources: ["applications/status"], verbs: ["update"] }, { verb: "update", resource: "applications/status" }, true],
    ["other namespace", {}, { namespace: "b" }, false],
    ["namespace wildcard \"\"", { namespaces: [""] }, { namespace: "b" }, true],
    ["namespace wildcard *", { namespaces: ["*"] }, { namespace: "b" }, true],
    ["list across namespaces needs all namespaces", { verbs: ["list"] }, { verb: "list", namespace: "" }, false],
    ["watch across namespaces needs all namespaces", { verbs: ["list"] }, { verb: "watch", namespace: "" }, false],
    ["list across namespaces with \"\"", { verbs: ["list"], namespaces: [""] }, { verb: "list", namespace: "" }, true],
    ["list across namespaces with *", { verbs: ["list"], namespaces: ["*"] }, { verb: "watch", namespace: "" }, true],
    ["list_all across namespaces", { verbs: ["list_all"], namespaces: ["*"] }, { verb: "list", namespace: "" }, true],
    ["list_all is not list in a namespace", { verbs: ["list_all"] }, { verb: "list" }, false],
    ["a namespaced rule and a namespace named like a wildcard", { namespaces: ["a", "b"] }, { namespace: "" }, false],
    ["global kinds ignore namespaces", { api: "core", resources: ["roles"], namespaces: [] }, { api: "core", resource: "roles", namespaced: false, namespace: "" }, true],
    ["global kinds: list", { api: "core", resources: ["roles"], namespaces: ["a"], verbs: ["list"] }, { verb: "list", api: "core", resource: "roles", namespaced: false, namespace: "" }, true],
  ];
  for (const [name, r, a, allowed] of cases) {
    it(`${name} → ${allowed ? "allowed" : "denied"}`, () => {
      expect(ruleAllows(rule(r), attrs(a))).to.equal(allowed);
    });
  }
});

describe("auth: method access (verb and resource of every RPC)", () => {
  it("maps every method of every kind", () => {
    for (const kind of allKinds) {
      for (const method of Object.values(kind.service)) {
        const rpc = method.path.slice(method.path.lastIndexOf("/") + 1);
        const access = methodAccess(kind, rpc);
        expect(access.resource.startsWith(kind.plural), rpc).to.equal(true);
      }
    }
  });

  const app = applicationKind;
  const cases: [string, string, string][] = [
    ["CreateApplication", "create", "applications"],
    ["GetApplication", "get", "applications"],
    ["ListApplications", "list", "applications"],
    ["WatchApplications", "watch", "applications"],
    ["UpdateApplication", "update", "applications"],
    ["UpdateApplicationStatus", "update", "applications/status"],
    ["DeleteApplication", "delete", "applications"],
    ["BindApplication", "update", "applications/binding"],
    ["CompleteApplication", "update", "applications/complete"],
    ["ShutdownApplication", "update", "applications/shutdown"],
    ["RetryApplication", "update", "applications/status"],
  ];
  for (const [rpc, verb, resource] of cases) {
    it(`${rpc} is ${verb} on ${resource}`, () => {
      const a = methodAccess(app, rpc);
      expect([a.verb, a.resource]).to.deep.equal([verb, resource]);
    });
  }

  it("takes the namespace from the request, or for a create without one from the body", () => {
    expect(methodAccess(app, "GetApplication").attributes({ namespace: "x", name: "n" }).namespace).to.equal("x");
    expect(methodAccess(app, "ListApplications").attributes({ namespace: "" }).namespace).to.equal("");
    const create = methodAccess(app, "CreateApplication");
    expect(create.attributes({ namespace: "", application: { metadata: { namespace: "y" } } }).namespace).to.equal("y");
    expect(create.attributes({ namespace: "x", application: { metadata: { namespace: "y" } } }).namespace).to.equal("x");
    expect(methodAccess(roleKind, "GetRole").attributes({ name: "r" })).to.deep.include({ namespaced: false, namespace: "" });
  });

  it("refuses a method it cannot classify", () => {
    expect(() => methodAccess(app, "FrobnicateApplication")).to.throw(/no access rule/);
  });
});

/** Real KindCaches for roles and bindings, fed as the store watch would. */
function rbacCaches() {
  const roles = new KindCache(roleKind, 100);
  const bindings = new KindCache(roleBindingKind, 100);
  let revision = 0;
  const putRole = (name: string, rules: Partial<RoleRule>[], deleted?: Date) =>
    roles.put(new CachedObject(`/k/core/roles/${name}`, Role.fromPartial({ api: "core", kind: "Role", metadata: { name, deleted: deleted && timestampFromDate(deleted) }, rules: rules.map(rule) }), ++revision, Role), true);
  const putBinding = (name: string, users: string[], roleNames: string[], deleted?: Date) =>
    bindings.put(new CachedObject(`/k/core/rolebindings/${name}`, RoleBinding.fromPartial({ api: "core", kind: "RoleBinding", metadata: { name, deleted: deleted && timestampFromDate(deleted) }, users, roles: roleNames }), ++revision, RoleBinding), true);
  const deleteBinding = (name: string) => bindings.delete(`/k/core/rolebindings/${name}`, ++revision);
  return { roles, bindings, putRole, putBinding, deleteBinding };
}

const user = (name: string): UserInfo => ({ name, groups: [], provider: "test" });

function expectDenied(fn: () => void, code: Status = Status.PERMISSION_DENIED): ApiError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ApiError);
    expect((err as ApiError).code).to.equal(code);
    return err as ApiError;
  }
  throw new Error("expected a denial");
}

describe("auth: RBAC authorizer over the watch cache", () => {
  it("allows iff a bound role allows; unbound roles, missing roles and other users grant nothing", () => {
    const c = rbacCaches();
    const rbac = new RbacAuthorizer(new RbacIndex(c.roles, c.bindings));
    c.putRole("reader", [{ verbs: ["get", "list"] }]);
    c.putRole("unbound", [{ verbs: ["delete"] }]);
    c.putBinding("b1", ["alice"], ["reader", "missing"]);
    rbac.authorize(user("alice"), attrs({}));
    rbac.authorize(user("alice"), attrs({ verb: "watch" }));
    const err = expectDenied(() => rbac.authorize(user("alice"), attrs({ verb: "delete" })));
    expect(err.message).to.equal('User "alice" may not delete kubernetes/applications in namespace "a": no role bound to the user allows it');
    expectDenied(() => rbac.authorize(user("bob"), attrs({})));
    expectDenied(() => rbac.authorize(user("alice"), attrs({ namespace: "b" })));
  });

  it("answers anonymous with UNAUTHENTICATED", () => {
    const c = rbacCaches();
    c.putRole("all", [{ api: "", resources: [""], namespaces: [""], verbs: ["*"] }]);
    c.putBinding("anon", ["system:anonymous"], ["all"]);
    const rbac = new RbacAuthorizer(new RbacIndex(c.roles, c.bindings));
    expectDenied(() => rbac.authorize(anonymousUser, attrs({})), Status.UNAUTHENTICATED);
  });

  it("sees role and binding changes on the next decision, deletions included", () => {
    const c = rbacCaches();
    const index = new RbacIndex(c.roles, c.bindings);
    const rbac = new RbacAuthorizer(index);
    c.putBinding("b", ["alice"], ["r"]);
    expectDenied(() => rbac.authorize(user("alice"), attrs({})));
    c.putRole("r", [{}]);
    rbac.authorize(user("alice"), attrs({}));
    c.putRole("r", [{ namespaces: ["b"] }]);
    expectDenied(() => rbac.authorize(user("alice"), attrs({})));
    rbac.authorize(user("alice"), attrs({ namespace: "b" }));
    const before = rbac.version;
    c.putBinding("b", ["alice"], ["r"], new Date()); // in deletion: revoked already
    expect(rbac.version).to.be.greaterThan(before);
    expectDenied(() => rbac.authorize(user("alice"), attrs({ namespace: "b" })));
    c.putBinding("b", ["alice"], ["r"]);
    rbac.authorize(user("alice"), attrs({ namespace: "b" }));
    c.deleteBinding("b");
    expectDenied(() => rbac.authorize(user("alice"), attrs({ namespace: "b" })));
    expect(index.rolesOf("alice")).to.deep.equal([]);
  });

  it("lists the roles bound to a user, sorted and without repeats", () => {
    const c = rbacCaches();
    const index = new RbacIndex(c.roles, c.bindings);
    c.putBinding("b1", ["alice", "bob"], ["z", "a"]);
    c.putBinding("b2", ["alice"], ["a", "m"]);
    expect(index.rolesOf("alice")).to.deep.equal(["a", "m", "z"]);
    expect(index.rolesOf("bob")).to.deep.equal(["a", "z"]);
    expect(index.rolesOf("carol")).to.deep.equal([]);
  });
});

describe("auth: access control", () => {
  const storeCache = { revision: 0, waitFor: async () => {} } as unknown as StoreCache;

  it("a watch guard re-decides only after a role change and then denies for good", () => {
    const c = rbacCaches();
    const index = new RbacIndex(c.roles, c.bindings);
    const access = new AccessControl(new AuthenticationChain([], { allowAnonymous: true }), new RbacAuthorizer(index), index, storeCache);
    c.putRole("r", [{ verbs: ["list"] }]);
    c.putBinding("b", ["alice"], ["r"]);
    const guard = access.watchGuard(user("alice"), attrs({ verb: "watch" }));
    expect(guard()).to.equal(undefined);
    c.putRole("other", [{}]);
    expect(guard()).to.equal(undefined);
    c.deleteBinding("b");
    const denied = guard();
    expect(denied?.code).to.equal(Status.PERMISSION_DENIED);
    c.putBinding("b", ["alice"], ["r"]);
    expect(guard()).to.equal(denied);
  });

  it("always-allow and always-deny ignore roles", async () => {
    const c = rbacCaches();
    const index = new RbacIndex(c.roles, c.bindings);
    const chain = new AuthenticationChain([], { allowAnonymous: true });
    await new AccessControl(chain, new AlwaysAllow(), index, storeCache).authorize(anonymousUser, attrs({ verb: "delete" }));
    const deny = new AccessControl(chain, new AlwaysDeny(), index, storeCache);
    c.putRole("r", [{ verbs: ["*"] }]);
    c.putBinding("b", ["alice"], ["r"]);
    for (const verb of ["create", "get", "list", "watch", "update", "delete"] as const) {
      const err = await deny.authorize(user("alice"), attrs({ verb })).then(() => undefined, (e: unknown) => e as ApiError);
      expect(err?.code, verb).to.equal(Status.PERMISSION_DENIED);
    }
    expect(deny.watchGuard(user("alice"), attrs({ verb: "watch" }))()).to.equal(undefined); // decided once, at the start
  });

  it("whoami names the user, its groups and its bound roles", () => {
    const c = rbacCaches();
    const index = new RbacIndex(c.roles, c.bindings);
    const access = new AccessControl(new AuthenticationChain([], { allowAnonymous: true }), new AlwaysAllow(), index, storeCache);
    c.putBinding("b", ["alice"], ["r"]);
    expect(access.whoami({ name: "alice", groups: ["ops"], provider: "tls" })).to.deep.equal({ user: "alice", groups: ["ops"], roles: ["r"] });
  });
});

describe("auth: Role/RoleBinding writes made through this process count from the next request", () => {
  it("reports the revision of writes under core/roles and core/rolebindings only", async () => {
    let revision = 10;
    const write = async () => ++revision;
    const inner = { create: write, update: write, delete: write } as unknown as Store;
    const seen: number[] = [];
    const store = observeRbacWrites(inner, "/p", (r) => seen.push(r));
    await store.create("/p/core/roles/a", new Uint8Array());
    await store.update("/p/core/rolebindings/b", new Uint8Array(), 1);
    await store.delete("/p/core/roles/a", 1);
    await store.create("/p/kubernetes/applications/ns/x", new Uint8Array());
    await store.create("/other/core/roles/a", new Uint8Array());
    await store.create("/p/core/rolesx/a", new Uint8Array());
    expect(seen).to.deep.equal([11, 12, 13]);
  });

  it("a decision waits until the watch cache has the newest RBAC write", async () => {
    const c = rbacCaches();
    const index = new RbacIndex(c.roles, c.bindings);
    let release!: () => void;
    const waited: number[] = [];
    const cache = {
      revision: 5,
      waitFor: (r: number) => {
        waited.push(r);
        return new Promise<void>((resolve) => (release = resolve));
      },
    } as unknown as StoreCache;
    const access = new AccessControl(new AuthenticationChain([], { allowAnonymous: true }), new RbacAuthorizer(index), index, cache);
    c.putBinding("b", ["alice"], ["r"]);
    access.noteRbacWrite(7);
    access.noteRbacWrite(6); // older: ignored
    let decided: string | undefined;
    const decision = access.authorize(user("alice"), attrs({})).then(() => (decided = "allowed"), () => (decided = "denied"));
    await new Promise((r) => setImmediate(r));
    expect(waited).to.deep.equal([7]);
    expect(decided).to.equal(undefined);
    c.putRole("r", [{}]); // the write the cache was waiting for
    release();
    await decision;
    expect(decided).to.equal("allowed");
  });
});

