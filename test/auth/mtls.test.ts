import { expect } from "chai";
import { Status } from "../../src/errors/api-error.js";
import { startEtcd } from "../fixtures/etcd.js";
import type { EtcdProcess } from "../fixtures/etcd.js";
import { expectCode, uniquePrefix } from "../fixtures/api.js";
import { baseRoles, bootstrapInto, makePki, startSecureApi } from "./support/secure-api.js";
import type { Pki, SecureApi } from "./support/secure-api.js";

const listRequest = (namespace: string) => ({ namespace, labelSelector: "", limit: 0, continue: "" });
const aliceRole = `api: core
kind: Role
metadata: {name: alice-apps}
rules:
  - {api: kubernetes, resources: [applications], namespaces: [team-a], verbs: [list]}
---
api: core
kind: RoleBinding
metadata: {name: alice-apps}
users: [alice]
roles: [alice-apps]
`;

describe("auth: TLS client certificates on gRPC and REST", function () {
  this.timeout(60_000);
  let etcd: EtcdProcess;
  let pki: Pki;

  before(async () => {
    etcd = await startEtcd();
    pki = makePki();
  });
  after(async () => {
    pki?.remove();
    await etcd?.stop();
  });

  describe("client certificates required", () => {
    let api: SecureApi;
    before(async () => {
      const prefix = uniquePrefix();
      await bootstrapInto(etcd, prefix, baseRoles, aliceRole);
      api = await startSecureApi(etcd, pki, { clientCert: "required", authorization: "rbac", prefix });
    });
    after(async () => api?.stop());

    it("gRPC: a valid certificate's CN is the user that RBAC sees", async () => {
      const alice = api.clients(pki.user("alice", "team-a"));
      const res = await alice.applications.listApplications(listRequest("team-a"));
      expect(res.items).to.deep.equal([]);
      await expectCode(alice.applications.listApplications(listRequest("team-b")), Status.PERMISSION_DENIED);
      const bob = api.clients(pki.user("bob"));
      const err = await expectCode(bob.applications.listApplications(listRequest("team-a")), Status.PERMISSION_DENIED);
      expect(err.details).to.match(/User "bob" may not list kubernetes\/applications in namespace "team-a"/);
    });

    it("REST: GET /me answers the certificate's CN, its O entries and the bound roles", async () => {
      const me = await api.rest(pki.user("alice", "team-a"), "GET", "/me");
      expect(me.status, me.text).to.equal(200);
      expect(me.json).to.deep.equal({ user: "alice", groups: ["team-a"], roles: ["alice-apps"] });
      const admin = await api.rest(pki.user("system:admin"), "GET", "/me");
      expect(admin.json).to.deep.include({ user: "system:admin", roles: ["system:admin"] });
      const list = await api.rest(pki.user("alice"), "GET", "/kubernetes/namespaces/team-a/applications");
      expect(list.status, list.text).to.equal(200);
      const denied = await api.rest(pki.user("alice"), "GET", "/kubernetes/namespaces/team-b/applications");
      expect(denied.status).to.equal(403);
    });

    it("gRPC: a certificate from another CA fails the handshake", async () => {
      const stranger = api.clients(pki.stranger("system:admin"));
      await expectCode(stranger.applications.listApplications(listRequest("team-a"), { deadline: Date.now() + 5_000 }), Status.UNAVAILABLE);
    });

    it("gRPC: no certificate fails the handshake", async () => {
      const nobody = api.clients();
      await expectCode(nobody.applications.listApplications(listRequest("team-a"), { deadline: Date.now() + 5_000 }), Status.UNAVAILABLE);
    });

    it("REST: a certificate from another CA, or none, gets no HTTP answer at all", async () => {
      for (const id of [pki.stranger("system:admin"), undefined]) {
        const err = await api.rest(id, "GET", "/me").then(() => undefined, (e: unknown) => e as NodeJS.ErrnoException);
        expect(err, "the request must fail below HTTP").to.be.instanceOf(Error);
      }
    });

    it("probes stay reachable to any client with a valid certificate, without RBAC", async () => {
      const live = await api.rest(pki.user("carol"), "GET", "/livez");
      expect(live.status).to.equal(200);
    });
  });

  describe("client certificates optional", () => {
    let api: SecureApi;
    before(async () => {
      const prefix = uniquePrefix();
      await bootstrapInto(etcd, prefix, baseRoles, aliceRole);
      api = await startSecureApi(etcd, pki, { clientCert: "optional", authorization: "rbac", prefix });
    });
    after(async () => api?.stop());

    it("gRPC: a certificate from another CA passes the handshake but the call is UNAUTHENTICATED", async () => {
      const stranger = api.clients(pki.stranger("system:admin"));
      const err = await expectCode(stranger.applications.listApplications(listRequest("team-a")), Status.UNAUTHENTICATED);
      expect(err.details).to.match(/client certificate is not trusted/);
    });

    it("gRPC: no certificate and no other credential is UNAUTHENTICATED (anonymous is off)", async () => {
      await expectCode(api.clients().applications.listApplications(listRequest("team-a")), Status.UNAUTHENTICATED);
    });

    it("gRPC: a valid certificate works", async () => {
      const res = await api.clients(pki.user("alice")).applications.listApplications(listRequest("team-a"));
      expect(res.items).to.deep.equal([]);
    });

    it("REST: another CA's certificate → 401; no certificate → 401; a valid one → /me", async () => {
      const stranger = await api.rest(pki.stranger("alice"), "GET", "/me");
      expect(stranger.status, stranger.text).to.equal(401);
      expect(stranger.json.detail).to.match(/client certificate is not trusted/);
      expect((await api.rest(undefined, "GET", "/kubernetes/namespaces/team-a/applications")).status).to.equal(401);
      expect((await api.rest(pki.user("alice"), "GET", "/me")).json).to.deep.include({ user: "alice" });
    });
  });

  describe("anonymous access allowed, under RBAC", () => {
    let api: SecureApi;
    before(async () => {
      const prefix = uniquePrefix();
      await bootstrapInto(etcd, prefix, baseRoles);
      api = await startSecureApi(etcd, pki, { clientCert: "optional", authorization: "rbac", allowAnonymous: true, prefix });
    });
    after(async () => api?.stop());

    it("an anonymous caller is system:anonymous, and RBAC answers it 401 on both transports", async () => {
      expect((await api.rest(undefined, "GET", "/me")).json).to.deep.include({ user: "system:anonymous" });
      await expectCode(api.clients().applications.listApplications(listRequest("team-a")), Status.UNAUTHENTICATED);
      await expectCode(api.clients().roles.getRole({ name: "system:admin" }), Status.UNAUTHENTICATED);
      const rest = await api.rest(undefined, "GET", "/core/roles");
      expect(rest.status).to.equal(401);
      const watch = await api.rest(undefined, "GET", "/kubernetes/applications?watch");
      expect(watch.status).to.equal(401);
    });

    it("an untrusted certificate is still 401, never anonymous", async () => {
      expect((await api.rest(pki.stranger("x"), "GET", "/me")).status).to.equal(401);
    });
  });
});
