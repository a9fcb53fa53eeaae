/** PATCH with application/merge-patch+json (RFC 7386) on object routes, against a real krake-api and etcd. */
import { expect } from "chai";
import { startApi } from "../fixtures/api.js";
import type { ApiHarness } from "../fixtures/api.js";
import { startEtcd } from "../fixtures/etcd.js";
import type { EtcdProcess } from "../fixtures/etcd.js";
import { expectProblem, fixture, rest } from "./helpers.js";
import type { Json } from "./helpers.js";

const APP = "/kubernetes/namespaces/gw-patch/applications/echo";
const mergePatch = { "content-type": "application/merge-patch+json" };

describe("gateway merge patch", function () {
  this.timeout(30_000);
  let etcd: EtcdProcess;
  let api: ApiHarness;
  const patch = (body: unknown, path = APP) => rest(api, "PATCH", path, body, mergePatch);
  const meta = (j: Json) => j.metadata as Json;

  before(async () => {
    etcd = await startEtcd();
    api = await startApi(etcd);
  });
  beforeEach(async () => {
    await rest(api, "DELETE", `${APP}?force=True`);
    const res = await rest(api, "POST", "/kubernetes/namespaces/gw-patch/applications", fixture("application.json"));
    expect(res.status, res.text).to.equal(200);
  });
  after(async () => {
    await api?.stop();
    await etcd?.remove();
  });

  it("merges objects key by key; null removes a key; lists are replaced", async () => {
    const res = await patch({ metadata: { labels: { app: null, tier: "web" } }, spec: { hooks: ["complete", "shutdown"] } });
    expect(res.status, res.text).to.equal(200);
    expect(meta(res.json).labels).to.deep.equal({ tier: "web" });
    expect((res.json.spec as Json).hooks).to.deep.equal(["complete", "shutdown"]);
    expect((res.json.spec as Json).manifest).to.have.length(2);
    expect(meta(res.json).generation).to.equal("2");
    const got = await rest(api, "GET", APP);
    expect(got.json).to.deep.equal(res.json);
  });

  it("accepts lowerCamel keys", async () => {
    const res = await patch({ metadata: { inheritLabels: true }, spec: { backoffLimit: 3 } });
    expect(res.status, res.text).to.equal(200);
    expect(meta(res.json).inherit_labels).to.equal(true);
    expect((res.json.spec as Json).backoff_limit).to.equal(3);
  });

  it("honours a resource_version in the patch as a precondition", async () => {
    const current = await rest(api, "GET", APP);
    const rv = meta(current.json).resource_version as string;
    expectProblem(await patch({ metadata: { resource_version: String(Number(rv) - 1), labels: { a: "1" } } }), 409, "ABORTED");
    const ok = await patch({ metadata: { resourceVersion: rv, labels: { a: "1" } } });
    expect(ok.status, ok.text).to.equal(200);
    expect(meta(ok.json).labels).to.deep.equal({ app: "echo", a: "1" });
  });

  it("retries on conflict: concurrent patches all land", async () => {
    const results = await Promise.all([1, 2, 3, 4, 5].map((i) => patch({ metadata: { labels: { [`l${i}`]: String(i) } } })));
    for (const r of results) expect(r.status, r.text).to.equal(200);
    const got = await rest(api, "GET", APP);
    expect(meta(got.json).labels).to.deep.equal({ app: "echo", l1: "1", l2: "2", l3: "3", l4: "4", l5: "5" });
  });

  it("answers a patch that changes nothing with the object as it is (status is not patchable here)", async () => {
    const before = await rest(api, "GET", APP);
    const res = await patch({ metadata: { labels: { app: "echo" } }, status: { state: "RUNNING" } });
    expect(res.status, res.text).to.equal(200);
    expect(res.json).to.deep.equal(before.json);
    expect((res.json.status as Json).state).to.equal("PENDING");
  });

  it("rejects what is not a merge patch of an existing object", async () => {
    const p = expectProblem(await patch({ spec: { backoff: "often" } }), 422, "INVALID_ARGUMENT");
    expect(p.errors).to.deep.equal([{ field: "spec.backoff", message: "expected an integer (int32)" }]);
    expectProblem(await patch([{ op: "add", path: "/metadata/labels/x", value: "y" }]), 400, "INVALID_ARGUMENT");
    expectProblem(await patch("{oops"), 400, "INVALID_ARGUMENT");
    expectProblem(await patch({}, `${APP}?force=True`), 400, "INVALID_ARGUMENT");
    expectProblem(await patch({ metadata: { labels: { a: "b" } } }, "/kubernetes/namespaces/gw-patch/applications/nope"), 404, "NOT_FOUND");
    const json = await rest(api, "PATCH", APP, { metadata: {} }, { "content-type": "application/json-patch+json" });
    expect(expectProblem(json, 415, "INVALID_ARGUMENT").detail).to.match(/merge-patch\+json/);
  });
});
