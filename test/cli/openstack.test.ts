/** `krakectl openstack|os project|cluster …` as a child process against a real krake-api and etcd. */
import { expect } from "chai";
import { startApi } from "../fixtures/api.js";
import type { ApiHarness } from "../fixtures/api.js";
import { startEtcd } from "../fixtures/etcd.js";
import type { EtcdProcess } from "../fixtures/etcd.js";
import { runCli, show, Workdir } from "./harness.js";
import type { RunOptions, RunResult } from "./harness.js";

type Wire = Record<string, any>;

describe("krakectl openstack", function () {
  this.timeout(60_000);
  let etcd: EtcdProcess;
  let api: ApiHarness;
  let work: Workdir;

  const cli = (args: string[], options: RunOptions = {}): Promise<RunResult> =>
    runCli(work, args, { ...options, env: { KRAKECTL_API_URL: api.address, KRAKECTL_USER: "team-a", ...options.env } });
  const ok = async (args: string[], options: RunOptions = {}): Promise<RunResult> => {
    const r = await cli(args, options);
    expect(r.code, show(r)).to.equal(0);
    return r;
  };
  const json = async (args: string[], options: RunOptions = {}): Promise<Wire> =>
    JSON.parse((await ok([...args, "-o", "json"], options)).stdout) as Wire;

  before(async () => {
    etcd = await startEtcd();
    api = await startApi(etcd);
    work = await Workdir.create();
  });
  after(async () => {
    await api?.stop();
    await etcd?.remove();
    await work?.remove();
  });

  describe("os project", () => {
    it("creates with password auth (flags and Krake's OS_* variables), lists, gets, updates and deletes", async () => {
      const p = await json(
        [
          "os", "project", "create", "--auth-url", "https://keystone.example.com:5000/v3", "--template", "tmpl-1",
          "--user-id", "u-1", "--project-id", "p-1", "-l", "location=DE", "-m", "heat-demand", "0.5", "os-1",
        ],
        { env: { OS_PASSWORD: "from-env" } },
      );
      expect(p.metadata).to.include({ name: "os-1", namespace: "team-a" });
      expect(p.metadata.labels).to.deep.equal({ location: "DE" });
      expect(p.spec).to.deep.include({ url: "https://keystone.example.com:5000/v3", template: "tmpl-1" });
      expect(p.spec.auth.type).to.equal("password");
      expect(p.spec.auth.password.user).to.include({ id: "u-1", password: "from-env" });
      expect(p.spec.auth.password.project).to.include({ id: "p-1" });
      expect(p.spec.metrics).to.deep.equal([{ name: "heat-demand", weight: 0.5, namespaced: true }]);
      expect(p.status.state).to.equal("ONLINE");

      const table = (await ok(["openstack", "project", "list"])).stdout;
      expect(table).to.match(/NAME\s+NAMESPACE\s+URL\s+TEMPLATE\s+AUTH\s+AGE/);
      expect(table).to.match(/os-1\s+team-a\s+https:\/\/keystone\.example\.com:5000\/v3\s+tmpl-1\s+password/);
      const detail = (await ok(["os", "project", "get", "os-1"])).stdout;
      expect(detail).to.match(/auth type:\s+password/);

      const updated = await json(["os", "project", "update", "os-1", "--app-id", "cred-1", "--app-secret", "s3cret", "--template", "tmpl-2"]);
      expect(updated.spec.auth).to.deep.equal({ type: "application_credential", application_credential: { id: "cred-1", secret: "s3cret" } });
      expect(updated.spec.template).to.equal("tmpl-2");

      const deleted = await json(["os", "project", "delete", "os-1"]);
      expect(deleted.metadata.deleted).to.be.a("string");
    });

    it("creates with an application credential; usage errors exit 2 and invalid objects 7", async () => {
      const p = await json([
        "os", "project", "register", "--url", "https://keystone.example.com/v3", "--template", "t",
        "--application-credential", "cred-2=secret-2", "os-2",
      ]);
      expect(p.spec.auth.application_credential).to.deep.equal({ id: "cred-2", secret: "secret-2" });

      let r = await cli(["os", "project", "create", "--auth-url", "https://k.example/v3", "--template", "t", "os-3"]);
      expect(r.code, show(r)).to.equal(2);
      expect(r.stderr).to.match(/--user-id/);
      r = await cli(["os", "project", "create", "--auth-url", "keystone", "--template", "t", "--app-id", "a", "--app-secret", "b", "os-3"]);
      expect(r.code, show(r)).to.equal(7);
      expect(r.stderr).to.match(/spec\.url/);
    });
  });

  describe("os cluster", () => {
    it("creates a Magnum cluster, lists, gets, updates node_count, refuses master_count changes and deletes", async () => {
      const c = await json([
        "os", "cluster", "create", "--master-count", "1", "--node-count", "2", "-m", "heat-demand", "0.5",
        "--global-metric", "load", "1", "-L", "location is DE", "-l", "tier=edge", "magnum-1",
      ]);
      expect(c.kind).to.equal("MagnumCluster");
      expect(c.spec).to.deep.include({ master_count: 1, node_count: 2 });
      expect(c.spec.metrics).to.deep.equal([
        { name: "heat-demand", weight: 0.5, namespaced: true },
        { name: "load", weight: 1, namespaced: false },
      ]);
      expect(c.spec.constraints).to.deep.equal({ project: { labels: ["location is DE"] } });
      expect(c.metadata.labels).to.deep.equal({ tier: "edge" });
      expect(c.status.state).to.equal("PENDING");

      const table = (await ok(["os", "cluster", "list", "-a"])).stdout;
      expect(table).to.match(/NAME\s+NAMESPACE\s+STATE\s+PROJECT\s+AGE/);
      expect(table).to.match(/magnum-1\s+team-a\s+PENDING/);
      expect((await ok(["os", "cluster", "get", "magnum-1"])).stdout).to.match(/master_count:\s+1/);

      const updated = await json(["os", "cluster", "update", "magnum-1", "--node-count", "4", "-L", "location in (DE, FR)"]);
      expect(updated.spec).to.deep.include({ master_count: 1, node_count: 4 });
      expect(updated.spec.constraints.project.labels).to.deep.equal(["location in (DE, FR)"]);
      const r = await cli(["os", "cluster", "update", "magnum-1", "--master-count", "3"]);
      expect(r.code, show(r)).to.equal(2);

      const deleted = await json(["os", "cluster", "delete", "magnum-1"]);
      expect(deleted.metadata.deleted).to.be.a("string");
    });
  });
});
