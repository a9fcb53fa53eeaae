/**
 * Watch over HTTP (NDJSON) against a real krake-api and etcd: heartbeats,
 * resume, initial events and bookmarks, selectors, the ERROR line on expiry
 * and on a slow client, release of the server-side watcher on disconnect and
 * on shutdown.
 */
import { expect } from "chai";
import { defaultConfig } from "../../src/apiserver/config.js";
import { startApi } from "../fixtures/api.js";
import type { ApiHarness } from "../fixtures/api.js";
import { startEtcd } from "../fixtures/etcd.js";
import type { EtcdProcess } from "../fixtures/etcd.js";
import { eventually, expectProblem, rest, WatchReader } from "./helpers.js";
import type { Json } from "./helpers.js";

const ROLES = "/core/roles";

function role(name: string, labels: Record<string, string> = {}): Json {
  return { api: "core", kind: "Role", metadata: { name, labels }, rules: [] };
}

async function create(api: ApiHarness, name: string, labels: Record<string, string> = {}): Promise<string> {
  const res = await rest(api, "POST", ROLES, role(name, labels));
  expect(res.status, res.text).to.equal(200);
  return (res.json.metadata as Json).resource_version as string;
}

const nameOf = (ev: Json | undefined) => ((ev!.object as Json).metadata as Json).name;

describe("gateway watch", function () {
  this.timeout(30_000);
  let etcd: EtcdProcess;
  let api: ApiHarness;
  const open: WatchReader[] = [];
  const watch = async (a: ApiHarness, query: string) => {
    const w = await WatchReader.open(a, `${ROLES}?${query}`);
    open.push(w);
    return w;
  };

  before(async () => {
    etcd = await startEtcd();
  });
  beforeEach(async () => {
    api = await startApi(etcd);
  });
  afterEach(async () => {
    for (const w of open.splice(0)) w.close();
    await api?.stop();
  });
  after(async () => {
    await etcd?.remove();
  });

  it("streams ADDED, MODIFIED and DELETED as NDJSON lines", async () => {
    const w = await watch(api, "watch&heartbeat=0");
    expect(w.status).to.equal(200);
    expect(w.headers.get("content-type")).to.equal("application/x-ndjson");
    await create(api, "a");
    const patched = await rest(api, "PATCH", `${ROLES}/a`, { metadata: { labels: { x: "1" } } }, { "content-type": "application/merge-patch+json" });
    expect(patched.status, patched.text).to.equal(200);
    await rest(api, "DELETE", `${ROLES}/a?force=True`);
    const events = [await w.next(), await w.next(), await w.next()];
    expect(events.map((e) => e!.type)).to.deep.equal(["ADDED", "MODIFIED", "DELETED"]);
    expect(events.map(nameOf)).to.deep.equal(["a", "a", "a"]);
    expect(((events[1]!.object as Json).metadata as Json).labels).to.deep.equal({ x: "1" });
    expect(Object.keys(events[0]!)).to.deep.equal(["type", "object"]);
  });

  it("writes an empty line every `heartbeat` seconds, and none with heartbeat=0", async () => {
    const beating = await watch(api, "watch&heartbeat=1");
    await beating.heartbeat(3_000);
    await beating.heartbeat(3_000);
    const quiet = await watch(api, "watch=false&heartbeat=0");
    await new Promise((r) => setTimeout(r, 1_300));
    await create(api, "after-quiet");
    expect(nameOf(await quiet.next())).to.equal("after-quiet");
    expect(quiet.heartbeats).to.equal(0);
  });

  it("resumes after a resource_version without losing or repeating events", async () => {
    const rv1 = await create(api, "r1");
    await create(api, "r2");
    await create(api, "r3");
    const w = await watch(api, `watch&heartbeat=0&resource_version=${rv1}`);
    expect(nameOf(await w.next())).to.equal("r2");
    expect(nameOf(await w.next())).to.equal("r3");
    await create(api, "r4");
    expect(nameOf(await w.next())).to.equal("r4");
  });

  it("sends initial events then a BOOKMARK, and filters by label_selector", async () => {
    await create(api, "blue-1", { colour: "blue" });
    await create(api, "red-1", { colour: "red" });
    const w = await watch(api, "watch&heartbeat=0&send_initial_events=true&allow_bookmarks=True&label_selector=colour%3Dblue");
    const first = await w.next();
    expect(first!.type).to.equal("ADDED");
    expect(nameOf(first)).to.equal("blue-1");
    const bookmark = await w.next();
    expect(bookmark!.type).to.equal("BOOKMARK");
    expect(((bookmark!.object as Json).metadata as Json).resource_version).to.match(/^\d+$/);
    await create(api, "red-2", { colour: "red" });
    await create(api, "blue-2", { colour: "blue" });
    expect(nameOf(await w.next())).to.equal("blue-2");
  });

  it("watches every namespace on the all-namespaces binding", async () => {
    const w = await WatchReader.open(api, "/kubernetes/applications?watch&heartbeat=0");
    open.push(w);
    const app = (ns: string, name: string) => ({
      api: "kubernetes", kind: "Application", metadata: { name },
      spec: { manifest: [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name } }], constraints: { cluster: { labels: [], metrics: [] } } },
    });
    for (const ns of ["ns-a", "ns-b"]) {
      const res = await rest(api, "POST", `/kubernetes/namespaces/${ns}/applications`, app(ns, `app-${ns}`));
      expect(res.status, res.text).to.equal(200);
    }
    const seen = [await w.next(), await w.next()].map((e) => ((e!.object as Json).metadata as Json).namespace);
    expect(seen).to.deep.equal(["ns-a", "ns-b"]);
  });

  it("releases the server-side watcher as soon as the client disconnects", async () => {
    const cache = api.server.cache.kindCache("core", "roles");
    const before = cache.watchers;
    const w = await watch(api, "watch&heartbeat=1");
    await eventually(() => cache.watchers === before + 1, 5_000, "the watcher to register");
    expect(api.server.gateway.streams.size).to.equal(1);
    w.close();
    await eventually(() => cache.watchers === before && api.server.gateway.streams.size === 0, 5_000, "the watcher to be released");
    const metrics = await rest(api, "GET", "/metrics");
    expect(metrics.text).to.include('krake_watches_open{transport="http"} 0');
  });

  it("bad watch parameters are a problem response, not a stream", async () => {
    const res = await rest(api, "GET", `${ROLES}?watch&label_selector=a%20in%20(`);
    expectProblem(res, 400, "INVALID_ARGUMENT");
    expectProblem(await rest(api, "GET", `${ROLES}?watch&resource_version=soon`), 422, "INVALID_ARGUMENT");
  });

  it("ends the stream with an ERROR line (410) when the resource version has expired", async () => {
    const small = await startApi(etcd, { watch: { ...defaultConfig.watch, windowSize: 2 } });
    try {
      const rv1 = await create(small, "e1");
      for (const n of ["e2", "e3", "e4", "e5"]) await create(small, n);
      const w = await WatchReader.open(small, `${ROLES}?watch&heartbeat=0&resource_version=${rv1}`);
      open.push(w);
      expect(w.status).to.equal(200);
      const ev = await w.next();
      expect(ev!.type).to.equal("ERROR");
      const problem = ev!.object as Json;
      expect(problem.status).to.equal(410);
      expect(problem.code).to.equal("OUT_OF_RANGE");
      expect(problem.detail).to.match(/too old/);
      expect(await w.next()).to.equal(undefined);
    } finally {
      await small.stop();
    }
  });

  it("ends a watch whose client does not keep up with an ERROR line (429) and releases it", async () => {
    const tight = await startApi(etcd, { watch: { ...defaultConfig.watch, maxPendingEvents: 2 } });
    try {
      for (const n of ["s1", "s2", "s3", "s4"]) await create(tight, n);
      const w = await WatchReader.open(tight, `${ROLES}?watch&heartbeat=0&send_initial_events=true`);
      open.push(w);
      const lines: Json[] = [];
      for (let ev = await w.next(); ev; ev = await w.next()) lines.push(ev);
      expect(lines.slice(0, -1).map((e) => e.type)).to.deep.equal(["ADDED", "ADDED"]);
      const last = lines[lines.length - 1];
      expect(last.type).to.equal("ERROR");
      expect((last.object as Json).status).to.equal(429);
      expect((last.object as Json).code).to.equal("RESOURCE_EXHAUSTED");
      await eventually(() => tight.server.cache.kindCache("core", "roles").watchers === 0, 5_000, "the watcher to be released");
    } finally {
      await tight.stop();
    }
  });

  it("ends open streams cleanly when the server stops", async () => {
    const other = await startApi(etcd);
    const w = await WatchReader.open(other, `${ROLES}?watch&heartbeat=0`);
    open.push(w);
    await eventually(() => other.server.gateway.streams.size === 1, 5_000, "the stream to open");
    await other.stop();
    expect(await w.next()).to.equal(undefined);
  });
});
