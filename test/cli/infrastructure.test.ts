/**
 * `krakectl infra gip|ip|gc|cloud …` (Krake's infrastructure commands) as a
 * child process against a real krake-api and etcd.
 */
import { expect } from "chai";
import { startApi } from "../fixtures/api.js";
import type { ApiHarness } from "../fixtures/api.js";
import { startEtcd } from "../fixtures/etcd.js";
import type { EtcdProcess } from "../fixtures/etcd.js";
import { runCli, show, Workdir } from "./harness.js";
import type { RunOptions, RunResult } from "./harness.js";

type Wire = Record<string, any>;

describe("krakectl infrastructure", function () {
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

  it("infra gip: register, list, get, update, delete", async () => {
    const p = await json(["infra", "gip", "register", "--type", "im", "--url", "http://im.example:8800", "--username", "krake", "--password", "pw", "im-1"]);
    expect(p).to.include({ api: "infrastructure", kind: "GlobalInfrastructureProvider" });
    expect(p.metadata.name).to.equal("im-1");
    expect(p.spec).to.deep.equal({ type: "im", im: { url: "http://im.example:8800", username: "krake", password: "pw", token: "" } });

    const list = (await ok(["infrastructure", "globalinfrastructureprovider", "list"])).stdout;
    expect(list.split("\n")[0]).to.match(/^NAME\s+TYPE\s+URL\s+AGE$/);
    expect(list).to.match(/^im-1\s+im\s+http:\/\/im\.example:8800\s+\d+s$/m);

    const detail = (await ok(["infra", "gip", "get", "im-1"])).stdout;
    expect(detail).to.match(/^url:\s+http:\/\/im\.example:8800$/m);
    expect(detail).not.to.contain("pw");

    const updated = await json(["infra", "gip", "update", "im-1", "--token", "tok", "--url", "https://im.example"]);
    expect(updated.spec.im).to.deep.equal({ url: "https://im.example", username: "krake", password: "pw", token: "tok" });

    const nothing = await cli(["infra", "gip", "update", "im-1"]);
    expect(nothing.code, show(nothing)).to.equal(2);

    const missingAuth = await cli(["infra", "gip", "register", "--type", "im", "--url", "http://im.example", "im-2"]);
    expect(missingAuth.code, show(missingAuth)).to.equal(2);
    expect(missingAuth.stderr).to.contain("--token, or --username and --password");

    const badType = await cli(["infra", "gip", "register", "--type", "tf", "--url", "http://im.example", "--token", "t", "im-2"]);
    expect(badType.code, show(badType)).to.equal(2);

    const badUrl = await cli(["infra", "gip", "register", "--type", "im", "--url", "im.example", "--token", "t", "im-2"]);
    expect(badUrl.code, show(badUrl)).to.equal(7);
    expect(badUrl.stderr).to.contain("spec.im.url");

    const deleted = await json(["infra", "gip", "delete", "im-1"]);
    expect(deleted.metadata.deleted).to.be.a("string");
    expect(deleted.metadata.finalizers).to.deep.equal(["cascade_deletion"]);
    await ok(["infra", "gip", "delete", "im-1", "--force"]);
    const gone = await cli(["infra", "gip", "get", "im-1"]);
    expect(gone.code, show(gone)).to.equal(3);
  });

  it("infra ip: register (token, or a password read from stdin), list -a, get, update, delete", async () => {
    const withToken = await json(["infra", "ip", "register", "--type", "im", "--url", "http://im.example", "--token", "t", "im-a"]);
    expect(withToken.metadata).to.include({ name: "im-a", namespace: "team-a" });
    expect(withToken.spec.im).to.include({ token: "t", username: "", password: "" });

    const prompted = await json(
      ["infra", "provider", "register", "--type", "im", "--url", "http://im.example", "--username", "u", "-n", "team-b", "im-b"],
      { input: "from-stdin\n" },
    );
    expect(prompted.metadata.namespace).to.equal("team-b");
    expect(prompted.spec.im).to.include({ username: "u", password: "from-stdin" });

    const here = (await ok(["infra", "ip", "list"])).stdout;
    expect(here.split("\n")[0]).to.match(/^NAME\s+NAMESPACE\s+TYPE\s+URL\s+AGE$/);
    expect(here).to.match(/^im-a\s+team-a\s+im\s+http:\/\/im\.example\s+\d+s$/m);
    expect(here).not.to.contain("im-b");
    const all = (await json(["infra", "ip", "list", "--all"])) as unknown as Wire[];
    expect(all.map((i) => `${i.metadata.namespace}/${i.metadata.name}`).sort()).to.deep.equal(["team-a/im-a", "team-b/im-b"]);

    expect((await json(["infra", "ip", "get", "im-b", "-n", "team-b"])).spec.im.username).to.equal("u");
    const updated = await json(["infra", "ip", "update", "im-a", "--url", "https://im2.example"]);
    expect(updated.spec.im.url).to.equal("https://im2.example");
    await ok(["infra", "ip", "delete", "im-a"]);
    await ok(["infra", "ip", "delete", "im-b", "-n", "team-b"]);
  });

  it("infra gc: register with Krake's defaults, list, get, update, delete", async () => {
    const c = await json([
      "infra", "gc", "register", "--type", "openstack", "--url", "https://keystone.example/v3",
      "--username", "krake", "--password", "pw", "--project", "proj",
      "--global-infra-provider", "im-1", "--global-metric", "energy", "0.5", "-l", "location=DE", "os-global",
    ]);
    expect(c).to.include({ api: "infrastructure", kind: "GlobalCloud" });
    expect(c.metadata.labels).to.deep.equal({ location: "DE" });
    expect(c.spec.openstack).to.deep.equal({
      url: "https://keystone.example/v3",
      metrics: [{ name: "energy", weight: 0.5, namespaced: false }],
      infrastructure_provider: { name: "im-1", namespaced: false },
      auth: {
        type: "password",
        password: {
          version: "3",
          user: { username: "krake", password: "pw", domain_name: "Default", comment: "" },
          project: { name: "proj", domain_id: "default", comment: "" },
        },
      },
    });
    expect(c.status.state).to.equal("ONLINE");

    const list = (await ok(["infra", "globalcloud", "list"])).stdout;
    expect(list.split("\n")[0]).to.match(/^NAME\s+TYPE\s+INFRA PROVIDER\s+STATE\s+AGE$/);
    expect(list).to.match(/^os-global\s+openstack\s+im-1 \(global\)\s+ONLINE\s+\d+s$/m);

    const detail = (await ok(["infra", "gc", "get", "os-global"])).stdout;
    expect(detail).to.match(/^metrics:\s+energy \(weight 0\.5, global\)$/m);
    expect(detail).to.match(/^project:\s+proj$/m);
    expect(detail).to.match(/^state:\s+ONLINE$/m);

    const updated = await json(["infra", "gc", "update", "os-global", "--global-metric", "load", "2", "--domain-id", "d1", "--project", "other"]);
    expect(updated.spec.openstack.metrics).to.deep.equal([{ name: "load", weight: 2, namespaced: false }]);
    expect(updated.spec.openstack.auth.password.project).to.deep.equal({ name: "other", domain_id: "d1", comment: "" });
    expect(updated.spec.openstack.auth.password.user.password).to.equal("pw");

    const minimal = ["--type", "openstack", "--url", "https://k.example", "--username", "u", "--password", "p", "--project", "p"];
    const noProvider = await cli(["infra", "gc", "register", ...minimal, "x"]);
    expect(noProvider.code, show(noProvider)).to.equal(2);
    expect(noProvider.stderr).to.contain("--global-infra-provider");
    const namespacedFlag = await cli(["infra", "gc", "register", ...minimal, "--infra-provider", "ip", "x"]);
    expect(namespacedFlag.code, show(namespacedFlag)).to.equal(2);

    await ok(["infra", "gc", "delete", "os-global", "--force"]);
    expect((await cli(["infra", "gc", "get", "os-global"])).code).to.equal(3);
  });

  it("infra cloud: register with namespaced and global refs, list, get, update, delete", async () => {
    const c = await json(
      [
        "infra", "cloud", "register", "--type", "openstack", "--url", "https://keystone.example/v3",
        "--username", "krake", "--project", "proj", "--domain-name", "users", "--domain-id", "d0",
        "--infra-provider", "im-a", "-m", "heat-demand", "0.8", "--global-metric", "energy", "1", "os-team",
      ],
      { input: "secret\n" },
    );
    expect(c.metadata).to.include({ name: "os-team", namespace: "team-a" });
    expect(c.spec.openstack.infrastructure_provider).to.deep.equal({ name: "im-a", namespaced: true });
    expect(c.spec.openstack.metrics).to.deep.equal([
      { name: "heat-demand", weight: 0.8, namespaced: true },
      { name: "energy", weight: 1, namespaced: false },
    ]);
    expect(c.spec.openstack.auth.password.user).to.deep.equal({ username: "krake", password: "secret", domain_name: "users", comment: "" });
    expect(c.spec.openstack.auth.password.project.domain_id).to.equal("d0");

    const both = await cli([
      "infra", "cloud", "register", "--type", "openstack", "--url", "https://k.example", "--username", "u", "--password", "p",
      "--project", "p", "--infra-provider", "a", "--global-infra-provider", "b", "x",
    ]);
    expect(both.code, show(both)).to.equal(2);
    expect(both.stderr).to.contain("not both");

    const list = (await ok(["infra", "cloud", "list"])).stdout;
    expect(list.split("\n")[0]).to.match(/^NAME\s+NAMESPACE\s+TYPE\s+INFRA PROVIDER\s+STATE\s+AGE$/);
    expect(list).to.match(/^os-team\s+team-a\s+openstack\s+im-a\s+ONLINE\s+\d+s$/m);
    expect((await json(["infra", "cloud", "get", "os-team"])).metadata.name).to.equal("os-team");

    const updated = await json(["infra", "cloud", "update", "os-team", "--global-infra-provider", "im-1", "-l", "tier=edge", "--password", "new"]);
    expect(updated.spec.openstack.infrastructure_provider).to.deep.equal({ name: "im-1", namespaced: false });
    expect(updated.metadata.labels).to.deep.equal({ tier: "edge" });
    expect(updated.spec.openstack.auth.password.user.password).to.equal("new");
    expect(updated.spec.openstack.metrics).to.have.length(2);

    const deleted = await json(["infra", "cloud", "delete", "os-team"]);
    expect(deleted.metadata.finalizers).to.deep.equal(["cascade_deletion"]);
    const listed = (await ok(["infra", "cloud", "list"])).stdout;
    expect(listed).to.match(/^os-team\s+team-a\s+openstack\s+im-1 \(global\)\s+ONLINE \(deleting\)\s+\d+s$/m);
  });
});
