/**
 * List pagination beyond the per-kind conformance cases: paging across all
 * namespaces, and continue tokens whose snapshot etcd has compacted away. This
 * file compacts its etcd, so it has one of its own.
 */
import { expect } from "chai";
import { status as Status } from "@grpc/grpc-js";
import { Role } from "../../../gen/krake/core/v1/role.js";
import { Application } from "../../../gen/krake/kubernetes/v1/application.js";
import type { EtcdProcess } from "../../fixtures/etcd.js";
import { useApi } from "../../fixtures/api.js";
import type { ApiHarness } from "../../fixtures/api.js";
import { expectApiError, krakeDocument, meta, requests, uniqueId } from "./conformance/index.js";

describe("list pagination over gRPC", () => {
  let etcd: EtcdProcess;
  let api: ApiHarness;
  useApi((started) => ({ etcd, api } = started));

  async function createApps(namespaces: string[], perNamespace: number, label: string): Promise<string[]> {
    const keys: string[] = [];
    for (const ns of namespaces) {
      for (let i = 0; i < perNamespace; i++) {
        const app = Application.fromJSON(krakeDocument("application.json"));
        meta(app).name = `app-${i}`;
        meta(app).labels = { batch: label };
        await api.clients.applications.createApplication({ namespace: ns, application: app, blocking: "" });
        keys.push(`${ns}/app-${i}`);
      }
    }
    return keys;
  }

  async function createRoles(count: number, label: string): Promise<string[]> {
    const names: string[] = [];
    for (let i = 0; i < count; i++) {
      const role = Role.fromJSON(krakeDocument("role.yaml"));
      meta(role).name = `role-${label}-${i}`;
      meta(role).labels = { batch: label };
      await api.clients.roles.createRole({ role });
      names.push(meta(role).name);
    }
    return names;
  }

  it("pages across every namespace (namespace \"\") in key order", async () => {
    const batch = uniqueId();
    const expected = await createApps([`a-${batch}`, `b-${batch}`, `c-${batch}`], 2, batch);
    const seen: string[] = [];
    const versions = new Set<string>();
    let token = "";
    let pages = 0;
    do {
      const page = await api.clients.applications.listApplications(
        requests.list("", { labelSelector: `batch=${batch}`, limit: 4, continue: token }),
      );
      pages++;
      seen.push(...page.items.map((a) => `${meta(a).namespace}/${meta(a).name}`));
      versions.add(page.metadata!.resourceVersion);
      token = page.metadata!.continue;
    } while (token);
    expect(seen).to.deep.equal(expected);
    expect(pages).to.equal(2);
    expect(versions.size).to.equal(1);
  });

  it("answers a limit above the number of objects with one page and no continue token", async () => {
    const batch = uniqueId();
    const names = await createRoles(3, batch);
    const page = await api.clients.roles.listRoles(requests.list("", { labelSelector: `batch=${batch}`, limit: 10 }));
    expect(page.items.map((r) => meta(r).name)).to.deep.equal(names);
    expect(page.metadata!.continue).to.equal("");
  });

  it("answers OUT_OF_RANGE for a continue token whose snapshot was compacted", async () => {
    const batch = uniqueId();
    await createApps([`x-${batch}`], 3, batch);
    await createRoles(3, batch);
    const appPage = await api.clients.applications.listApplications(requests.list(`x-${batch}`, { limit: 1 }));
    const rolePage = await api.clients.roles.listRoles(requests.list("", { labelSelector: `batch=${batch}`, limit: 1 }));
    expect(appPage.metadata!.continue).to.not.equal("");
    expect(rolePage.metadata!.continue).to.not.equal("");

    // A later write, then compaction past the tokens' snapshot.
    await createRoles(1, `${batch}-later`);
    await api.store.compact(await api.store.currentRevision());

    let err = await expectApiError(
      api.clients.applications.listApplications(requests.list(`x-${batch}`, { limit: 1, continue: appPage.metadata!.continue })),
      Status.OUT_OF_RANGE,
    );
    expect(err.reason).to.equal("Expired");
    expect(err.message).to.contain("list again");
    err = await expectApiError(
      api.clients.roles.listRoles(requests.list("", { labelSelector: `batch=${batch}`, limit: 1, continue: rolePage.metadata!.continue })),
      Status.OUT_OF_RANGE,
    );
    expect(err.reason).to.equal("Expired");

    // Listing again from the start works.
    const fresh = await api.clients.roles.listRoles(requests.list("", { labelSelector: `batch=${batch}`, limit: 2 }));
    expect(fresh.items).to.have.length(2);
    expect(Number(fresh.metadata!.resourceVersion)).to.be.greaterThan(Number(rolePage.metadata!.resourceVersion));
  });
});
