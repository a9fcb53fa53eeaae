import { readFileSync } from "node:fs";
import { Writable } from "node:stream";
import { expect } from "chai";
import { status as Status } from "@grpc/grpc-js";
import { pino } from "pino";
import { parseAllDocuments } from "yaml";
import { Role } from "../../../gen/krake/core/v1/role.js";
import { RoleBinding } from "../../../gen/krake/core/v1/role_binding.js";
import { Application, ApplicationStatus_State as State } from "../../../gen/krake/kubernetes/v1/application.js";
import { Cluster } from "../../../gen/krake/kubernetes/v1/cluster.js";
import type { KrakeObject } from "../../../src/apiserver/objects/kind.js";
import type { RequestContext } from "../../../src/apiserver/registry/request-context.js";
import { ApiConnection } from "../../../src/client/kind-client.js";
import { Manager } from "../../../src/controller/manager.js";
import { resourcesFinalizer } from "../../../src/controllers/kubernetes-application/app-status.js";
import { defaultApplicationSettings, setupApplicationController } from "../../../src/controllers/kubernetes-application/setup.js";
import { applicationKind } from "../../../src/kinds/index.js";
import { startApi } from "../../fixtures/api.js";
import { startEtcd } from "../../fixtures/etcd.js";
import { startKubeCluster } from "../../fixtures/kube-cluster.js";
import { Observer, poll } from "../../controller/support/observe.js";
import { KubeView } from "./support.js";

describe("application controller under RBAC with the system:kubernetes-application role of config/base-roles.yaml", function () {
  this.timeout(120_000);

  it("adds its finalizer, applies, writes the status, and removes its finalizer after deleting the resources, with the writes its role allows", async () => {
    const etcd = await startEtcd();
    // Every caller is system:kubernetes-application; the test's own writes go through the registries (no authorization there).
    const api = await startApi(etcd, {
      authorization: "rbac",
      authentication: { allowAnonymous: false, allowStaticOnNetwork: false, providers: [{ type: "static", name: "system:kubernetes-application" }] },
    });
    const member = await startKubeCluster({ name: "rbac-member" });
    const view = new KubeView(member);
    const admin: RequestContext = { user: "system:admin", requestId: "test" };
    const registry = (group: string, plural: string) => api.server.registry(group, plural);
    for (const doc of parseAllDocuments(readFileSync("config/base-roles.yaml", "utf8"))) {
      const value = doc.toJSON() as { kind?: string };
      if (value?.kind === "Role") await registry("core", "roles").create(admin, "", Role.fromJSON(value) as unknown as KrakeObject);
      if (value?.kind === "RoleBinding") await registry("core", "rolebindings").create(admin, "", RoleBinding.fromJSON(value) as unknown as KrakeObject);
    }
    const cluster = Cluster.fromPartial({ api: "kubernetes", kind: "Cluster", metadata: { name: "m", namespace: "rbac" }, spec: { kubeconfig: member.kubeconfig, constraints: { cloud: { labels: [], metrics: [] } } } });
    await registry("kubernetes", "clusters").create(admin, "rbac", cluster as unknown as KrakeObject);
    const apps = registry("kubernetes", "applications");
    const app = Application.fromPartial({
      api: "kubernetes",
      kind: "Application",
      metadata: { name: "app", namespace: "rbac" },
      spec: { manifest: [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "rbac-app" }, data: { a: "b" } }], constraints: { migration: true, cluster: { labels: [], customResources: [], metrics: [] } } },
    });
    // Registry answers are the cache's objects: change copies.
    const copy = (o: KrakeObject) => Application.fromJSON(Application.toJSON(o as unknown as Application));
    const created = copy((await apps.create(admin, "rbac", app as unknown as KrakeObject)).object);
    // The scheduler's part, as status: scheduled to the member cluster.
    created.status!.scheduledTo = { api: "kubernetes", kind: "Cluster", namespace: "rbac", name: "m" };
    await apps.updateStatus(admin, "rbac", "app", created as unknown as KrakeObject);

    const lines: { level?: number; msg?: string; err?: { code?: number; message?: string } }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as (typeof lines)[number]);
        done();
      },
    });
    const log = pino({ level: "info" }, sink);
    const manager = new Manager({ api: new ApiConnection(api.address), log });
    const { watches, connections } = setupApplicationController(manager, { settings: defaultApplicationSettings, workers: 2, log });
    const watcher = new ApiConnection(api.address);
    const seen = await new Observer<Application>(watcher.client(applicationKind), "rbac").start();
    manager.start();
    try {
      await seen.until(() => seen.get("rbac/app")?.status?.state === State.RUNNING, "RUNNING");
      expect(seen.get("rbac/app")!.metadata!.finalizers).to.include(resourcesFinalizer);
      await view.until("v1", "ConfigMap", "default", "rbac-app", (o) => !!o, "the ConfigMap applied");
      expect(watches.size, "one cluster watch: ConfigMaps of default").to.equal(1);
      await apps.delete(admin, "rbac", "app", { propagationPolicy: "orphan" });
      // The collector's part: its finalizer goes first.
      const deleting = copy((await apps.get(admin, "rbac", "app")).object);
      deleting.metadata!.finalizers = deleting.metadata!.finalizers.filter((f) => f === resourcesFinalizer);
      await apps.update(admin, "rbac", "app", deleting as unknown as KrakeObject);
      await seen.until(() => !seen.get("rbac/app"), "the Application gone");
      await view.until("v1", "ConfigMap", "default", "rbac-app", (o) => !o, "the ConfigMap deleted");
      expect(watches.size, "no watch left once no Application needs it").to.equal(0);
      expect(connections.size).to.equal(1);
      await registry("kubernetes", "clusters").delete(admin, "rbac", "m", { force: true });
      await poll(() => connections.size === 0, "the deleted Cluster's connection forgotten");
      // What the role must allow: no call refused (PERMISSION_DENIED). Other retried failures (a write racing the
      // Application's own deletion under load) are not this test's subject.
      const refused = lines.filter((l) => l.err?.code === Status.PERMISSION_DENIED || /PERMISSION_DENIED|permission/i.test(l.err?.message ?? ""));
      expect(refused.map((l) => `${l.msg}: ${l.err?.message}`), "nothing refused").to.deep.equal([]);
    } finally {
      if (process.env.DUMP) for (const l of lines) console.log(JSON.stringify(l).slice(0, 600));
      await seen.stop();
      watcher.close();
      await manager.stop(1_000);
      view.stop();
      await member.remove();
      await api.stop();
      await etcd.remove();
    }
  });
});
