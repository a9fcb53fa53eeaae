import { expect } from "chai";
import { readFileSync } from "node:fs";
import { Application } from "../../gen/krake/kubernetes/v1/application.js";
import { startEtcd } from "../fixtures/etcd.js";
import type { EtcdProcess } from "../fixtures/etcd.js";
import { call, startApi } from "../fixtures/api.js";
import type { ApiHarness } from "../fixtures/api.js";

describe("smoke", () => {
  let etcd: EtcdProcess; let api: ApiHarness;
  before(async () => { etcd = await startEtcd(); api = await startApi(etcd); });
  after(async () => { await api?.stop(); await etcd?.remove(); });
  it("creates and gets", async () => {
    const app = Application.fromJSON(JSON.parse(readFileSync("test/fixtures/krake/application.json", "utf8")));
    const c = api.clients.applications;
    const created = await call(c.createApplication, c, { namespace: "team-a", application: app, blocking: "" });
    console.log(JSON.stringify(Application.toJSON(created)).slice(0, 400));
    const got = await call(c.getApplication, c, { namespace: "team-a", name: "echo" });
    expect(got.metadata!.uid).to.equal(created.metadata!.uid);
    const list = await call(c.listApplications, c, { namespace: "", labelSelector: "", limit: 0, continue: "" });
    expect(list.items).to.have.length(1);
    console.log(list.kind, list.metadata);
  });
});
