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
import { expect } from "chai";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { allKinds } from "../../src/apiserver/kinds/index.js";
import { uniquePrefix } from "../fixtures/api.js";
import { startEtcd } from "../fixtures/etcd.js";
import type { EtcdProcess } from "../fixtures/etcd.js";
import { baseRoles, bootstrapInto, makePki, startSecureApi } from "./support/secure-api.js";
import type { Identity, Pki, SecureApi } from "./support/secure-api.js";
import { CASES, grpcTransport, objectJson, permissions, rbacYaml, restTransport, runCases, snake, USERS } from "./support/rbac-cases.js";

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

