/**
 * A grpcurl-style walk through the gRPC API: watch Applications in a namespace,
 * create one, mark it RUNNING as a controller would, delete it.
 *
 *   npx tsx examples/watch-and-create.ts [127.0.0.1:9090]
 */
import { readFileSync } from "node:fs";
import { Application, ApplicationStatus_State } from "../gen/krake/kubernetes/v1/application.js";
import { EventType, eventTypeToJSON } from "../gen/krake/core/v1/watch.js";
import { applicationStatus_StateToJSON } from "../gen/krake/kubernetes/v1/application.js";
import { krakeClients } from "../src/client/clients.js";

const address = process.argv[2] ?? "127.0.0.1:9090";
const namespace = "examples";
const api = krakeClients(address);

const watch = api.applications.watchApplications({
  namespace,
  labelSelector: "",
  resourceVersion: "",
  allowBookmarks: false,
  sendInitialEvents: true,
});
const printer = (async () => {
  try {
    for await (const ev of watch) {
      const app = ev.object;
      const state = app?.status ? applicationStatus_StateToJSON(app.status.state) : "";
      console.log(`watch: ${eventTypeToJSON(ev.type).padEnd(8)} ${app?.metadata?.name ?? ""} rv=${app?.metadata?.resourceVersion} ${state}`);
      if (ev.type === EventType.DELETED) break;
    }
  } catch (err) {
    if ((err as { code?: number }).code !== 1) throw err; // 1 = CANCELLED
  }
})();

const manifest = JSON.parse(readFileSync(new URL("../test/fixtures/krake/application.json", import.meta.url), "utf8"));
const app = Application.fromJSON({ ...manifest, metadata: { name: "", generate_name: "echo-" } });
const created = await api.applications.createApplication({ namespace, application: app, blocking: "" });
const name = created.metadata!.name;
console.log(`created ${namespace}/${name} at resource version ${created.metadata!.resourceVersion}`);

created.status!.state = ApplicationStatus_State.RUNNING;
await api.applications.updateApplicationStatus({ namespace, name, application: created });

await api.applications.deleteApplication({ namespace, name, resourceVersion: "", force: true, propagationPolicy: "", blocking: "" });
await printer;
watch.cancel();
api.close();
