/**
 * The openstack group over REST (krake-model.md §1): Krake's URLs and wire
 * shape for Project and MagnumCluster, validation (422 naming the field),
 * the immutable fields (400 UPDATE_ERROR), the status subresource and the
 * MagnumCluster binding (status.project/template, owners += project).
 */
import { expect } from "chai";
import { useApi } from "../../fixtures/api.js";
import type { ApiHarness } from "../../fixtures/api.js";
import type { EtcdProcess } from "../../fixtures/etcd.js";
import { expectProblem, fixture, rest } from "../../gateway/helpers.js";
import type { Json } from "../../gateway/helpers.js";
import { uniqueId } from "./conformance/index.js";

type Doc = Json & { metadata: Json; spec: Json; status: Json };

describe("the openstack group over REST", function () {
  this.timeout(30_000);
  let etcd: EtcdProcess;
  let api: ApiHarness;
  useApi((started) => ({ etcd, api } = started));

  const projects = (ns: string) => `/openstack/namespaces/${ns}/projects`;
  const clusters = (ns: string) => `/openstack/namespaces/${ns}/magnumclusters`;
  const ns = () => `os-${uniqueId()}`;

  /** A fixture with a fresh name; `edit` changes it before it is sent. */
  function doc(file: string, edit: (d: Doc) => void = () => {}): Doc {
    const d = fixture(file) as Doc;
    d.metadata = { ...d.metadata, name: `${String(d.metadata.name)}-${uniqueId()}` };
    edit(d);
    return d;
  }

  async function create(path: string, body: Doc): Promise<Doc> {
    const res = await rest(api, "POST", path, body);
    expect(res.status, res.text).to.equal(200);
    return res.json as Doc;
  }

  function fieldsOf(p: Json): string[] {
    return (p.errors as Json[]).map((e) => String(e.field));
  }

  describe("Project", () => {
    it("is created, read and listed in Krake's shape, per namespace and across namespaces", async () => {
      const n = ns();
      const created = await create(projects(n), doc("project.json"));
      expect(created.api).to.equal("openstack");
      expect(created.kind).to.equal("Project");
      expect(created.metadata.namespace).to.equal(n);
      expect(created.metadata.uid).to.be.a("string").and.not.empty;
      expect(created.status).to.deep.include({ state: "ONLINE", metrics_reasons: {} });
      const auth = created.spec.auth as Json;
      expect(auth.type).to.equal("password");
      expect(auth.password).to.deep.equal(((fixture("project.json").spec as Json).auth as Json).password);
      expect(created.spec.template).to.equal("4b2e6a3c-8d1f-4c5e-9a7b-2f1d3e5c7a9b");

      const other = await create(projects(`${n}-b`), doc("project-application-credential.json"));
      expect((other.spec.auth as Json).application_credential).to.deep.equal({ id: "2f9c1e7b5a3d4c8e9b6a1f2e3d4c5b6a", secret: "app-cred-secret" });

      const got = await rest(api, "GET", `${projects(n)}/${String(created.metadata.name)}`);
      expect(got.status, got.text).to.equal(200);
      expect(got.json.spec).to.deep.equal(created.spec);

      const listed = await rest(api, "GET", projects(n));
      expect(listed.json.kind).to.equal("ProjectList");
      expect((listed.json.items as Doc[]).map((i) => i.metadata.name)).to.deep.equal([created.metadata.name]);
      const all = await rest(api, "GET", "/openstack/projects");
      const names = (all.json.items as Doc[]).map((i) => i.metadata.name);
      expect(names).to.include.members([created.metadata.name, other.metadata.name]);
    });

    const invalid: [string, (d: Doc) => void, string][] = [
      ["a missing url", (d) => delete d.spec.url, "spec.url"],
      ["a url that is not http(s)", (d) => (d.spec.url = "keystone.example"), "spec.url"],
      ["a missing template", (d) => delete d.spec.template, "spec.template"],
      ["a missing auth", (d) => delete d.spec.auth, "spec.auth"],
      ["an unknown auth type", (d) => ((d.spec.auth as Json).type = "token"), "spec.auth.type"],
      ["a password without the user's password", (d) => delete (((d.spec.auth as Json).password as Json).user as Json).password, "spec.auth.password.user.password"],
      ["a password without the project", (d) => delete ((d.spec.auth as Json).password as Json).project, "spec.auth.password.project"],
      [
        "type password with an application credential",
        (d) => ((d.spec.auth as Json).application_credential = { id: "x", secret: "y" }),
        "spec.auth.application_credential",
      ],
      ["type application_credential without it", (d) => ((d.spec.auth as Json).type = "application_credential"), "spec.auth.application_credential"],
      ["a metric without a weight", (d) => (d.spec.metrics = [{ name: "heat-demand", weight: 0 }]), "spec.metrics[0].weight"],
    ];
    for (const [what, edit, field] of invalid) {
      it(`rejects ${what} with 422 naming ${field}`, async () => {
        const p = expectProblem(await rest(api, "POST", projects(ns()), doc("project.json", edit)), 422, "INVALID_ARGUMENT");
        expect(fieldsOf(p)).to.include(field);
      });
    }

    it("rejects an application credential without its secret", async () => {
      const body = doc("project-application-credential.json", (d) => delete ((d.spec.auth as Json).application_credential as Json).secret);
      const p = expectProblem(await rest(api, "POST", projects(ns()), body), 422, "INVALID_ARGUMENT");
      expect(fieldsOf(p)).to.deep.equal(["spec.auth.application_credential.secret"]);
    });

    it("updates the spec (PUT of the whole document) and the status (PUT …/status) separately", async () => {
      const n = ns();
      const created = await create(projects(n), doc("project.json"));
      const path = `${projects(n)}/${String(created.metadata.name)}`;
      const changed = { ...created, spec: { ...created.spec, template: "other-template" }, status: { state: "FAILING_METRICS" } };
      const put = await rest(api, "PUT", path, changed);
      expect(put.status, put.text).to.equal(200);
      expect((put.json as Doc).spec.template).to.equal("other-template");
      expect((put.json as Doc).status.state).to.equal("ONLINE");

      const failing = {
        ...put.json,
        status: { state: "FAILING_METRICS", metrics_reasons: { "heat-demand": { code: "UNKNOWN_METRIC", message: "no such metric" } } },
      };
      const st = await rest(api, "PUT", `${path}/status`, failing);
      expect(st.status, st.text).to.equal(200);
      expect((st.json as Doc).status).to.deep.include({ state: "FAILING_METRICS" });
      expect(((st.json as Doc).status.metrics_reasons as Json)["heat-demand"]).to.deep.equal({ code: "UNKNOWN_METRIC", message: "no such metric" });
      expect((st.json as Doc).metadata.modified).to.equal((put.json as Doc).metadata.modified);
    });
  });

  describe("MagnumCluster", () => {
    it("is created in Krake's shape with its status reset to PENDING", async () => {
      const n = ns();
      const created = await create(clusters(n), doc("magnumcluster.json", (d) => (d.status = { state: "RUNNING", template: "t" })));
      expect(created.kind).to.equal("MagnumCluster");
      expect(created.spec).to.deep.include({ master_count: 1, node_count: 3 });
      expect(created.spec.constraints).to.deep.equal({ project: { labels: ["location is DE"] } });
      expect(created.status.state).to.equal("PENDING");
      expect(created.status.template).to.equal("");
      const all = await rest(api, "GET", "/openstack/magnumclusters");
      expect(all.json.kind).to.equal("MagnumClusterList");
      expect((all.json.items as Doc[]).map((i) => i.metadata.name)).to.include(created.metadata.name);
    });

    const invalid: [string, (d: Doc) => void, string][] = [
      ["a master_count of 0", (d) => (d.spec.master_count = 0), "spec.master_count"],
      ["a negative node_count", (d) => (d.spec.node_count = -1), "spec.node_count"],
      ["a malformed project label constraint", (d) => (d.spec.constraints = { project: { labels: ["location ~ DE"] } }), "spec.constraints.project.labels[0]"],
      ["a metric with a bad name", (d) => (d.spec.metrics = [{ name: "bad name", weight: 1 }]), "spec.metrics[0].name"],
    ];
    for (const [what, edit, field] of invalid) {
      it(`rejects ${what} with 422 naming ${field}`, async () => {
        const p = expectProblem(await rest(api, "POST", clusters(ns()), doc("magnumcluster.json", edit)), 422, "INVALID_ARGUMENT");
        expect(fieldsOf(p)).to.include(field);
      });
    }

    it("accepts a spec without counts (Magnum's defaults)", async () => {
      const created = await create(clusters(ns()), doc("magnumcluster.json", (d) => (d.spec = {})));
      expect(created.spec.master_count).to.equal(null);
    });

    it("refuses to change master_count (400 UPDATE_ERROR) but updates node_count", async () => {
      const n = ns();
      const created = await create(clusters(n), doc("magnumcluster.json"));
      const path = `${clusters(n)}/${String(created.metadata.name)}`;
      for (const masterCount of [3, null]) {
        const body = { ...created, spec: { ...created.spec, master_count: masterCount, node_count: 5 } };
        const p = expectProblem(await rest(api, "PUT", path, body), 400, "INVALID_ARGUMENT");
        expect(p.title).to.equal("UPDATE_ERROR");
        expect(p.detail).to.equal("Trying to update an immutable field: spec.master_count");
        expect(p.errors).to.deep.equal([{ field: "spec.master_count", message: "field is immutable" }]);
      }
      const ok = await rest(api, "PUT", path, { ...created, spec: { ...created.spec, node_count: 5 } });
      expect(ok.status, ok.text).to.equal(200);
      expect((ok.json as Doc).spec).to.deep.include({ master_count: 1, node_count: 5 });
      expect((ok.json as Doc).metadata.generation).to.equal("2");
    });

    describe("binding", () => {
      const projectRef = (n: string) => ({ api: "openstack", kind: "Project", namespace: n, name: "os-project-1" });

      it("sets status.project and status.template and adds the project to the owners", async () => {
        const n = ns();
        const created = await create(clusters(n), doc("magnumcluster.json"));
        const path = `${clusters(n)}/${String(created.metadata.name)}`;
        // Krake's scheduler sends the binding as an API object.
        const body = { api: "openstack", kind: "MagnumClusterBinding", project: projectRef(n), template: "tmpl-1" };
        const res = await rest(api, "PUT", `${path}/binding`, body);
        expect(res.status, res.text).to.equal(200);
        const bound = res.json as Doc;
        expect(bound.status).to.deep.include({ project: projectRef(n), template: "tmpl-1", state: "PENDING" });
        expect(bound.metadata.owners).to.deep.equal([projectRef(n)]);
        expect(bound.spec).to.deep.equal(created.spec);
        expect(bound.metadata.generation).to.equal(created.metadata.generation);

        const again = await rest(api, "PUT", `${path}/binding`, { project: projectRef(n), template: "tmpl-1" });
        expect(again.status, again.text).to.equal(200);
        expect((again.json as Doc).metadata.owners).to.have.length(1);
        const got = await rest(api, "GET", path);
        expect((got.json as Doc).status.template).to.equal("tmpl-1");
      });

      it("rejects a body without a template or a complete project reference (422)", async () => {
        const n = ns();
        const created = await create(clusters(n), doc("magnumcluster.json"));
        const path = `${clusters(n)}/${String(created.metadata.name)}/binding`;
        let p = expectProblem(await rest(api, "PUT", path, { project: projectRef(n) }), 422, "INVALID_ARGUMENT");
        expect(fieldsOf(p)).to.deep.equal(["binding.template"]);
        p = expectProblem(await rest(api, "PUT", path, { project: { api: "openstack", kind: "Project" }, template: "t" }), 422, "INVALID_ARGUMENT");
        expect(fieldsOf(p)).to.deep.equal(["binding.project.name"]);
        p = expectProblem(await rest(api, "PUT", path, { kind: "ClusterBinding", project: projectRef(n), template: "t" }), 422, "INVALID_ARGUMENT");
        expect(fieldsOf(p)).to.deep.equal(["binding.kind"]);
      });

      it("binds a cluster that is being deleted too (as Krake does)", async () => {
        const n = ns();
        const created = await create(clusters(n), doc("magnumcluster.json", (d) => (d.metadata.finalizers = ["magnum_cluster_deletion"])));
        const path = `${clusters(n)}/${String(created.metadata.name)}`;
        const del = await rest(api, "DELETE", path);
        expect(del.status, del.text).to.equal(200);
        const bound = await rest(api, "PUT", `${path}/binding`, { project: projectRef(n), template: "t" });
        expect(bound.status, bound.text).to.equal(200);
        expect((bound.json.status as Doc).template).to.equal("t");
      });

      it("makes status.template immutable: a status update may keep it, not change or clear it", async () => {
        const n = ns();
        const created = await create(clusters(n), doc("magnumcluster.json"));
        const path = `${clusters(n)}/${String(created.metadata.name)}`;
        // Before the binding the template is unset, and a controller may still write it.
        const early = await rest(api, "PUT", `${path}/status`, { ...created, status: { state: "PENDING" } });
        expect(early.status, early.text).to.equal(200);
        const bound = (await rest(api, "PUT", `${path}/binding`, { project: projectRef(n), template: "tmpl-1" })).json as Doc;
        for (const template of ["tmpl-2", ""]) {
          const p = expectProblem(await rest(api, "PUT", `${path}/status`, { ...bound, status: { ...bound.status, template } }), 400, "INVALID_ARGUMENT");
          expect(p.title).to.equal("UPDATE_ERROR");
          expect(p.detail).to.equal("Trying to update an immutable field: status.template");
        }
        const running = {
          ...bound,
          status: { ...bound.status, state: "RUNNING", cluster_id: "c-1", node_count: 3, api_address: "https://10.0.0.5:6443", master_addresses: ["10.0.0.5"], node_addresses: ["10.0.0.6", "10.0.0.7"] },
        };
        const ok = await rest(api, "PUT", `${path}/status`, running);
        expect(ok.status, ok.text).to.equal(200);
        expect((ok.json as Doc).status).to.deep.include({ state: "RUNNING", template: "tmpl-1", cluster_id: "c-1", node_count: 3 });
        expect((ok.json as Doc).status.node_addresses).to.deep.equal(["10.0.0.6", "10.0.0.7"]);
      });
    });
  });
});
