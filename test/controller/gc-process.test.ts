import { expect } from "chai";
import type { Application } from "../../gen/krake/kubernetes/v1/application.js";
import type { Cluster } from "../../gen/krake/kubernetes/v1/cluster.js";
import { applicationKind, clusterKind } from "../../src/apiserver/kinds/index.js";
import { ApiConnection } from "../../src/client/kind-client.js";
import type { KindClient } from "../../src/client/kind-client.js";
import { startApiProcess } from "../fixtures/api-process.js";
import type { ApiProcess } from "../fixtures/api-process.js";
import { startEtcd } from "../fixtures/etcd.js";
import type { EtcdProcess } from "../fixtures/etcd.js";
import { makePki } from "./support/certs.js";
import { gcArgs, gcBin, spawnController } from "./support/controller-process.js";
import type { ControllerProcess, LogLine } from "./support/controller-process.js";
import { application, cluster, refTo } from "./support/objects.js";
import { eachLimited, Observer, poll } from "./support/observe.js";

/** Fast lease timings for tests: takeover within seconds. */
const lease = { durationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 500 };
const leaseArgs = (name: string) => [
  "--lease.name",
  name,
  "--lease.duration_ms",
  String(lease.durationMs),
  "--lease.renew_deadline_ms",
  String(lease.renewDeadlineMs),
  "--lease.retry_period_ms",
  String(lease.retryPeriodMs),
];

const acquired = (l: LogLine) => l.msg === "leader election: acquired the lease; leading";

interface Interval {
  who: string;
  start: number;
  end: number;
  key: string;
}

/** The reconciles a GC process logged, as [start, end] intervals ("reconciled" is logged at debug after each). */
function reconciles(p: ControllerProcess, who: string): Interval[] {
  return p.logs
    .filter((l) => l.msg === "reconciled")
    .map((l) => ({ who, start: Number(l.start), end: Number(l.end), key: String(l.key) }));
}

describe("krake-controller-gc as a process (real etcd, krake-api process)", function () {
  this.timeout(120_000);
  let etcd: EtcdProcess;
  let api: ApiProcess;
  let conn: ApiConnection;
  let apps: KindClient<Application>;
  let clusters: KindClient<Cluster>;
  let appsSeen: Observer<Application>;
  let clustersSeen: Observer<Cluster>;
  const procs: ControllerProcess[] = [];
  let n = 0;

  const gc = (args: string[]) => {
    const p = spawnController(gcBin, args);
    procs.push(p);
    return p;
  };

  before(async () => {
    etcd = await startEtcd();
    api = await startApiProcess({ etcd, args: ["--http.port", "0"] });
    conn = new ApiConnection(api.address);
    apps = conn.client(applicationKind);
    clusters = conn.client(clusterKind);
    appsSeen = await new Observer(apps).start();
    clustersSeen = await new Observer(clusters).start();
  });

  afterEach(async () => {
    for (const p of procs.splice(0)) await p.kill();
  });

  after(async () => {
    await appsSeen?.stop();
    await clustersSeen?.stop();
    conn?.close();
    await api?.stop();
    await etcd?.remove();
  });

  /** A Cluster owning `count` Applications, in a fresh namespace. */
  async function ownedApps(count: number): Promise<{ ns: string; names: string[] }> {
    const ns = `p${++n}`;
    const c = await clusters.create(ns, cluster(ns, "c"));
    const names = Array.from({ length: count }, (_, i) => `a${i}`);
    await eachLimited(names, 16, (name) => apps.create(ns, application(ns, name, [refTo(c)])));
    return { ns, names };
  }

  /** The owner is gone and so are its dependents; each observer is its own watch, so wait on both. */
  async function cascadeDone(ns: string, what: string, timeoutMs?: number): Promise<void> {
    await clustersSeen.until(() => clustersSeen.get(`${ns}/c`) === undefined, `${what}: owner removed`, timeoutMs);
    await appsSeen.until(() => !appsSeen.informer.store.byIndex("namespace", ns).length, `${what}: dependents removed`, timeoutMs);
  }

  it("exits with status 2 and says why on a configuration error", async () => {
    const cases: [string[], RegExp][] = [
      [["--no.such", "1"], /unknown flag --no\.such/],
      [["--lease.renew_deadline_ms", "20000"], /renew deadline must be shorter than the lease duration/],
      [["--tls.enabled", "true", "--tls.client_cert", "/nonexistent/cert.pem", "--tls.client_key", "/nonexistent/key.pem"], /tls\.client_key: cannot read/],
      [["--tls.enabled", "true", "--tls.client_cert", "x.pem"], /tls\.client_cert and tls\.client_key go together/],
      [["--worker_count", "0"], /worker_count must be a positive integer/],
    ];
    for (const [args, message] of cases) {
      const exit = await gc(args).exited;
      expect(exit.code, args.join(" ")).to.equal(2);
      expect(exit.stderr).to.match(message);
    }
  });

  it("runs from config/gc.yaml and flags, serves /healthz, /readyz and /metrics; SIGTERM drains, releases the lease and exits 0", async () => {
    const name = `gc-probe-${++n}`;
    // The shipped config file, with flags on top; Krake's http:// form of the endpoint is accepted.
    const p = gc(["--config", "config/gc.yaml", ...gcArgs(`http://${api.address}`, leaseArgs(name))]);
    const port = await p.httpPort();
    const get = (path: string) => fetch(`http://127.0.0.1:${port}${path}`);
    expect((await get("/healthz")).status).to.equal(200);
    await poll(async () => (await get("/readyz")).status === 200, "ready");
    await p.waitForLog(acquired);
    const { ns } = await ownedApps(3);
    await clusters.delete(ns, "c");
    await cascadeDone(ns, "cascade done");
    const metrics = await (await get("/metrics")).text();
    expect(metrics).to.match(new RegExp(`krake_leader_election_is_leader\\{lease="krake-system/${name}"\\} 1`));
    expect(metrics).to.match(/krake_workqueue_depth\{controller="garbage-collector"\} 0/);
    expect(metrics).to.match(/krake_reconcile_duration_seconds_count\{controller="garbage-collector"\} [1-9]/);
    expect(metrics).to.match(/krake_reconcile_total\{controller="garbage-collector",outcome="success"\} [1-9]/);
    expect(metrics).to.match(/krake_informer_objects\{kind="Application"\}/);
    expect((await get("/nope")).status).to.equal(404);
    const exit = await p.stop();
    expect(exit.code).to.equal(0);
    expect(p.logs.some((l) => l.msg === "leader election: released the lease")).to.equal(true);
    const leaseNow = await api.clients.leases.getLease({ namespace: "krake-system", name });
    expect(leaseNow.spec!.holderIdentity, "released").to.equal("");
  });

  it("finishes a cascade after being killed (-9) in the middle of it", async () => {
    const name = `gc-restart-${++n}`;
    const { ns, names } = await ownedApps(300);
    await appsSeen.until(() => names.every((a) => appsSeen.get(`${ns}/${a}`)), "apps seen");
    const first = gc(gcArgs(api.address, [...leaseArgs(name), "--worker_count", "1"]));
    await first.waitForLog(acquired);
    await clusters.delete(ns, "c");
    await appsSeen.until(() => appsSeen.informer.store.byIndex("namespace", ns).length <= names.length - 10, "the cascade is under way");
    await first.kill();
    const left = appsSeen.informer.store.byIndex("namespace", ns).length;
    expect(left, "killed in the middle").to.be.greaterThan(0);
    expect(clustersSeen.get(`${ns}/c`), "the owner waits for the rest").to.not.equal(undefined);
    const second = gc(gcArgs(api.address, leaseArgs(name)));
    await cascadeDone(ns, "cascade finished by the new process", 60_000);
    expect(second.logs.some(acquired)).to.equal(true);
  });

  it("two replicas: kill -9 the leader and the other takes over within the lease duration; never do both act", async () => {
    const name = `gc-pair-${++n}`;
    const a = gc(gcArgs(api.address, [...leaseArgs(name), "--lease.identity", "replica-a"]));
    const b = gc(gcArgs(api.address, [...leaseArgs(name), "--lease.identity", "replica-b"]));
    const first = await Promise.race([a.waitForLog(acquired).then(() => a), b.waitForLog(acquired).then(() => b)]);
    const [leader, standby] = first === a ? [a, b] : [b, a];
    let stop = false;
    let cascades = 0;
    const workload = (async () => {
      while (!stop) {
        const { ns } = await ownedApps(5);
        await clusters.delete(ns, "c");
        await cascadeDone(ns, `cascade in ${ns}`, 30_000);
        cascades++;
      }
    })();
    await poll(() => cascades >= 2, "cascades by the first leader", 30_000);
    const killedAt = Date.now();
    await leader.kill();
    const takeover = await standby.waitForLog(acquired, 30_000);
    const before = cascades;
    await poll(() => cascades >= before + 2, "cascades by the new leader", 30_000);
    stop = true;
    await workload;
    const takeoverMs = Number(takeover.time) - killedAt;
    if (process.env.KRAKE_TEST_VERBOSE) console.log(`takeover ${takeoverMs} ms after the kill`);
    // The standby watches the lease, sees the leader's last renewal (before the kill) as it happens and
    // takes over one lease duration later; 1 s of slack for a busy machine.
    expect(takeoverMs, `takeover ${takeoverMs} ms after the kill`).to.be.at.most(lease.durationMs + 1_000);
    const byLeader = reconciles(leader, "leader").map((r) => ({ ...r, end: Number.isFinite(r.end) ? r.end : killedAt }));
    const byStandby = reconciles(standby, "standby");
    expect(byLeader.length).to.be.greaterThan(0);
    expect(byStandby.length).to.be.greaterThan(0);
    const standbyFirst = Math.min(...byStandby.map((r) => r.start));
    expect(standbyFirst, "the standby acted only once it held the lease").to.be.at.least(Number(takeover.time));
    for (const x of byLeader) {
      for (const y of byStandby) {
        expect(x.end <= y.start || y.end <= x.start, `overlap: ${JSON.stringify(x)} and ${JSON.stringify(y)}`).to.equal(true);
      }
    }
    expect(Math.max(...byLeader.map((r) => r.end)), "the old leader's last act").to.be.at.most(killedAt);
  });

  it("speaks TLS with a client certificate to an API that requires one", async () => {
    const pki = makePki();
    const tlsApi = await startApiProcess({
      etcd,
      args: [
        "--http.port", "0",
        "--grpc.tls.cert", pki.serverCert,
        "--grpc.tls.key", pki.serverKey,
        "--grpc.tls.client_ca", pki.ca,
        "--grpc.tls.client_cert", "required",
      ],
    });
    try {
      const { cert, key } = pki.client("system:gc");
      const tls = ["--tls.enabled", "true", "--tls.client_ca", pki.ca, "--tls.client_cert", cert, "--tls.client_key", key];
      const withCert = gc(gcArgs(tlsApi.address, [...leaseArgs(`gc-tls-${++n}`), ...tls]));
      const port = await withCert.httpPort();
      await poll(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, "synced over TLS", 30_000);
      await withCert.waitForLog(acquired);
      const noCert = gc(gcArgs(tlsApi.address, [...leaseArgs(`gc-tls-${++n}`), "--tls.enabled", "true", "--tls.client_ca", pki.ca]));
      const noCertPort = await noCert.httpPort();
      await noCert.waitForLog((l) => l.msg === "informer: list/watch failed; retrying", 30_000);
      expect((await fetch(`http://127.0.0.1:${noCertPort}/readyz`)).status, "without a client certificate it cannot sync").to.equal(503);
    } finally {
      for (const p of procs.splice(0)) await p.kill();
      await tlsApi.stop();
      pki.remove();
    }
  });
});
