/**
 * Krake's wire semantics as its clients meet them (issue 11), checked on the raw JSON: what Krake's
 * schemas need in every answer (shapes the Python contract suite in test/compat cannot see, since Krake
 * 1.0.1 drops fields it does not know), the requests krakectl sends, and Krake's write semantics.
 */
import { expect } from "chai";
import { useApi } from "../fixtures/api.js";
import type { ApiHarness } from "../fixtures/api.js";
import { fixture, rest } from "./helpers.js";
import type { Json } from "./helpers.js";

const NS = "system:admin";
const APPS = `/kubernetes/namespaces/${NS}/applications`;
const CLUSTERS = `/kubernetes/namespaces/${NS}/clusters`;
const BLOCKING_TIMEOUT_MS = 1_500;

const app = (name: string, spec: Json = {}): Json => {
  const doc = fixture("application.json");
  return { ...doc, metadata: { name, labels: { app: "echo" } }, spec: { ...(doc.spec as Json), ...spec } };
};
const meta = (doc: Json) => doc.metadata as Json;
const status = (doc: Json) => doc.status as Json;

describe("gateway: Krake's wire semantics (issue 11)", function () {
  this.timeout(30_000);
  let api: ApiHarness;

  useApi((started) => ({ api } = started), { blockingTimeoutMs: BLOCKING_TIMEOUT_MS });

  describe("what every answer carries for Krake's schemas", () => {
    it("writes a global object's namespace, and a reference's to a global object, as null", async () => {
      const created = await rest(api, "POST", "/core/globalmetricsproviders", fixture("globalmetricsprovider.json"));
      expect(created.status, created.text).to.equal(200);
      expect(meta(created.json).namespace).to.equal(null);
      const list = await rest(api, "GET", "/core/globalmetricsproviders");
      expect(((list.json.items as Json[])[0].metadata as Json).namespace).to.equal(null);
      await rest(api, "POST", CLUSTERS, { ...fixture("cluster.json"), metadata: { name: "global-bound" } });
      const ref = { api: "infrastructure", kind: "GlobalCloud", name: "os-global", namespace: null };
      const bound = await rest(api, "PUT", `${CLUSTERS}/global-bound/binding`, { api: "kubernetes", kind: "CloudBinding", cloud: ref });
      expect(bound.status, bound.text).to.equal(200);
      expect(status(bound.json).scheduled_to).to.deep.equal(ref);
      expect((meta(bound.json).owners as Json[])[0]).to.deep.equal(ref);
    });

    it("writes only the chosen variant of a metrics provider's spec", async () => {
      const got = await rest(api, "GET", "/core/globalmetricsproviders/prometheus-eu");
      expect(got.json.spec).to.deep.equal({ type: "prometheus", prometheus: { url: "http://prometheus.example:9090" } });
    });

    it("gives a new Application Krake's defaults: container_health, retries null, shutdown strategy left to the controller", async () => {
      const res = await rest(api, "POST", APPS, app("defaults", { shutdown_grace_time: undefined }));
      expect(res.status, res.text).to.equal(200);
      const s = status(res.json);
      expect(s.container_health).to.deep.equal({ desired_pods: 0, running_pods: 0, completed_pods: 0, failed_pods: 0 });
      expect(s.retries).to.equal(null);
      const spec = res.json.spec as Json;
      expect(spec.shutdown_failure_strategy).to.equal(null);
      expect(spec.shutdown_retry_count).to.equal(null);
      expect(spec.shutdown_grace_time).to.equal(30);
      expect(spec.storage_migration).to.equal("none");
      expect(spec.tosca).to.deep.equal({});
    });

    it("writes a Cluster's unset kubeconfig, tosca and last_applied_tosca as {}", async () => {
      const tosca = { tosca_definitions_version: "tosca_simple_yaml_1_0", topology_template: { outputs: { kubeconfig: { value: "x" } } } };
      const res = await rest(api, "POST", CLUSTERS, { ...fixture("cluster.json"), metadata: { name: "from-tosca" }, spec: { ...(fixture("cluster.json").spec as Json), kubeconfig: null, tosca } });
      expect(res.status, res.text).to.equal(200);
      expect((res.json.spec as Json).kubeconfig).to.deep.equal({});
      expect(status(res.json).last_applied_tosca).to.deep.equal({});
      const plain = await rest(api, "GET", `${CLUSTERS}/global-bound`);
      expect((plain.json.spec as Json).tosca).to.deep.equal({});
    });

    it("reads null, {} and an absent field alike as unset", async () => {
      for (const [name, tosca] of [["tosca-null", null], ["tosca-empty", {}], ["tosca-absent", undefined]] as const) {
        const res = await rest(api, "POST", APPS, app(name, { tosca }));
        expect(res.status, res.text).to.equal(200);
        expect((res.json.spec as Json).tosca).to.deep.equal({});
      }
      const got = await rest(api, "GET", `${APPS}/tosca-null`);
      const doc = got.json;
      status(doc).container_health = null;
      status(doc).state = "RUNNING";
      const put = await rest(api, "PUT", `${APPS}/tosca-null/status`, doc);
      expect(put.status, put.text).to.equal(200);
      expect(status(put.json).container_health).to.deep.equal({ desired_pods: 0, running_pods: 0, completed_pods: 0, failed_pods: 0 });
    });

    it("accepts the api/kind that Krake's client writes into subresource bodies and status.nodes[]", async () => {
      await rest(api, "POST", CLUSTERS, { ...fixture("cluster.json"), metadata: { name: "with-nodes" } });
      const got = await rest(api, "GET", `${CLUSTERS}/with-nodes`);
      const doc = got.json;
      status(doc).nodes = [{ api: "kubernetes", kind: "ClusterNode", metadata: { name: "n1" }, status: { conditions: [] } }];
      const put = await rest(api, "PUT", `${CLUSTERS}/with-nodes/status`, doc);
      expect(put.status, put.text).to.equal(200);
      expect((status(put.json).nodes as Json[])[0].metadata).to.deep.equal({ name: "n1" });
    });
  });

  describe("query parameters", () => {
    it("krakectl's `kube app update NAME -l k=v`: GET, then PUT of the whole document with blocking=False", async () => {
      await rest(api, "POST", `${APPS}?blocking=False`, app("ctl-update"));
      const got = await rest(api, "GET", `${APPS}/ctl-update`);
      const doc = got.json;
      meta(doc).labels = { k: "v" };
      const put = await rest(api, "PUT", `${APPS}/ctl-update?blocking=False`, doc);
      expect(put.status, put.text).to.equal(200);
      expect(meta(put.json).labels).to.deep.equal({ k: "v" });
      expect(put.headers.get("warning")).to.equal(null);
    });

    it("ignores a parameter no method reads, with a Warning header naming it", async () => {
      const res = await rest(api, "GET", `${APPS}/ctl-update?pretty=true&x-debug=1`);
      expect(res.status, res.text).to.equal(200);
      expect(res.headers.get("warning")).to.equal('299 - "unknown query parameter: pretty", 299 - "unknown query parameter: x-debug"');
    });

    it("still refuses a bad value of a parameter the method reads", async () => {
      const res = await rest(api, "GET", `${APPS}?limit=many`);
      expect(res.status, res.text).to.equal(400);
    });

    it("honours blocking=<state> on PUT: answers once the state is reached", async () => {
      const got = await rest(api, "GET", `${APPS}/ctl-update`);
      const doc = got.json;
      meta(doc).labels = { k: "w" };
      const waiting = rest(api, "PUT", `${APPS}/ctl-update?blocking=running`, doc);
      const current = (await rest(api, "GET", `${APPS}/ctl-update`)).json;
      status(current).state = "RUNNING";
      // the PUT may land before or after the status: either way its answer is RUNNING
      const statusPut = await rest(api, "PUT", `${APPS}/ctl-update/status`, current);
      expect(statusPut.status, statusPut.text).to.equal(200);
      const put = await waiting;
      expect(put.status, put.text).to.equal(200);
      expect(status(put.json).state).to.equal("RUNNING");
    });

    it("answers 200 with the object when the state does not come within the wait", async () => {
      const started = Date.now();
      const res = await rest(api, "POST", `${APPS}?blocking=running`, app("never-runs"));
      expect(res.status, res.text).to.equal(200);
      expect(status(res.json).state).to.equal("PENDING");
      expect(Date.now() - started).to.be.at.least(BLOCKING_TIMEOUT_MS - 100);
    });
  });

  describe("write semantics", () => {
    it("puts an Application with a shutdown hook in WAITING_FOR_CLEANING on delete", async () => {
      await rest(api, "POST", APPS, app("with-hook", { hooks: ["shutdown"] }));
      const del = await rest(api, "DELETE", `${APPS}/with-hook`);
      expect(del.status, del.text).to.equal(200);
      expect(status(del.json).state).to.equal("WAITING_FOR_CLEANING");
      await rest(api, "POST", APPS, app("without-hook", { hooks: [] }));
      expect(status((await rest(api, "DELETE", `${APPS}/without-hook`)).json).state).to.equal("PENDING");
    });

    it("lets an update in deletion change anything but add a finalizer", async () => {
      await rest(api, "POST", CLUSTERS, { ...fixture("cluster.json"), metadata: { name: "owner" } });
      await rest(api, "POST", APPS, app("in-deletion", { hooks: [] }));
      const ref = { api: "kubernetes", kind: "Cluster", namespace: NS, name: "owner" };
      await rest(api, "PUT", `${APPS}/in-deletion/binding`, { api: "kubernetes", kind: "ClusterBinding", cluster: ref });
      const doc = (await rest(api, "DELETE", `${APPS}/in-deletion`)).json;
      meta(doc).finalizers = [...(meta(doc).finalizers as string[]), "another"];
      const added = await rest(api, "PUT", `${APPS}/in-deletion`, doc);
      expect(added.status, added.text).to.equal(409);
      expect(added.json.detail).to.match(/added: another/);
      meta(doc).finalizers = ["cascade_deletion"];
      meta(doc).owners = [];
      meta(doc).labels = { changed: "yes" };
      const changed = await rest(api, "PUT", `${APPS}/in-deletion`, doc);
      expect(changed.status, changed.text).to.equal(200);
      expect(meta(changed.json).owners).to.deep.equal([]);
    });

    it("binds an object that is being deleted", async () => {
      await rest(api, "POST", APPS, app("bind-late", { hooks: [] }));
      await rest(api, "DELETE", `${APPS}/bind-late`);
      const ref = { api: "kubernetes", kind: "Cluster", namespace: NS, name: "owner" };
      const bound = await rest(api, "PUT", `${APPS}/bind-late/binding`, { cluster: ref });
      expect(bound.status, bound.text).to.equal(200);
      expect(status(bound.json).scheduled_to).to.deep.equal(ref);
    });

    it("retry of a DEGRADED Application goes to WAITING_FOR_CLEANING and clears the shutdown grace period", async () => {
      await rest(api, "POST", APPS, app("to-retry", { hooks: ["shutdown"] }));
      const doc = (await rest(api, "GET", `${APPS}/to-retry`)).json;
      status(doc).state = "DEGRADED";
      status(doc).shutdown_grace_period = "2026-01-02T03:04:05Z";
      await rest(api, "PUT", `${APPS}/to-retry/status`, doc);
      const retried = await rest(api, "PUT", `${APPS}/to-retry/retry`);
      expect(retried.status, retried.text).to.equal(200);
      expect(status(retried.json).state).to.equal("WAITING_FOR_CLEANING");
      expect(status(retried.json).shutdown_grace_period).to.equal(null);
    });

    it("answers a forced delete with state DELETED and `deleted` set", async () => {
      await rest(api, "POST", APPS, app("forced", { hooks: [] }));
      const res = await rest(api, "DELETE", `${APPS}/forced?force=True&blocking=False`);
      expect(res.status, res.text).to.equal(200);
      expect(status(res.json).state).to.equal("DELETED");
      expect(meta(res.json).deleted).to.be.a("string");
      expect((await rest(api, "GET", `${APPS}/forced`)).status).to.equal(404);
    });

    it("answers blocking=deleted with state DELETED and `deleted` set once the object is gone", async () => {
      await rest(api, "POST", APPS, app("blocked-delete", { hooks: [] }));
      const waiting = rest(api, "DELETE", `${APPS}/blocked-delete?blocking=deleted`);
      // the garbage collector's part: drop the finalizer once the delete has marked the object
      let doc: Json;
      do doc = (await rest(api, "GET", `${APPS}/blocked-delete`)).json;
      while (!meta(doc).deleted);
      meta(doc).finalizers = [];
      expect((await rest(api, "PUT", `${APPS}/blocked-delete`, doc)).status).to.equal(200);
      const res = await waiting;
      expect(res.status, res.text).to.equal(200);
      expect(status(res.json).state).to.equal("DELETED");
      expect(meta(res.json).deleted).to.be.a("string");
    });
  });
});
