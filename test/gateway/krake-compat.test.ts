/**
 * What Krake's own clients do on the wire (krake-model.md §12), and the same
 * objects seen through REST and gRPC: created over one, read over the other,
 * equal after normalisation through ts-proto's JSON (independent of the
 * gateway's codec).
 */
import { expect } from "chai";
import { Application, ContainerHealth } from "../../gen/krake/kubernetes/v1/application.js";
import { Role } from "../../gen/krake/core/v1/role.js";
import { useApi } from "../fixtures/api.js";
import type { ApiHarness } from "../fixtures/api.js";
import type { EtcdProcess } from "../fixtures/etcd.js";
import { fixture, rest } from "./helpers.js";
import type { Json } from "./helpers.js";

const NS = "system:admin";
const APPS = `/kubernetes/namespaces/${NS}/applications`;

/** ts-proto's view of a JSON document: what any proto3 JSON client would read from it. */
const normalApp = (j: unknown) => Application.toJSON(Application.fromJSON(j));

/**
 * ts-proto's JSON of an Application read over gRPC, as REST shows it: an unset
 * status.container_health is written as its default (the field's
 * EMPTY_JSON_DEFAULT option, for Krake's schema).
 */
const asRest = (app: Application) =>
  Application.toJSON({ ...app, status: app.status && { ...app.status, containerHealth: app.status.containerHealth ?? ContainerHealth.fromPartial({}) } });

describe("gateway: Krake's clients and round trips with gRPC", function () {
  this.timeout(30_000);
  let etcd: EtcdProcess;
  let api: ApiHarness;

  useApi((started) => ({ etcd, api } = started));

  it("accepts Krake's Application document unchanged (nulls, tosca {}) and answers with every field", async () => {
    const doc = fixture("application.json");
    expect((doc.spec as Json).csar).to.equal(null);
    const withNullLabels = { ...doc, metadata: { ...(doc.metadata as Json), name: "echo-null-labels", labels: null } };
    for (const body of [doc, withNullLabels]) {
      const res = await rest(api, "POST", `${APPS}?blocking=False`, body);
      expect(res.status, res.text).to.equal(200);
    }
    const res = await rest(api, "GET", `${APPS}/echo`);
    const { metadata, spec, status } = res.json as { metadata: Json; spec: Json; status: Json };
    expect(metadata.namespace).to.equal(NS);
    expect(metadata.deleted).to.equal(null);
    expect(metadata.finalizers).to.deep.equal([]);
    expect(spec.csar).to.equal(null);
    expect(spec.tosca).to.deep.equal({});
    expect(spec.observer_schema).to.deep.equal([]);
    expect((spec.constraints as Json).migration).to.equal(true);
    expect(status.state).to.equal("PENDING");
    expect(status.scheduled_to).to.equal(null);
    expect(status.running_on).to.equal(null);
    expect(status.retries).to.equal(null);
    expect(status.container_health).to.deep.equal({ desired_pods: 0, running_pods: 0, completed_pods: 0, failed_pods: 0 });
    expect(status.services).to.deep.equal({});
    const nullLabels = await rest(api, "GET", `${APPS}/echo-null-labels`);
    expect((nullLabels.json.metadata as Json).labels).to.deep.equal({});
  });

  it("takes back the whole document it gave out (GET, modify, PUT), server-set fields included", async () => {
    const got = await rest(api, "GET", `${APPS}/echo`);
    const doc = got.json as { metadata: Json; spec: Json };
    doc.spec.hooks = ["complete", "shutdown"];
    const put = await rest(api, "PUT", `${APPS}/echo`, doc);
    expect(put.status, put.text).to.equal(200);
    expect((put.json.spec as Json).hooks).to.deep.equal(["complete", "shutdown"]);
    expect((put.json.metadata as Json).uid).to.equal(doc.metadata.uid);
    expect((put.json.metadata as Json).created).to.equal(doc.metadata.created);
  });

  it("deletes with force=True as Krake's clients send it", async () => {
    const res = await rest(api, "DELETE", `${APPS}/echo-null-labels?force=True&blocking=False`);
    expect(res.status, res.text).to.equal(200);
    expect((await rest(api, "GET", `${APPS}/echo-null-labels`)).status).to.equal(404);
  });

  it("created over REST, read over gRPC: the same object", async () => {
    const body = { ...fixture("application.json"), metadata: { name: "rest-made", labels: { via: "rest" } } };
    const created = await rest(api, "POST", APPS, body);
    expect(created.status, created.text).to.equal(200);
    const viaGrpc = await api.clients.applications.getApplication({ namespace: NS, name: "rest-made" });
    const viaRest = await rest(api, "GET", `${APPS}/rest-made`);
    expect(normalApp(viaRest.json)).to.deep.equal(asRest(viaGrpc));
    expect(normalApp(created.json)).to.deep.equal(asRest(viaGrpc));
    expect(JSON.stringify(normalApp(viaRest.json))).to.equal(JSON.stringify(asRest(viaGrpc)));
  });

  it("created over gRPC, read over REST: the same object, in lists too", async () => {
    const app = Application.fromJSON({ ...fixture("application.json"), metadata: { name: "grpc-made", labels: { via: "grpc" } } });
    const made = await api.clients.applications.createApplication({ namespace: NS, application: app, blocking: "" });
    const viaRest = await rest(api, "GET", `${APPS}/grpc-made`);
    expect(viaRest.status, viaRest.text).to.equal(200);
    expect(normalApp(viaRest.json)).to.deep.equal(asRest(made));

    const restList = await rest(api, "GET", `${APPS}?label_selector=via%3Dgrpc`);
    const grpcList = await api.clients.applications.listApplications({ namespace: NS, labelSelector: "via=grpc", limit: 0, continue: "" });
    expect((restList.json.items as Json[]).map(normalApp)).to.deep.equal(grpcList.items.map((i) => asRest(i)));
    expect((restList.json.metadata as Json).resource_version).to.equal(grpcList.metadata!.resourceVersion);
  });

  it("a kind without spec (Role: rules at the top level) round-trips too", async () => {
    const res = await rest(api, "POST", "/core/roles", fixture("role.yaml"));
    expect(res.status, res.text).to.equal(200);
    const viaGrpc = await api.clients.roles.getRole({ name: "app-operator" });
    expect(Role.toJSON(Role.fromJSON(res.json))).to.deep.equal(Role.toJSON(viaGrpc));
    expect((res.json.rules as Json[])[0]).to.deep.equal({
      api: "kubernetes", resources: ["applications", "applications/status"], namespaces: ["team-a"], verbs: ["create", "list", "get", "update", "delete"],
    });
  });
});
