import { readFileSync } from "node:fs";
import { Writable } from "node:stream";
import { expect } from "chai";
import { pino } from "pino";
import { parseAllDocuments } from "yaml";
import { Role } from "../../gen/krake/core/v1/role.js";
import { RoleBinding } from "../../gen/krake/core/v1/role_binding.js";
import type { Application } from "../../gen/krake/kubernetes/v1/application.js";
import { applicationKind } from "../../src/apiserver/kinds/index.js";
import { leaseKind } from "../../src/apiserver/kinds/lease.js";
import type { KrakeObject } from "../../src/apiserver/objects/kind.js";
import type { RequestContext } from "../../src/apiserver/registry/request-context.js";
import { ApiConnection } from "../../src/client/kind-client.js";
import { LeaseLock } from "../../src/controller/leader/lease-lock.js";
import { Manager } from "../../src/controller/manager.js";
import { setupGarbageCollector } from "../../src/controllers/gc/setup.js";
import { startApi } from "../fixtures/api.js";
import { startEtcd } from "../fixtures/etcd.js";
import { application, refTo } from "./support/objects.js";
import { Observer, poll } from "./support/observe.js";

describe("garbage collector under RBAC with the system:gc role of config/base-roles.yaml", function () {
  this.timeout(60_000);

  it("leads, watches every kind and collects, and reports a cycle in the status it may write", async () => {
    const etcd = await startEtcd();
    // Every caller is system:gc; objects are written through the registries (no authorization there).
    const api = await startApi(etcd, {
      authorization: "rbac",
      authentication: { allowAnonymous: false, allowStaticOnNetwork: false, providers: [{ type: "static", name: "system:gc" }] },
    });
    const admin: RequestContext = { user: "system:admin", requestId: "test" };
    for (const doc of parseAllDocuments(readFileSync("config/base-roles.yaml", "utf8"))) {
      const value = doc.toJSON() as { kind?: string };
      if (value?.kind === "Role") await api.server.registry("core", "roles").create(admin, "", Role.fromJSON(value) as unknown as KrakeObject);
      if (value?.kind === "RoleBinding") {
        await api.server.registry("core", "rolebindings").create(admin, "", RoleBinding.fromJSON(value) as unknown as KrakeObject);
      }
    }
    const lines: { msg?: string; err?: { message?: string } }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as (typeof lines)[number]);
        done();
      },
    });
    const conn = new ApiConnection(api.address);
    const manager = new Manager({ api: conn, log: pino({ level: "info" }, sink) });
    setupGarbageCollector(manager, { workers: 2 });
    manager.useLeaderElection({
      lock: new LeaseLock(conn.client(leaseKind), "krake-system", "krake-controller-gc"),
      identity: "gc-under-rbac",
      leaseDurationMs: 2_000,
      renewDeadlineMs: 1_500,
      retryPeriodMs: 300,
    });
    const watcher = new ApiConnection(api.address);
    const seen = await new Observer<Application>(watcher.client(applicationKind), "rbac").start();
    manager.start();
    const apps = api.server.registry("kubernetes", "applications");
    try {
      await poll(() => manager.hasSynced && manager.isLeader, "synced and leading under RBAC", 20_000);
      const x = (await apps.create(admin, "rbac", application("rbac", "x"))).object as Application;
      const y = (await apps.create(admin, "rbac", application("rbac", "y", [refTo(x)]))).object as Application;
      await apps.update(admin, "rbac", "x", { ...x, metadata: { ...x.metadata!, owners: [refTo(y)] } });
      await apps.delete(admin, "rbac", "x", {});
      await seen.until(() => !seen.get("rbac/x") && !seen.get("rbac/y") && seen.seen.some((s) => s.type === "delete"), "the cycle collected");
      const refused = lines.filter((l) => l.msg === "could not write the cycle into the status");
      expect(refused, "system:gc may write the cycle into the status").to.deep.equal([]);
      expect(lines.some((l) => l.msg === "dependency cycle")).to.equal(true);
    } finally {
      await seen.stop();
      watcher.close();
      await manager.stop(1_000);
      await api.stop();
      await etcd.remove();
    }
  });
});
