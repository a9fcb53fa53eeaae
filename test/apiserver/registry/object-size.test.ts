/**
 * max_object_bytes: a write that would store an object whose encoding is over
 * the limit is refused before the store write, with RESOURCE_EXHAUSTED
 * (reason TooLarge) over gRPC and 413 with a problem document over REST, and
 * the stored object stays as it was. Delete and writes that shrink an object
 * are not refused, so that every object can go away.
 */
import { expect } from "chai";
import { status as Status } from "@grpc/grpc-js";
import { Application, ApplicationStatus } from "../../../gen/krake/kubernetes/v1/application.js";
import { objectKey } from "../../../src/store/keys.js";
import type { EtcdProcess } from "../../fixtures/etcd.js";
import { useApi } from "../../fixtures/api.js";
import type { ApiHarness } from "../../fixtures/api.js";
import { expectProblem, rest } from "../../gateway/helpers.js";
import type { Json } from "../../gateway/helpers.js";
import { expectApiError, krakeDocument, meta, rv, uniqueId } from "./conformance/index.js";

const LIMIT = 64 * 1024;
const limitMessage = (name: string) => new RegExp(`^Application "${name}" is \\d+ bytes encoded; the limit is ${LIMIT} \\(max_object_bytes\\)$`);

/** A ConfigMap manifest resource carrying `bytes` bytes of data. */
const blob = (bytes: number) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "blob" }, data: { blob: "x".repeat(bytes) } });

describe("max_object_bytes", () => {
  let etcd: EtcdProcess;
  let api: ApiHarness;
  useApi((started) => ({ etcd, api } = started), { maxObjectBytes: LIMIT });

  const apps = () => api.clients.applications;
  const keyOf = (ns: string, name: string) => objectKey(api.prefix, "kubernetes", "applications", ns, name);
  /** The stored value's size and mod revision, read from etcd itself. */
  async function stored(ns: string, name: string): Promise<{ bytes: number; revision: number } | undefined> {
    const kv = await api.store.get(keyOf(ns, name));
    return kv && { bytes: kv.value.length, revision: kv.modRevision };
  }

  function newApp(ns: string, padding = 0, finalizers: string[] = []): Application {
    const app = Application.fromJSON(krakeDocument("application.json"));
    meta(app).name = `app-${uniqueId()}`;
    meta(app).namespace = ns;
    meta(app).finalizers = finalizers;
    if (padding) app.spec!.manifest.push(blob(padding));
    return app;
  }

  /**
   * `app` with a blob in its status sized so that its stored encoding is
   * `bytes` long: measured, then adjusted. Status updates, unlike updates,
   * touch no timestamp, whose encoding varies in length.
   */
  async function resized(app: Application, bytes: number): Promise<Application> {
    const ns = meta(app).namespace;
    const name = meta(app).name;
    let current = app;
    // half the size already: the length prefixes around the blob keep their width as it grows to the rest
    let padding = Math.floor(bytes / 2);
    for (let attempt = 0; attempt < 3; attempt++) {
      const body = Application.fromPartial(current);
      body.status = ApplicationStatus.fromPartial({ ...current.status, lastAppliedManifest: [blob(padding)] });
      current = await apps().updateApplicationStatus({ namespace: ns, name, application: body });
      const size = (await stored(ns, name))!.bytes;
      if (size === bytes) return current;
      padding += bytes - size;
    }
    throw new Error(`could not size ${name} to ${bytes} bytes`);
  }

  /** A status update that grows `app`'s status blob by `bytes`. */
  function grownStatus(app: Application, bytes: number): Application {
    const body = Application.fromPartial(app);
    const padding = (app.status!.lastAppliedManifest[0].data as { blob: string }).blob.length;
    body.status = ApplicationStatus.fromPartial({ ...app.status, lastAppliedManifest: [blob(padding + bytes)] });
    return body;
  }

  describe("over gRPC", () => {
    it("refuses a create over the limit with RESOURCE_EXHAUSTED/TooLarge and stores nothing", async () => {
      const ns = `size-${uniqueId()}`;
      const app = newApp(ns, LIMIT);
      const err = await expectApiError(apps().createApplication({ namespace: ns, application: app, blocking: "" }), Status.RESOURCE_EXHAUSTED);
      expect(err.reason).to.equal("TooLarge");
      expect(err.message).to.match(limitMessage(meta(app).name));
      expect(await stored(ns, meta(app).name)).to.equal(undefined);
      await expectApiError(apps().getApplication({ namespace: ns, name: meta(app).name }), Status.NOT_FOUND);
    });

    it("takes an object of exactly the limit, and refuses a status update one byte over it, leaving the stored version", async () => {
      const ns = `size-${uniqueId()}`;
      const created = await apps().createApplication({ namespace: ns, application: newApp(ns), blocking: "" });
      const atLimit = await resized(created, LIMIT);
      const before = (await stored(ns, meta(atLimit).name))!;
      expect(before.revision).to.equal(rv(atLimit));

      const err = await expectApiError(
        apps().updateApplicationStatus({ namespace: ns, name: meta(atLimit).name, application: grownStatus(atLimit, 1) }),
        Status.RESOURCE_EXHAUSTED,
      );
      expect(err.reason).to.equal("TooLarge");
      expect(err.message).to.equal(`Application "${meta(atLimit).name}" is ${LIMIT + 1} bytes encoded; the limit is ${LIMIT} (max_object_bytes)`);
      expect(await stored(ns, meta(atLimit).name)).to.deep.equal(before);
      const got = await apps().getApplication({ namespace: ns, name: meta(atLimit).name });
      expect(rv(got)).to.equal(rv(atLimit));
    });

    it("refuses an update over the limit and leaves the stored version", async () => {
      const ns = `size-${uniqueId()}`;
      const created = await apps().createApplication({ namespace: ns, application: newApp(ns, 1_000), blocking: "" });
      const before = await stored(ns, meta(created).name);
      const body = Application.fromPartial(created);
      body.spec!.manifest[2] = blob(LIMIT);
      const err = await expectApiError(apps().updateApplication({ namespace: ns, name: meta(created).name, application: body }), Status.RESOURCE_EXHAUSTED);
      expect(err.reason).to.equal("TooLarge");
      expect(err.message).to.match(limitMessage(meta(created).name));
      expect(await stored(ns, meta(created).name)).to.deep.equal(before);
      const got = await apps().getApplication({ namespace: ns, name: meta(created).name });
      expect(rv(got)).to.equal(rv(created));
      expect((got.spec!.manifest[2].data as { blob: string }).blob).to.have.length(1_000);
    });

    it("refuses a status update over the limit and leaves the stored version", async () => {
      const ns = `size-${uniqueId()}`;
      const created = await apps().createApplication({ namespace: ns, application: newApp(ns), blocking: "" });
      const before = await stored(ns, meta(created).name);
      const body = Application.fromPartial(created);
      body.status = ApplicationStatus.fromPartial({ ...created.status, lastAppliedManifest: [blob(LIMIT)] });
      const err = await expectApiError(
        apps().updateApplicationStatus({ namespace: ns, name: meta(created).name, application: body }),
        Status.RESOURCE_EXHAUSTED,
      );
      expect(err.reason).to.equal("TooLarge");
      expect(err.message).to.match(limitMessage(meta(created).name));
      expect(await stored(ns, meta(created).name)).to.deep.equal(before);
      const got = await apps().getApplication({ namespace: ns, name: meta(created).name });
      expect(got.status!.lastAppliedManifest).to.deep.equal([]);
    });

    it("refuses a subresource write that takes an object over the limit", async () => {
      const ns = `size-${uniqueId()}`;
      const created = await apps().createApplication({ namespace: ns, application: newApp(ns), blocking: "" });
      const atLimit = await resized(created, LIMIT);
      const before = await stored(ns, meta(atLimit).name);
      const err = await expectApiError(
        apps().bindApplication({
          namespace: ns,
          name: meta(atLimit).name,
          binding: { cluster: { api: "kubernetes", kind: "Cluster", namespace: ns, name: "edge-1" } },
          resourceVersion: "",
        }),
        Status.RESOURCE_EXHAUSTED,
      );
      expect(err.reason).to.equal("TooLarge");
      expect(await stored(ns, meta(atLimit).name)).to.deep.equal(before);
    });

    it("deletes an object at the limit, and lets its finalizers go although it is over the limit meanwhile", async () => {
      const ns = `size-${uniqueId()}`;
      const created = await apps().createApplication({ namespace: ns, application: newApp(ns, 0, ["keep"]), blocking: "" });
      const atLimit = await resized(created, LIMIT);
      const name = meta(atLimit).name;

      // Delete adds a timestamp and the cascade_deletion finalizer: over the limit, and allowed
      const deleting = await apps().deleteApplication({ namespace: ns, name, propagationPolicy: "", blocking: "", resourceVersion: "", force: false });
      expect(meta(deleting).finalizers).to.deep.equal(["keep", "cascade_deletion"]);
      expect((await stored(ns, name))!.bytes).to.be.above(LIMIT);

      // as the garbage collector does: one finalizer off; smaller, still over the limit
      const body = Application.fromPartial(deleting);
      meta(body).finalizers = ["keep"];
      const shrunk = await apps().updateApplication({ namespace: ns, name, application: body });
      expect((await stored(ns, name))!.bytes).to.be.above(LIMIT);

      meta(shrunk).finalizers = [];
      await apps().updateApplication({ namespace: ns, name, application: shrunk });
      expect(await stored(ns, name)).to.equal(undefined);
    });
  });

  describe("over REST", () => {
    const path = (ns: string, name = "") => `/kubernetes/namespaces/${ns}/applications${name ? `/${name}` : ""}`;

    function document(ns: string, name: string, padding: number): Json {
      const doc = krakeDocument("application.json") as Json & { metadata: Json; spec: { manifest: unknown[] } };
      doc.metadata = { ...doc.metadata, name, namespace: ns };
      if (padding) doc.spec.manifest.push(blob(padding));
      return doc;
    }

    it("answers a create over the limit with 413 and a problem document, and stores nothing", async () => {
      const ns = `size-${uniqueId()}`;
      const name = `app-${uniqueId()}`;
      const p = expectProblem(await rest(api, "POST", path(ns), document(ns, name, LIMIT)), 413, "RESOURCE_EXHAUSTED");
      expect(p.detail).to.match(limitMessage(name));
      expect(await stored(ns, name)).to.equal(undefined);
    });

    it("answers an update over the limit with 413 and leaves the stored version", async () => {
      const ns = `size-${uniqueId()}`;
      const name = `app-${uniqueId()}`;
      const created = await rest(api, "POST", path(ns), document(ns, name, 0));
      expect(created.status, created.text).to.equal(200);
      const before = await stored(ns, name);
      const p = expectProblem(await rest(api, "PUT", path(ns, name), document(ns, name, LIMIT)), 413, "RESOURCE_EXHAUSTED");
      expect(p.detail).to.match(limitMessage(name));
      expect(await stored(ns, name)).to.deep.equal(before);
      const got = await rest(api, "GET", path(ns, name));
      expect((got.json.metadata as Json).resource_version).to.equal(String(before!.revision));
    });

    it("answers a status update over the limit with 413 and leaves the stored version", async () => {
      const ns = `size-${uniqueId()}`;
      const name = `app-${uniqueId()}`;
      const created = await rest(api, "POST", path(ns), document(ns, name, 0));
      expect(created.status, created.text).to.equal(200);
      const before = await stored(ns, name);
      const body = { ...created.json, status: { ...(created.json.status as Json), last_applied_manifest: [blob(LIMIT)] } };
      const p = expectProblem(await rest(api, "PUT", `${path(ns, name)}/status`, body), 413, "RESOURCE_EXHAUSTED");
      expect(p.detail).to.match(limitMessage(name));
      expect(await stored(ns, name)).to.deep.equal(before);
    });
  });
});
