/** Role and binding changes apply at once (including to open watches); always-deny denies everything. */
import { request as httpsRequest } from "node:https";
import { expect } from "chai";
import { status as GrpcStatus } from "@grpc/grpc-js";
import type { ServiceError } from "@grpc/grpc-js";
import * as roleGen from "../../gen/krake/core/v1/role.js";
import * as roleBindingGen from "../../gen/krake/core/v1/role_binding.js";
import { EventType } from "../../gen/krake/core/v1/watch.js";
import * as applicationGen from "../../gen/krake/kubernetes/v1/application.js";
import * as clusterGen from "../../gen/krake/kubernetes/v1/cluster.js";
import { allKinds } from "../../src/apiserver/kinds/index.js";
import { uniquePrefix } from "../fixtures/api.js";
import { startEtcd } from "../fixtures/etcd.js";
import type { EtcdProcess } from "../fixtures/etcd.js";
import { baseRoles, bootstrapInto, makePki, startSecureApi } from "./support/secure-api.js";
import type { Identity, Pki, SecureApi } from "./support/secure-api.js";
import { CASES, grpcTransport, objectJson, rbacYaml, restTransport, runCases } from "./support/rbac-cases.js";
import type { Json } from "./support/rbac-cases.js";

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
