import { expect } from "chai";
import { readFileSync } from "node:fs";
import { Application } from "../../gen/krake/kubernetes/v1/application.js";
import { startEtcd } from "../fixtures/etcd.js";
import type { EtcdProcess } from "../fixtures/etcd.js";
import { startApi } from "../fixtures/api.js";
import type { ApiHarness } from "../fixtures/api.js";

describe("smoke", () => {
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
  it("creates, gets and lists an Application over gRPC", async () => {
    const app = Application.fromJSON(JSON.parse(readFileSync("test/fixtures/krake/application.json", "utf8")));
    const c = api.clients.applications;
    const created = await c.createApplication({ namespace: "team-a", application: app, blocking: "" });
    const got = await c.getApplication({ namespace: "team-a", name: "echo" });
    expect(got.metadata!.uid).to.equal(created.metadata!.uid);
    const list = await c.listApplications({ namespace: "", labelSelector: "", limit: 0, continue: "" });
    expect(list.items).to.have.length(1);
    expect(list.kind).to.equal("ApplicationList");
  });
});
