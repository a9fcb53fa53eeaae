import { expect } from "chai";
import { Metadata } from "@grpc/grpc-js";
import type { ServiceError } from "@grpc/grpc-js";
import { Status } from "../../src/errors/api-error.js";
import { expectCode, startApi, uniquePrefix } from "../fixtures/api.js";
import type { ApiHarness } from "../fixtures/api.js";
import { startEtcd } from "../fixtures/etcd.js";
import type { EtcdProcess } from "../fixtures/etcd.js";
import { startKeystone } from "./support/keystone-server.js";
import type { KeystoneServer } from "./support/keystone-server.js";
import { AUDIENCE, newSigningKey, startIssuer } from "./support/oidc-issuer.js";
import type { Issuer } from "./support/oidc-issuer.js";
import { baseRoles, bootstrapInto } from "./support/secure-api.js";

const rbac = `api: core
kind: Role
metadata: {name: readers}
rules:
  - {api: kubernetes, resources: [applications], namespaces: [team-a], verbs: [list]}
---
api: core
kind: RoleBinding
metadata: {name: readers}
users: [alice, bob]
roles: [readers]
`;

const list = (namespace: string) => ({ namespace, labelSelector: "", limit: 0, continue: "" });
const bearer = (token: string) => {
  const md = new Metadata();
  md.set("authorization", `Bearer ${token}`);
  return { metadata: md };
};

describe("auth: OIDC and Keystone tokens through krake-api, on gRPC and REST", function () {
  this.timeout(60_000);
  let etcd: EtcdProcess;
  let issuer: Issuer;
  let keystone: KeystoneServer;
  let api: ApiHarness;
  let rest: (path: string, headers?: Record<string, string>) => Promise<{ status: number; json: Record<string, unknown> }>;

  before(async () => {
    etcd = await startEtcd();
    issuer = await startIssuer([await newSigningKey("e2e")]);
    keystone = await startKeystone({ bob: "bob-pw" });
    const prefix = uniquePrefix();
    await bootstrapInto(etcd, prefix, baseRoles, rbac);
    api = await startApi(etcd, {
      authentication: {
        allowAnonymous: false,
        providers: [
          { type: "oidc", issuer: issuer.issuer, audience: AUDIENCE },
          { type: "keystone", endpoint: keystone.endpoint },
        ],
      } as never,
      authorization: "rbac",
    }, prefix);
    rest = async (path, headers = {}) => {
      const res = await fetch(`http://127.0.0.1:${api.server.httpPort}${path}`, { headers });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    };
  });
  after(async () => {
    await api?.stop();
    await issuer?.stop();
    await keystone?.stop();
    await etcd?.stop();
  });

  it("an OIDC access token: gRPC metadata and the REST header name the user", async () => {
    const token = await issuer.token("alice");
    expect((await api.clients.applications.listApplications(list("team-a"), bearer(token))).items).to.deep.equal([]);
    await expectCode(api.clients.applications.listApplications(list("team-b"), bearer(token)), Status.PERMISSION_DENIED);
    const me = await rest("/me", { authorization: `Bearer ${token}` });
    expect(me.json).to.deep.equal({ user: "alice", groups: [], roles: ["readers"] });
    expect((await rest("/kubernetes/namespaces/team-b/applications", { authorization: `Bearer ${token}` })).status).to.equal(403);
  });

  it("a Keystone token, after OIDC has declined it, names the Keystone user (bare header as Krake sends it)", async () => {
    const token = await keystone.issue("bob", "bob-pw");
    expect((await api.clients.applications.listApplications(list("team-a"), bearer(token))).items).to.deep.equal([]);
    expect((await rest("/me", { authorization: token })).json).to.deep.include({ user: "bob", roles: ["readers"] });
  });

  it("an invalid token is 401 on both transports; so is no token", async () => {
    const expired = (await issuer.token("alice")).replace(/\.[^.]+$/, ".AAAA");
    await expectCode(api.clients.applications.listApplications(list("team-a"), bearer(expired)), Status.UNAUTHENTICATED);
    const watch = api.clients.applications.watchApplications({ namespace: "team-a", labelSelector: "", resourceVersion: "",
      allowBookmarks: false, sendInitialEvents: true }, bearer(expired));
    const watchError = await new Promise<ServiceError>((resolve) => watch.stream.on("error", resolve));
    expect(watchError.code).to.equal(Status.UNAUTHENTICATED);
    const res = await rest("/kubernetes/namespaces/team-a/applications", { authorization: `Bearer ${expired}` });
    expect(res.status).to.equal(401);
    expect(res.json.detail).to.match(/oidc: the token's signature is invalid; keystone: Keystone does not accept the token/);
    await expectCode(api.clients.applications.listApplications(list("team-a")), Status.UNAUTHENTICATED);
    expect((await rest("/me")).status).to.equal(401);
    expect((await rest("/livez")).status).to.equal(200);
    expect((await rest("/metrics")).status).to.equal(401);
  });
});
