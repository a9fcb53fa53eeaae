/**
 * krake-api on the embedded store (real processes, a real SQLite file), and
 * krake-admin moving a populated store to etcd and back.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { Role } from "../../gen/krake/core/v1/role.js";
import { Application, ApplicationStatus_State } from "../../gen/krake/kubernetes/v1/application.js";
import { defaultSqlitePath, parseStoreUrl, resolveStoreLocation } from "../../src/store/location.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { runApiProcess, startApiProcess } from "../fixtures/api-process.js";
import type { ApiProcess } from "../fixtures/api-process.js";
import { startEtcd } from "../fixtures/etcd.js";
import type { EtcdProcess } from "../fixtures/etcd.js";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function admin(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile("node", ["bin/krake-admin.js", ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

const role = (name: string) =>
  Role.fromPartial({ api: "core", kind: "Role", metadata: { name, labels: { team: "a" } }, rules: [{ api: "core", resources: ["roles"], namespaces: [""], verbs: ["get"] }] });

const application = (name: string) =>
  Application.fromPartial({
    api: "kubernetes",
    kind: "Application",
    metadata: { name, namespace: "team-a", finalizers: ["keep"] },
    spec: { manifest: [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" } }] },
  });

describe("store locations", () => {
  it("reads sqlite:// and etcd:// URLs", () => {
    expect(parseStoreUrl("sqlite:///var/lib/krake/krake.db")).to.deep.equal({ kind: "sqlite", path: "/var/lib/krake/krake.db" });
    expect(parseStoreUrl("sqlite://.data/krake.db")).to.deep.equal({ kind: "sqlite", path: ".data/krake.db" });
    expect(parseStoreUrl("etcd://10.0.0.1:2379,[::1]:2379")).to.deep.equal({ kind: "etcd", endpoints: ["http://10.0.0.1:2379", "http://[::1]:2379"] });
  });

  it("refuses other URLs, naming the forms it takes", () => {
    for (const url of ["mysql://x", "sqlite://", "sqlite://dir/", "etcd://", "etcd://host", "etcd://a:1,,b:2", "etcd://a:1/path"]) {
      expect(() => parseStoreUrl(url), url).to.throw(/sqlite:\/\/|host:port/);
    }
  });

  it("uses the embedded store when nothing is configured, etcd.endpoints when only they are, and refuses both", () => {
    expect(resolveStoreLocation("", [])).to.deep.equal({ kind: "sqlite", path: defaultSqlitePath });
    expect(resolveStoreLocation("", ["http://127.0.0.1:2379"])).to.deep.equal({ kind: "etcd", endpoints: ["http://127.0.0.1:2379"] });
    expect(() => resolveStoreLocation("sqlite://a.db", ["http://127.0.0.1:2379"])).to.throw(/give the store once/);
  });
});

describe("krake-api on the embedded store (real processes)", function () {
  this.timeout(120_000);
  let dir: string;
  let etcd: EtcdProcess;
  const running: ApiProcess[] = [];
  const start = async (store: string, prefix = "/krake") => {
    const api = await startApiProcess({ store, prefix });
    running.push(api);
    return api;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "krake-embedded-"));
    etcd = await startEtcd();
  });
  afterEach(async () => {
    for (const api of running.splice(0)) await api.stop();
  });
  after(async () => {
    await etcd.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("logs the store it uses, creates the file's directory and keeps objects across a restart", async () => {
    const db = join(dir, "restart", "krake.db");
    const first = await start(`sqlite://${db}`);
    const starting = first.logs.find((l) => l.msg === "krake-api starting");
    expect(starting?.["store"]).to.equal(`sqlite://${db}`);
    const created = await first.clients.roles.createRole({ role: role("kept") });
    await first.stop();
    running.splice(0);
    const second = await start(`sqlite://${db}`);
    const read = await second.clients.roles.getRole({ name: "kept" });
    expect(read.metadata?.uid).to.equal(created.metadata?.uid);
    expect(read.metadata?.resourceVersion).to.equal(created.metadata?.resourceVersion);
  });

  it("keeps every acknowledged write across kill -9 of krake-api during a write load, three times", async () => {
    const db = join(dir, "crash.db");
    const acknowledged = new Map<string, string>(); // name → uid
    for (let round = 1; round <= 3; round++) {
      const api = await start(`sqlite://${db}`);
      let n = 0;
      let killed = false;
      const before = acknowledged.size;
      const writer = async () => {
        while (!killed) {
          const name = `crash-${round}-${n++}`;
          try {
            const created = await api.clients.roles.createRole({ role: role(name) });
            acknowledged.set(name, created.metadata!.uid);
          } catch {
            return; // the process is gone: this write was not acknowledged
          }
        }
      };
      const writers = Array.from({ length: 8 }, writer);
      // kill once this round has 40 acknowledged writes, with 8 more in flight
      while (acknowledged.size < before + 40) await Promise.race([...writers, new Promise((r) => setImmediate(r))]);
      killed = true;
      await api.kill();
      await Promise.all(writers);
      running.splice(0);
    }
    const api = await start(`sqlite://${db}`);
    const stored = (await api.clients.roles.listRoles({ labelSelector: "", limit: 0, continue: "" })).items;
    const uidOf = new Map(stored.map((r) => [r.metadata!.name, r.metadata!.uid]));
    const lost = [...acknowledged].filter(([name, uid]) => uidOf.get(name) !== uid).map(([name]) => name);
    expect(lost, "acknowledged writes missing after kill -9").to.deep.equal([]);
    // every stored object is whole (it decoded) and is one the test wrote
    for (const r of stored) expect(r.metadata!.name).to.match(/^crash-\d-\d+$/);
  });

  it("refuses a second krake-api on the same file, and lets one start once the first is killed", async () => {
    const db = join(dir, "single-writer.db");
    const first = await start(`sqlite://${db}`);
    const second = await runApiProcess(["--grpc.port", "0", "--http.port", "0", "--store", `sqlite://${db}`]);
    expect(second.code).to.equal(1);
    expect(second.stdout + second.stderr).to.match(/in use/).and.match(/etcd/);
    await first.kill();
    running.splice(0);
    const third = await start(`sqlite://${db}`);
    expect((await third.clients.roles.listRoles({ labelSelector: "", limit: 0, continue: "" })).items).to.be.an("array");
  });

  it("refuses a bad store URL and a store given twice with exit code 2", async () => {
    const bad = await runApiProcess(["--store", "postgres://x"]);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.include("expected sqlite://PATH or etcd://host:port");
    const twice = await runApiProcess(["--store", `sqlite://${join(dir, "x.db")}`, "--etcd.endpoints", etcd.endpoint]);
    expect(twice.code).to.equal(2);
    expect(twice.stderr).to.include("give the store once");
  });

  it("krake-admin moves a populated store to etcd and back: every object, metadata and status included", async () => {
    const db = join(dir, "source.db");
    const prefix = "/moved";
    const api = await start(`sqlite://${db}`, prefix);
    for (let i = 0; i < 150; i++) await api.clients.roles.createRole({ role: role(`r${i}`) });
    const app = await api.clients.applications.createApplication({ namespace: "team-a", application: application("echo"), blocking: "" });
    app.status!.state = ApplicationStatus_State.RUNNING;
    app.status!.kubeControllerTriggered = { seconds: 1796512575, nanos: 696123000 }; // microseconds, as Krake writes them
    await api.clients.applications.updateApplicationStatus({ namespace: "team-a", name: "echo", application: app });
    await api.clients.applications.deleteApplication({ namespace: "team-a", name: "echo", resourceVersion: "", force: false, propagationPolicy: "", blocking: "" });
    await api.stop();
    running.splice(0);

    const fromSqlite = join(dir, "from-sqlite.jsonl");
    const exported = await admin(["export", "--store", `sqlite://${db}`, "--prefix", prefix, fromSqlite]);
    expect(exported.code, exported.stderr).to.equal(0);
    expect(exported.stderr).to.include("exported 151 objects");
    const etcdUrl = `etcd://${etcd.endpoint.replace(/^http:\/\//, "")}`;
    const imported = await admin(["import", "--store", etcdUrl, "--prefix", prefix, fromSqlite]);
    expect(imported.code, imported.stderr).to.equal(0);
    expect(imported.stderr).to.include("imported 151 objects");

    const fromEtcd = join(dir, "from-etcd.jsonl");
    expect((await admin(["export", "--store", etcdUrl, "--prefix", prefix, fromEtcd])).code).to.equal(0);
    expect(readFileSync(fromEtcd, "utf8")).to.equal(readFileSync(fromSqlite, "utf8"));
    const lines = readFileSync(fromEtcd, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { key: string; object: { metadata: Record<string, unknown>; status?: Record<string, unknown> } });
    const echo = lines.find((l) => l.key === "kubernetes/applications/team-a/echo")!;
    expect(echo.object.metadata["finalizers"]).to.deep.equal(["keep", "cascade_deletion"]);
    expect(echo.object.metadata["deleted"], "in deletion, held by its finalizer").to.be.a("string");
    expect(echo.object.status?.["state"]).to.equal("RUNNING");
    expect(echo.object.status?.["kubeControllerTriggered"]).to.equal("2026-12-05T23:16:15.696123Z");

    // and back into a fresh embedded store, served by krake-api from there
    const back = join(dir, "back.db");
    expect((await admin(["import", "--store", `sqlite://${back}`, "--prefix", prefix, fromEtcd])).code).to.equal(0);
    const again = join(dir, "again.jsonl");
    expect((await admin(["export", "--store", `sqlite://${back}`, "--prefix", prefix, again])).code).to.equal(0);
    expect(readFileSync(again, "utf8")).to.equal(readFileSync(fromSqlite, "utf8"));
    const served = await start(`sqlite://${back}`, prefix);
    const got = await served.clients.applications.getApplication({ namespace: "team-a", name: "echo" });
    expect(got.metadata?.uid).to.equal(app.metadata?.uid);
    expect(got.status?.kubeControllerTriggered).to.deep.equal({ seconds: 1796512575, nanos: 696123000 });
  });

  it("krake-admin import refuses a store that holds objects, and reports bad input", async () => {
    const db = join(dir, "busy.db");
    const file = join(dir, "one.jsonl");
    const api = await start(`sqlite://${db}`);
    await api.clients.roles.createRole({ role: role("present") });
    await api.stop();
    running.splice(0);
    expect((await admin(["export", "--store", `sqlite://${db}`, file])).code).to.equal(0);
    const refused = await admin(["import", "--store", `sqlite://${db}`, file]);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.include("already holds objects");
    expect((await admin(["copy", file])).code).to.equal(2);
    expect((await admin(["export", "--store", "nope://x", file])).code).to.equal(2);
    const foreign = join(dir, "foreign.db");
    const raw = SqliteStore.open(foreign);
    await raw.create("/krake/nokind/things/x", new TextEncoder().encode("?"));
    await raw.close();
    const unknown = await admin(["export", "--store", `sqlite://${foreign}`, join(dir, "foreign.jsonl")]);
    expect(unknown.code).to.equal(1);
    expect(unknown.stderr).to.include("/krake/nokind/things/x: not the key of a Krake kind");
    const garbage = join(dir, "garbage.jsonl");
    writeFileSync(garbage, "{not json\n");
    const broken = await admin(["import", "--store", `sqlite://${join(dir, "empty.db")}`, garbage]);
    expect(broken.code).to.equal(1);
    expect(broken.stderr).to.include("garbage.jsonl:1");
  });
});
