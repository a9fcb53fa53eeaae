import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { Role } from "../../gen/krake/core/v1/role.js";
import { RoleBinding } from "../../gen/krake/core/v1/role_binding.js";
import { EventType } from "../../gen/krake/core/v1/watch.js";
import { Application } from "../../gen/krake/kubernetes/v1/application.js";
import { EtcdStore } from "../../src/store/etcd-store.js";
import { startEtcd } from "../fixtures/etcd.js";
import type { EtcdProcess } from "../fixtures/etcd.js";
import { startApi, uniquePrefix } from "../fixtures/api.js";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function bootstrap(args: string[], stdin?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile("node", ["bin/krake-bootstrap.js", ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr });
    });
    if (stdin !== undefined) child.stdin?.end(stdin);
  });
}

const dir = mkdtempSync(join(tmpdir(), "krake-bootstrap-"));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

const role = (name: string, verbs = "[get]") => `api: core
kind: Role
metadata:
  name: ${name}
rules:
  - api: kubernetes
    resources: [applications]
    namespaces: [team-a]
    verbs: ${verbs}
`;

describe("krake-bootstrap", function () {
  this.timeout(60_000);
  let etcd: EtcdProcess;
  let store: EtcdStore;

  before(async () => {
    etcd = await startEtcd();
    store = new EtcdStore({ endpoints: [etcd.endpoint] });
  });
  after(async () => {
    await store?.close();
    await etcd?.stop();
  });

  const args = (prefix: string) => ["--etcd.endpoints", etcd.endpoint, "--etcd.prefix", prefix];
  const keys = async (prefix: string) => (await store.list(`${prefix}/`)).kvs.map((kv) => kv.key);

  it("loads the shipped base roles, which the API then serves and enforces", async () => {
    const prefix = uniquePrefix();
    const run = await bootstrap([...args(prefix), "config/base-roles.yaml"]);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/14 loaded, 0 kept/);
    const api = await startApi(etcd, {}, prefix);
    try {
      const roles = await api.clients.roles.listRoles({ labelSelector: "", limit: 0, continue: "" });
      expect(roles.items.map((r) => r.metadata!.name)).to.include.members(["system:admin", "system:gc", "system:scheduler",
        "system:kubernetes-application", "system:kubernetes-cluster", "system:complete-hook", "system:shutdown-hook"]);
      const admin = roles.items.find((r) => r.metadata!.name === "system:admin")!;
      expect(admin.metadata!.uid).to.match(/^[0-9a-f-]{36}$/);
      expect(admin.metadata!.created).to.have.all.keys("seconds", "nanos");
      const binding = await api.clients.roleBindings.getRoleBinding({ name: "system:gc" });
      expect(binding.users).to.deep.equal(["system:gc"]);
    } finally {
      await api.stop();
    }
  });

  it("loads several files and documents, any kind, and stdin ('-')", async () => {
    const prefix = uniquePrefix();
    const app = JSON.stringify({ api: "kubernetes", kind: "Application", metadata: { name: "echo", namespace: "team-a" },
      spec: { manifest: [{ apiVersion: "v1", kind: "Pod", metadata: { name: "p" } }], constraints: { cluster: {}, migration: true } } });
    const run = await bootstrap([...args(prefix), file("a.yaml", `${role("r1")}---\n${role("r2")}`), "-"], app);
    expect(run.code, run.stderr).to.equal(0);
    expect(await keys(prefix)).to.have.members([`${prefix}/core/roles/r1`, `${prefix}/core/roles/r2`, `${prefix}/kubernetes/applications/team-a/echo`]);
    const stored = Application.decode((await store.get(`${prefix}/kubernetes/applications/team-a/echo`))!.value);
    expect(stored.spec!.backoffLimit).to.equal(-1); // the kind's defaults, as on create
    expect(stored.status!.state).to.equal(0);
  });

  it("loads nothing when one resource is invalid, naming every problem", async () => {
    const prefix = uniquePrefix();
    const bad = role("bad", "[fly]");
    const run = await bootstrap([...args(prefix), file("b.yaml", `${role("good")}---\n${bad}---\napi: core\nkind: Gadget\nmetadata: {name: g}\n`)]);
    expect(run.code).to.equal(1);
    expect(run.stderr).to.match(/b\.yaml#2 \(Role "bad"\): rules\[0\]\.verbs\[0\]: must be one of/);
    expect(run.stderr).to.match(/b\.yaml#3: unknown resource "core"\/"Gadget"/);
    expect(await keys(prefix)).to.deep.equal([]);
  });

  it("loads nothing when one resource exists, unless --force or --skip-existing", async () => {
    const prefix = uniquePrefix();
    expect((await bootstrap([...args(prefix), file("c1.yaml", role("exists"))])).code).to.equal(0);
    const before = Role.decode((await store.get(`${prefix}/core/roles/exists`))!.value);
    const both = file("c2.yaml", `${role("new-one")}---\n${role("exists", "[get, list]")}`);

    const refused = await bootstrap([...args(prefix), both]);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.match(/1 resource\(s\) exist already[\s\S]*Role "exists"/);
    expect(await keys(prefix)).to.deep.equal([`${prefix}/core/roles/exists`]);

    const skipped = await bootstrap([...args(prefix), "--skip-existing", both]);
    expect(skipped.code, skipped.stderr).to.equal(0);
    expect(skipped.stdout).to.match(/1 loaded, 1 kept/);
    expect(Role.decode((await store.get(`${prefix}/core/roles/exists`))!.value).rules[0].verbs).to.deep.equal(["get"]);

    const forced = await bootstrap([...args(prefix), "--force", both]);
    expect(forced.code, forced.stderr).to.equal(0);
    const after = Role.decode((await store.get(`${prefix}/core/roles/exists`))!.value);
    expect(after.rules[0].verbs).to.deep.equal(["get", "list"]);
    expect(after.metadata!.uid).to.equal(before.metadata!.uid);
    expect(after.metadata!.created).to.deep.equal(before.metadata!.created);
  });

  it("refuses the same resource twice and documents that are not resources", async () => {
    const prefix = uniquePrefix();
    const twice = await bootstrap([...args(prefix), file("d.yaml", `${role("x")}---\n${role("x")}`)]);
    expect(twice.code).to.equal(1);
    expect(twice.stderr).to.match(/d\.yaml#2: Role "x" is also defined in .*d\.yaml#1/);
    const scalar = await bootstrap([...args(prefix), file("e.yaml", "just text\n")]);
    expect(scalar.stderr).to.match(/e\.yaml#1: a resource must be a mapping/);
    const ns = await bootstrap([...args(prefix), file("f.yaml", "api: kubernetes\nkind: Cluster\nmetadata: {name: c}\nspec: {}\n")]);
    expect(ns.stderr).to.match(/metadata\.namespace: is required/);
    const yaml = await bootstrap([...args(prefix), file("g.yaml", "api: [unclosed\n")]);
    expect(yaml.code).to.equal(1);
    expect(yaml.stderr).to.match(/g\.yaml#1: /);
    expect(await keys(prefix)).to.deep.equal([]);
  });

  it("answers usage errors with exit code 2", async () => {
    expect((await bootstrap([])).code).to.equal(2);
    expect((await bootstrap(["--force", "--skip-existing", "x.yaml"])).code).to.equal(2);
    const unknown = await bootstrap(["--frobnicate", "x.yaml"]);
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr).to.match(/Usage: krake-bootstrap/);
  });

  it("fails cleanly when etcd cannot be reached", async () => {
    const run = await bootstrap(["--etcd.endpoints", "http://127.0.0.1:1", file("h.yaml", role("x"))]);
    expect(run.code).to.equal(1);
  });

  it("is all-or-nothing in one transaction: an API watching sees every resource at one revision", async () => {
    const prefix = uniquePrefix();
    const api = await startApi(etcd, {}, prefix);
    try {
      const watch = api.clients.roleBindings.watchRoleBindings({ labelSelector: "", resourceVersion: "", allowBookmarks: true, sendInitialEvents: true });
      watch.stream.on("error", () => {}); // cancelled below
      const events: RoleBinding[] = [];
      let registered!: () => void;
      const ready = new Promise<void>((resolve) => (registered = resolve));
      const got = new Promise<void>((resolve) => watch.stream.on("data", (ev: { type: number; object: RoleBinding }) => {
        if (ev.type === EventType.BOOKMARK) return registered();
        events.push(ev.object);
        if (events.length === 7) resolve();
      }));
      await ready; // the initial-events bookmark: the watch is in place
      expect((await bootstrap([...args(prefix), "config/base-roles.yaml"])).code).to.equal(0);
      await got;
      watch.cancel();
      expect(new Set(events.map((b) => b.metadata!.resourceVersion)).size).to.equal(1);
    } finally {
      await api.stop();
    }
  });
});
