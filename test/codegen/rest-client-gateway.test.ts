/**
 * The generated REST client and the OpenAPI document against the real
 * gateway (in krake-api) over a real etcd: create, get, list and watch, an
 * error, and every JSON answer validated against gen/openapi.json's schemas.
 */
import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import type { ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { expect } from "chai";
import { GlobalMetricsProviderServiceClient } from "../../gen/rest/krake/core/v1/metrics_provider.js";
import type { GlobalMetricsProvider } from "../../gen/rest/krake/core/v1/metrics_provider.js";
import { ApplicationServiceClient } from "../../gen/rest/krake/kubernetes/v1/application.js";
import type { Application, WatchApplicationsResponse } from "../../gen/rest/krake/kubernetes/v1/application.js";
import { ClusterServiceClient } from "../../gen/rest/krake/kubernetes/v1/cluster.js";
import type { Cluster } from "../../gen/rest/krake/kubernetes/v1/cluster.js";
import { RestError } from "../../gen/rest/runtime.js";
import type { Input } from "../../gen/rest/runtime.js";
import { startApi } from "../fixtures/api.js";
import type { ApiHarness } from "../fixtures/api.js";
import { startEtcd } from "../fixtures/etcd.js";
import type { EtcdProcess } from "../fixtures/etcd.js";
import { loadOpenApi, root } from "./descriptors.js";

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const doc = loadOpenApi();
const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
ajv.addSchema({ $id: "openapi.json", components: doc.components });

function schema(name: string): ValidateFunction {
  const validate = ajv.getSchema(`openapi.json#/components/schemas/${name}`);
  if (!validate) throw new Error(`no schema ${name}`);
  return validate;
}

function expectValid(name: string, value: unknown): void {
  const validate = schema(name);
  expect(validate(value), `${name}: ${JSON.stringify(validate.errors, null, 2)}`).to.equal(true);
}

function fixture<T>(name: string): Input<T> {
  return JSON.parse(readFileSync(new URL(`test/fixtures/krake/${name}`, root), "utf8")) as Input<T>;
}

/** Krake's example Application (shared/fixtures), as a REST client sends it. */
function krakeApplication(name: string): Input<Application> {
  const { spec } = fixture<Application>("application.json");
  return { api: "kubernetes", kind: "Application", metadata: { name, labels: { app: "echo" } }, spec };
}

describe("codegen: generated REST client against the real gateway", function () {
  this.timeout(60_000);
  let etcd: EtcdProcess;
  let api: ApiHarness;
  let apps: ApplicationServiceClient;
  const namespace = "system:admin";

  before(async () => {
    etcd = await startEtcd();
    // A small watch window, so that an old resource_version expires after a few writes.
    api = await startApi(etcd, { watch: { windowSize: 2 } });
    apps = new ApplicationServiceClient({ baseUrl: `http://127.0.0.1:${api.server.httpPort}` });
  });
  after(async () => {
    await api?.stop();
    await etcd?.stop();
  });

  it("serves gen/openapi.json at /openapi.json", async () => {
    const res = await fetch(`http://127.0.0.1:${api.server.httpPort}/openapi.json`);
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.equal(doc);
  });

  it("documents exactly the routes the gateway serves", () => {
    const served = new Set(api.server.gateway.routes().map((r) => `${r.method} ${r.path}`));
    const documented = new Set(Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((verb) => `${verb.toUpperCase()} ${path}`)));
    expect(documented).to.deep.equal(served);
  });

  it("creates, gets, lists and watches Applications; every answer matches the document's schemas", async () => {
    const watched: WatchApplicationsResponse[] = [];
    const controller = new AbortController();
    // from the version of a list, as informers do: a watch "from now" may start after the create below
    const before = await apps.listApplications({ namespace });
    const from = before.metadata?.resource_version ?? "";
    const events = apps.watchApplications({ namespace, heartbeat: 1, resource_version: from }, { signal: controller.signal })[Symbol.asyncIterator]();
    const first = events.next();

    const created = await apps.createApplication({ namespace, application: krakeApplication("echo") });
    expectValid("krake.kubernetes.v1.Application", created);
    expect(created.metadata?.namespace).to.equal(namespace);
    expect(created.spec?.constraints?.cluster?.labels).to.deep.equal(["location in (DE, FR)"]);
    expect(created.status?.state).to.equal("PENDING");

    // The schemas are strict enough to catch a differently shaped answer.
    const validate = schema("krake.kubernetes.v1.Application");
    const { status: _status, ...withoutStatus } = created;
    expect(validate(withoutStatus)).to.equal(false);
    expect(validate({ ...created, metadata: { ...created.metadata, generation: 1 } })).to.equal(false);

    const got = await apps.getApplication({ namespace, name: "echo" });
    expectValid("krake.kubernetes.v1.Application", got);
    expect(got).to.deep.equal(created);

    const list = await apps.listApplications({ namespace });
    expectValid("krake.kubernetes.v1.ListApplicationsResponse", list);
    expect(list.kind).to.equal("ApplicationList");
    expect(list.items.map((a) => a.metadata?.name)).to.deep.equal(["echo"]);
    const everywhere = await apps.listApplications({});
    expect(everywhere.items.map((a) => a.metadata?.uid)).to.include(created.metadata?.uid);

    const event = await first;
    expect(event.done).to.equal(false);
    if (!event.done) watched.push(event.value);
    expect(watched.map((e) => [e.type, e.object?.metadata?.name])).to.deep.equal([["ADDED", "echo"]]);
    expectValid("krake.kubernetes.v1.WatchApplicationsResponse", watched[0]);

    const deleted = await apps.deleteApplication({ namespace, name: "echo" });
    expectValid("krake.kubernetes.v1.Application", deleted);
    const next = await events.next();
    expect(next.done ? undefined : [next.value.type, next.value.object?.metadata?.deleted !== null]).to.deep.equal(["MODIFIED", true]);
    controller.abort();
    const err = await events.next().catch((e: unknown) => e);
    expect((err as Error).name).to.equal("AbortError");
  });

  it("resumes a watch from a resource_version", async () => {
    const created = await apps.createApplication({ namespace, application: krakeApplication("resume") });
    const version = created.metadata?.resource_version ?? "";
    await apps.deleteApplication({ namespace, name: "resume", force: true });
    const seen: string[] = [];
    for await (const e of apps.watchApplications({ namespace, resource_version: version })) {
      seen.push(e.type);
      break;
    }
    expect(seen).to.deep.equal(["DELETED"]);
  });

  it("throws RestError on the server's ERROR line (a resource_version older than the watch cache)", async () => {
    for (const name of ["x1", "x2"]) {
      await apps.createApplication({ namespace, application: krakeApplication(name) });
      await apps.deleteApplication({ namespace, name, force: true });
    }
    const seen: WatchApplicationsResponse[] = [];
    const err = (await (async () => {
      for await (const e of apps.watchApplications({ namespace, resource_version: "1" })) seen.push(e);
    })().catch((e: unknown) => e)) as RestError;
    expect(seen).to.deep.equal([]);
    expect(err).to.be.instanceOf(RestError);
    expect([err.status, err.code]).to.deep.equal([410, "OUT_OF_RANGE"]);
    expect(err.detail).to.match(/resource version 1 is too old/);
    expectValid("Problem", err.problem);
    // On the wire: a 200 stream whose only line is the ERROR event.
    const raw = await fetch(`http://127.0.0.1:${api.server.httpPort}/kubernetes/namespaces/${encodeURIComponent(namespace)}/applications?watch&resource_version=1`);
    expect(raw.status).to.equal(200);
    expect(raw.headers.get("content-type")).to.match(/^application\/x-ndjson/);
    const lines = (await raw.text()).split("\n").filter((l) => l !== "");
    expect(lines.map((l) => (JSON.parse(l) as { type: string }).type)).to.deep.equal(["ERROR"]);
    expectValid("WatchErrorEvent", JSON.parse(lines[0] as string));
  });

  it("describes other kinds as the gateway writes them (a oneof, Struct fields)", async () => {
    const baseUrl = `http://127.0.0.1:${api.server.httpPort}`;
    const provider = await new GlobalMetricsProviderServiceClient({ baseUrl }).createGlobalMetricsProvider({
      global_metrics_provider: fixture<GlobalMetricsProvider>("globalmetricsprovider-static.json"),
    });
    expectValid("krake.core.v1.GlobalMetricsProvider", provider);
    expect(provider.spec?.static?.metrics).to.deep.equal({ "heat-demand": 0.4, "electricity-cost": 0.7 });
    expect(provider.spec, "only the chosen variant is written").not.to.have.property("prometheus");
    const cluster = await new ClusterServiceClient({ baseUrl }).createCluster({ namespace, cluster: fixture<Cluster>("cluster.json") });
    expectValid("krake.kubernetes.v1.Cluster", cluster);
    expect(cluster.metadata?.namespace).to.equal(namespace);
  });

  it("maps errors to RestError with the problem+json body", async () => {
    const missing = (await apps.getApplication({ namespace, name: "nope" }).catch((e: unknown) => e)) as RestError;
    expect(missing).to.be.instanceOf(RestError);
    expect([missing.status, missing.code]).to.deep.equal([404, "NOT_FOUND"]);
    expectValid("Problem", missing.problem);

    const invalid = (await apps
      .createApplication({ namespace, application: { metadata: { name: "bad name!" }, spec: { manifest: [] } } })
      .catch((e: unknown) => e)) as RestError;
    expect(invalid).to.be.instanceOf(RestError);
    expect([invalid.status, invalid.code]).to.deep.equal([422, "INVALID_ARGUMENT"]);
    expect(invalid.errors.map((e) => e.field)).to.include("metadata.name");
    expectValid("Problem", invalid.problem);
  });
});
