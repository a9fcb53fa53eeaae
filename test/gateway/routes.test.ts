/**
 * Every REST route of every kind, derived here from the protos' google.api.http
 * rules (read from the descriptor set with @bufbuild/protobuf, independently of
 * the gateway), exercised through node's fetch against a real krake-api over a
 * real etcd: create, get, list (each binding), watch (each binding), update,
 * patch, status, subresources, actions, delete.
 */
import { readFileSync } from "node:fs";
import { expect } from "chai";
import { createFileRegistry, fromBinary, getOption, hasOption, toJson } from "@bufbuild/protobuf";
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { useApi } from "../fixtures/api.js";
import type { ApiHarness } from "../fixtures/api.js";
import type { EtcdProcess } from "../fixtures/etcd.js";
import { expectProblem, fixture, rest, WatchReader } from "./helpers.js";
import type { Json, RestResponse } from "./helpers.js";

const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, readFileSync("gen/krake.binpb")));
const httpExt = registry.getExtension("google.api.http")!;

interface HttpBinding {
  verb: string;
  path: string;
  body: string;
}

function bindingsOf(method: DescMethod): HttpBinding[] {
  if (!hasOption(method, httpExt)) return [];
  const rule = toJson(httpExt.message!, getOption(method, httpExt) as never) as Record<string, unknown>;
  const out: HttpBinding[] = [];
  for (const r of [rule, ...((rule.additionalBindings as Record<string, unknown>[] | undefined) ?? [])]) {
    for (const verb of ["get", "put", "post", "delete", "patch"]) {
      if (typeof r[verb] === "string") out.push({ verb: verb.toUpperCase(), path: r[verb] as string, body: (r.body as string) ?? "" });
    }
  }
  return out;
}

const services: DescService[] = [];
for (const file of registry.files) for (const s of file.services) if (s.methods.some((m) => bindingsOf(m).length)) services.push(s);

const NS = "gw-routes";

/** A valid object of each kind, in Krake's wire shape; a kind without one fails the suite. */
function objectFor(kind: string): Json {
  const rename = (doc: Json, k: string): Json => ({ ...doc, kind: k });
  switch (kind) {
    case "Application":
      return fixture("application.json");
    case "Cluster":
      return fixture("cluster.json");
    case "Role":
      return fixture("role.yaml");
    case "RoleBinding":
      return fixture("rolebinding.yaml");
    case "GlobalMetric":
      return fixture("globalmetric.json");
    case "Metric":
      return rename(fixture("globalmetric.json"), "Metric");
    case "GlobalMetricsProvider":
      return fixture("globalmetricsprovider.json");
    case "MetricsProvider":
      return rename(fixture("globalmetricsprovider.json"), "MetricsProvider");
    case "GlobalInfrastructureProvider":
      return fixture("globalinfrastructureprovider.json");
    case "InfrastructureProvider":
      return fixture("infrastructureprovider.json");
    case "GlobalCloud":
      return fixture("globalcloud.json");
    case "Cloud":
      return fixture("cloud.json");
    case "Project":
      return fixture("project.json");
    case "MagnumCluster":
      return fixture("magnumcluster.json");
    case "Lease":
      return { api: "core", kind: "Lease", metadata: { name: "leader" }, spec: { holder_identity: "replica-1", lease_duration_seconds: 15 } };
    default:
      throw new Error(`routes.test.ts: add a fixture for kind ${kind}`);
  }
}

/**
 * What each subresource or action call does to a fresh object: the body to
 * send and what to expect. Every subresource and action RPC in the protos
 * must be listed here.
 */
const subresources: Record<string, { body: Json; check(res: RestResponse): void }> = {
  BindApplication: {
    body: { cluster: { api: "kubernetes", kind: "Cluster", namespace: NS, name: "edge-1" } },
    check(res) {
      expect(res.status, res.text).to.equal(200);
      expect((res.json.status as Json).scheduled_to).to.deep.equal({ api: "kubernetes", namespace: NS, kind: "Cluster", name: "edge-1" });
    },
  },
  CompleteApplication: {
    body: { token: "not-the-token" },
    check: (res) => expectProblem(res, 401, "UNAUTHENTICATED"),
  },
  ShutdownApplication: {
    body: { token: "not-the-token" },
    check: (res) => expectProblem(res, 401, "UNAUTHENTICATED"),
  },
  RetryApplication: {
    body: {},
    check(res) {
      const p = expectProblem(res, 400, "FAILED_PRECONDITION");
      expect(p.detail).to.match(/DEGRADED/);
    },
  },
  ScheduleApplication: {
    // the dry run: a new Application, decided on and explained, never stored
    body: { ...fixture("application.json"), metadata: { name: "dry-run" } },
    check(res) {
      expect(res.status, res.text).to.equal(200);
      expect(res.headers.get("content-type")).to.equal("application/json");
      expect(res.json.action).to.be.oneOf(["place", "none"]);
      expect(res.json.reason_code).to.be.a("string").and.not.empty;
      expect(res.json.scored).to.be.an("array");
      expect(res.json.filtered).to.be.an("array");
    },
  },
  BindCluster: {
    body: { cloud: { api: "infrastructure", kind: "Cloud", namespace: NS, name: "os-1" } },
    check(res) {
      expect(res.status, res.text).to.equal(200);
      expect(((res.json.status as Json).scheduled_to as Json).name).to.equal("os-1");
    },
  },
  BindMagnumCluster: {
    body: { project: { api: "openstack", kind: "Project", namespace: NS, name: "os-project-1" }, template: "tmpl-1" },
    check(res) {
      expect(res.status, res.text).to.equal(200);
      expect((res.json.status as Json).template).to.equal("tmpl-1");
      expect(((res.json.status as Json).project as Json).name).to.equal("os-project-1");
    },
  },
};

function fill(template: string, vars: Record<string, string>): string {
  return template.replace(/\{([^}=]+)(=[^}]*)?\}/g, (_, field: string) => {
    const v = vars[field];
    if (v === undefined) throw new Error(`${template}: no test value for {${field}}`);
    return encodeURIComponent(v);
  });
}

describe("gateway: every route of every kind", function () {
  this.timeout(60_000);
  let etcd: EtcdProcess;
  let api: ApiHarness;

  useApi((started) => ({ etcd, api } = started));

  it("serves exactly the routes of the http rules (plus PATCH on object routes)", () => {
    const expected = new Set<string>();
    for (const s of services) for (const m of s.methods) for (const b of bindingsOf(m)) expected.add(`${b.verb} ${b.path} ${m.name}`);
    const served = new Set(api.server.gateway.routes().filter((r) => r.method !== "PATCH").map((r) => `${r.method} ${r.path} ${r.rpc}`));
    expect([...served].sort()).to.deep.equal([...expected].sort());
  });

  for (const service of services) {
    const method = (prefix: string, suffix = "") => service.methods.find((m) => m.name.startsWith(prefix) && m.name.endsWith(suffix));
    const create = method("Create")!;
    const kind = create.output.name;
    it(`${kind}: ${service.methods.map((m) => m.name).join(", ")}`, async () => {
      const doc = objectFor(kind);
      const name = (doc.metadata as Json).name as string;
      const vars = { namespace: NS, name };
      const get = method("Get")!;
      const list = method("List")!;
      const watch = method("Watch")!;
      const [getPath] = bindingsOf(get).map((b) => fill(b.path, vars));

      // watch every binding of the watch method before anything happens
      const watches = await Promise.all(bindingsOf(watch).map((b) => WatchReader.open(api, `${fill(b.path, vars)}?watch&heartbeat=0`)));
      for (const w of watches) expect(w.headers.get("content-type")).to.equal("application/x-ndjson");

      for (const b of bindingsOf(create)) {
        const res = await rest(api, b.verb, fill(b.path, vars), doc);
        expect(res.status, res.text).to.equal(200);
        expect(res.json.kind).to.equal(kind);
        expect((res.json.metadata as Json).name).to.equal(name);
        expect((res.json.metadata as Json).uid).to.be.a("string").and.not.empty;
      }
      const got = await rest(api, "GET", getPath);
      expect(got.status, got.text).to.equal(200);
      expect(got.headers.get("content-type")).to.equal("application/json");

      for (const b of bindingsOf(list)) {
        const res = await rest(api, "GET", fill(b.path, vars));
        expect(res.status, res.text).to.equal(200);
        expect(res.json.kind).to.equal(`${kind}List`);
        expect((res.json.metadata as Json).resource_version).to.match(/^\d+$/);
        expect((res.json.items as Json[]).map((i) => (i.metadata as Json).name)).to.include(name);
      }

      const update = service.methods.find((m) => m.name === `Update${kind}`)!;
      const changed = { ...got.json, metadata: { ...(got.json.metadata as Json), labels: { route: "update" } } };
      for (const b of bindingsOf(update)) {
        const res = await rest(api, b.verb, fill(b.path, vars), changed);
        expect(res.status, res.text).to.equal(200);
        expect((res.json.metadata as Json).labels).to.deep.equal({ route: "update" });
      }

      const patched = await rest(api, "PATCH", getPath, { metadata: { labels: { route: "patch" } } }, { "content-type": "application/merge-patch+json" });
      expect(patched.status, patched.text).to.equal(200);
      expect((patched.json.metadata as Json).labels).to.deep.equal({ route: "patch" });

      const status = service.methods.find((m) => m.name === `Update${kind}Status`);
      for (const b of status ? bindingsOf(status) : []) {
        const before = (patched.json.metadata as Json).resource_version as string;
        const res = await rest(api, b.verb, fill(b.path, vars), patched.json);
        expect(res.status, res.text).to.equal(200);
        expect(Number((res.json.metadata as Json).resource_version)).to.be.greaterThan(Number(before));
      }

      const standard = new Set([create, get, list, watch, update, status, method("Delete")].map((m) => m?.name));
      for (const m of service.methods.filter((x) => !standard.has(x.name))) {
        const expectation = subresources[m.name];
        expect(expectation, `routes.test.ts: say what ${m.name} does in the subresources table`).to.exist;
        for (const b of bindingsOf(m)) expectation.check(await rest(api, b.verb, fill(b.path, vars), expectation.body));
      }

      const del = method("Delete")!;
      for (const b of bindingsOf(del)) {
        const res = await rest(api, b.verb, fill(b.path, vars));
        expect(res.status, res.text).to.equal(200);
        expect((res.json.metadata as Json).deleted).to.be.a("string");
        const forced = await rest(api, b.verb, `${fill(b.path, vars)}?force=True`);
        expect(forced.status, forced.text).to.equal(200);
      }
      expectProblem(await rest(api, "GET", getPath), 404, "NOT_FOUND");

      for (const w of watches) {
        const types: string[] = [];
        for (;;) {
          const ev = await w.next();
          expect(ev, "watch ended early").to.exist;
          expect(((ev!.object as Json).metadata as Json).name).to.equal(name);
          types.push(ev!.type as string);
          if (ev!.type === "DELETED") break;
        }
        expect(types[0]).to.equal("ADDED");
        expect(types.slice(1, -1).every((t) => t === "MODIFIED")).to.equal(true);
        w.close();
      }
    });
  }
});
