/**
 * A kind is its proto: every kind of the generated table (gen/kinds.ts) is
 * served over gRPC and REST, has an access rule for every method, is covered
 * by the garbage collector's role, is known to krakectl and is watched by the
 * garbage collector. A proto that some part does not pick up fails here.
 */
import { readFileSync } from "node:fs";
import { expect } from "chai";
import { parseAllDocuments } from "yaml";
import { generatedKinds } from "../../gen/kinds.js";
import { Role } from "../../gen/krake/core/v1/role.js";
import { methodAccess } from "../../src/apiserver/auth/attributes.js";
import { ruleAllows } from "../../src/apiserver/auth/rbac.js";
import { allKinds as cliKinds } from "../../src/cli/kinds.js";
import { viewFor } from "../../src/cli/output/views.js";
import { allKinds as gcKinds } from "../../src/kinds/index.js";
import { rpcOf } from "../../src/kinds/methods.js";
import { startApi } from "../fixtures/api.js";
import type { ApiHarness } from "../fixtures/api.js";
import { startEtcd } from "../fixtures/etcd.js";
import type { EtcdProcess } from "../fixtures/etcd.js";

const gcRole = parseAllDocuments(readFileSync("config/base-roles.yaml", "utf8"))
  .map((d) => d.toJS() as { kind?: string; metadata?: { name?: string } })
  .filter((d) => d.kind === "Role" && d.metadata?.name === "system:gc")
  .map((d) => Role.fromJSON(d))[0];

describe("every kind of the generated table", function () {
  this.timeout(60_000);
  let etcd: EtcdProcess;
  let api: ApiHarness;

  before(async () => {
    etcd = await startEtcd();
    api = await startApi(etcd);
  });
  after(async () => {
    await api?.stop();
    await etcd?.remove();
  });

  it("the table is not empty and names each kind once", () => {
    expect(generatedKinds.length).to.be.greaterThan(5);
    expect(new Set(generatedKinds.map((k) => `${k.api}/${k.plural}`)).size).to.equal(generatedKinds.length);
  });

  for (const kind of generatedKinds) {
    const name = `${kind.api}/${kind.kind}`;
    describe(name, () => {
      it("is served over gRPC: its List answers", async () => {
        const registry = api.server.registry(kind.api, kind.plural);
        expect(registry.kind.kind).to.equal(kind.kind);
        const client = (api.clients as unknown as Record<string, Record<string, (req: object) => Promise<{ items: unknown[] }>>>)[kind.clientKey];
        const list = await client[`list${kind.kind}s`]({ namespace: "", labelSelector: "", limit: 0, continue: "" });
        expect(list.items).to.be.an("array");
      });

      it("is routed over REST: its list URL answers 200", async () => {
        const res = await fetch(`http://127.0.0.1:${api.server.httpPort}/${kind.api}/${kind.plural}`);
        expect(res.status, await res.text()).to.equal(200);
        const routes = api.server.gateway.routes().filter((r) => r.rpc.endsWith(kind.kind) || r.rpc.endsWith(`${kind.kind}s`));
        expect(routes.map((r) => r.method)).to.include.members(["POST", "GET", "PUT", "DELETE"]);
      });

      it("has an access rule for every method, and the garbage collector's role covers it", () => {
        const served = api.server.registry(kind.api, kind.plural).kind;
        for (const method of Object.values(kind.service)) {
          const access = methodAccess(served, rpcOf(method.path));
          expect(access.resource.startsWith(kind.plural), method.path).to.equal(true);
        }
        for (const verb of ["get", "list", "watch", "update", "delete"] as const) {
          const attributes = { verb, api: kind.api, resource: kind.plural, namespaced: kind.namespaced, namespace: "" };
          expect(gcRole.rules.some((r) => ruleAllows(r, attributes)), `system:gc may ${verb} ${name}`).to.equal(true);
        }
      });

      it("is known to krakectl, with a table view", () => {
        const cli = cliKinds.find((k) => k.api === kind.api && k.kind === kind.kind);
        expect(cli, `krakectl knows ${name}`).to.not.equal(undefined);
        expect(viewFor(cli!).list.length).to.be.greaterThan(0);
      });

      it("is watched by the garbage collector", () => {
        expect(gcKinds.some((k) => k.api === kind.api && k.kind === kind.kind)).to.equal(true);
      });
    });
  }
});
