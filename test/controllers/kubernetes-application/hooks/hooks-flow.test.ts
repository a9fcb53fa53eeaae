/**
 * The complete and shutdown hooks end to end: the application controller (in
 * this process, with its hooks) against a real krake-api over real etcd and a
 * real member cluster (etcd + kube-apiserver; no kubelet, so the tests read
 * the stored objects and play the application themselves: they read the token
 * from the Secret the pods would get it from, and call the URL it names).
 * The shutdown tests run a tiny HTTP server on 127.0.0.1 at the node port of
 * the application's Service named "shutdown": the address Krake calls, as
 * status.services reports it.
 */
import { X509Certificate } from "node:crypto";
import { createServer } from "node:http";
import type { Server } from "node:http";
import { expect } from "chai";
import { pino } from "pino";
import { Application, ApplicationStatus_State as State } from "../../../../gen/krake/kubernetes/v1/application.js";
import { Cluster } from "../../../../gen/krake/kubernetes/v1/cluster.js";
import { Reason_Code } from "../../../../gen/krake/core/v1/types.js";
import { ApiConnection } from "../../../../src/client/kind-client.js";
import { Manager } from "../../../../src/controller/manager.js";
import { setupGarbageCollector } from "../../../../src/controllers/gc/setup.js";
import { defaultHooksSettings, hooksForController } from "../../../../src/controllers/kubernetes-application/hooks/index.js";
import type { HooksSettings } from "../../../../src/controllers/kubernetes-application/hooks/index.js";
import { defaultApplicationSettings, setupApplicationController } from "../../../../src/controllers/kubernetes-application/setup.js";
import { applicationKind, clusterKind } from "../../../../src/kinds/index.js";
import type { KubeObject } from "../../../../src/kubernetes/cluster-resources.js";
import { startApi } from "../../../fixtures/api.js";
import type { ApiHarness } from "../../../fixtures/api.js";
import { startEtcd } from "../../../fixtures/etcd.js";
import type { EtcdProcess } from "../../../fixtures/etcd.js";
import { startKubeCluster } from "../../../fixtures/kube-cluster.js";
import type { KubeCluster } from "../../../fixtures/kube-cluster.js";
import { Observer } from "../../../controller/support/observe.js";
import { KubeView } from "../support.js";
import { makeTestPki } from "./pki.js";
import type { TestPki } from "./pki.js";

const ns = "hooks";
type Obj = Record<string, unknown>;

const containers = [{ name: "main", image: "busybox" }];
const deployment = (name: string): Obj => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name },
  spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers } } },
});
const pod = (name: string): Obj => ({ apiVersion: "v1", kind: "Pod", metadata: { name }, spec: { containers } });
const rc = (name: string): Obj => ({
  apiVersion: "v1",
  kind: "ReplicationController",
  metadata: { name },
  spec: { selector: { app: name }, template: { metadata: { labels: { app: name } }, spec: { containers } } },
});
const shutdownService = (app: string, nodePort: number): Obj => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "shutdown" },
  spec: { type: "NodePort", selector: { app }, ports: [{ port: 8000, nodePort }] },
});

const decode = (secret: KubeObject | undefined, key: string) => Buffer.from(String((secret?.data as Record<string, string>)[key]), "base64").toString("utf8");
const envOf = (podSpec: Obj) => ((podSpec.containers as Obj[])[0].env as Obj[]) ?? [];

/** The application's side of the shutdown hook: a server on the Service's node port. */
class ShutdownEndpoint {
  readonly calls: string[] = [];
  private onCall: () => Promise<number> = () => Promise.resolve(200);
  private waiters: Array<() => void> = [];

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  /** Listens on 127.0.0.1 at a free port of the node-port range (30000-32767), where status.services points. */
  static async start(): Promise<ShutdownEndpoint> {
    const server = createServer();
    for (let tries = 0; ; tries++) {
      const port = 30000 + Math.floor(Math.random() * 2768);
      const ok = await new Promise<boolean>((resolve) => {
        server.once("error", () => resolve(false));
        server.listen(port, "127.0.0.1", () => resolve(true));
      });
      if (ok) {
        const ep = new ShutdownEndpoint(server, port);
        server.on("request", (req, res) => ep.handle(req.method ?? "", req.url ?? "", res));
        return ep;
      }
      if (tries > 50) throw new Error("no free port in the node-port range");
    }
  }

  private handle(method: string, url: string, res: import("node:http").ServerResponse): void {
    this.calls.push(`${method} ${url}`);
    for (const w of this.waiters.splice(0)) w();
    void this.onCall().then((code) => res.writeHead(code).end());
  }

  /** What the application does when called: answers with the code `fn` gives (after doing what it does). */
  behave(fn: () => Promise<number>): void {
    this.onCall = fn;
  }

  /** Resolves once `n` calls arrived. */
  async callsReach(n: number, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.calls.length < n) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} shutdown calls (got ${this.calls.length})`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, deadline - Date.now());
      });
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe("application hooks against a real krake-api and member cluster", function () {
  this.timeout(180_000);
  let etcd: EtcdProcess;
  let api: ApiHarness;
  let member: KubeCluster;
  let view: KubeView;
  let manager: Manager;
  let watcher: ApiConnection;
  let apps: Observer<Application>;
  let pki: TestPki;
  let hookUrlBase: string;
  const appClient = () => api.connection.client(applicationKind);
  const app = (name: string) => apps.get(`${ns}/${name}`);
  const until = (name: string, cond: (a: Application | undefined) => boolean, what: string, timeoutMs = 30_000) =>
    apps.until(() => cond(app(name)), `${name}: ${what}`, timeoutMs);

  async function createApp(name: string, manifest: Obj[], spec: Partial<NonNullable<Application["spec"]>>): Promise<void> {
    const obj = Application.fromPartial({
      api: "kubernetes",
      kind: "Application",
      metadata: { name, namespace: ns },
      spec: { manifest, constraints: { migration: true, cluster: { labels: [], customResources: [], metrics: [] } }, ...spec },
    });
    await appClient().create(ns, obj);
    await appClient().subresource("binding", ns, name, { cluster: { api: "kubernetes", kind: "Cluster", namespace: ns, name: "member" } });
  }

  /** PUT of the hook URL with a token, as the application sends it: the API's HTTP status and body. */
  async function callHook(url: string, token: string): Promise<{ status: number; body: Obj }> {
    const res = await fetch(url, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ token }) });
    return { status: res.status, body: (await res.json()) as Obj };
  }

  before(async () => {
    pki = await makeTestPki("ec");
    etcd = await startEtcd();
    api = await startApi(etcd);
    member = await startKubeCluster({ name: "member-hooks" });
    view = new KubeView(member);
    const cluster = Cluster.fromPartial({
      api: "kubernetes",
      kind: "Cluster",
      metadata: { name: "member", namespace: ns },
      spec: { kubeconfig: member.kubeconfig, constraints: { cloud: { labels: [], metrics: [] } } },
    });
    await api.connection.client(clusterKind).create(ns, cluster);
    hookUrlBase = `http://127.0.0.1:${api.server.httpPort}`;
    const settings: HooksSettings = structuredClone(defaultHooksSettings);
    settings.apiEndpoint = hookUrlBase;
    settings.complete.intermediateSrc = pki.path("intermediate.crt");
    settings.complete.intermediateKeySrc = pki.path("intermediate.key");
    settings.shutdown.requestTimeoutMs = 2_000;
    const log = pino({ level: process.env.KRAKE_TEST_LOG ?? "silent" });
    const connection = new ApiConnection(api.address);
    manager = new Manager({ api: connection, log });
    const hooks = hooksForController({ settings, tls: { enabled: false, clientCa: "" }, applications: connection.client(applicationKind), log });
    setupApplicationController(manager, { settings: { ...defaultApplicationSettings, requestTimeoutMs: 5_000 }, workers: 4, log, hooks });
    setupGarbageCollector(manager, { workers: 1 });
    manager.start();
    watcher = new ApiConnection(api.address);
    apps = await new Observer<Application>(watcher.client(applicationKind), ns).start();
  });

  after(async () => {
    await apps?.stop();
    watcher?.close();
    await manager?.stop(1_000);
    view?.stop();
    await member?.remove();
    await api?.stop();
    await etcd?.remove();
    await pki?.remove();
  });

  describe("complete", () => {
    it("applies the workloads with KRAKE_COMPLETE_TOKEN/URL from the token Secret and the certificate Secret mounted", async () => {
      await createApp("job", [deployment("job-d"), pod("job-p"), rc("job-rc")], { hooks: ["complete"] });
      const secret = await view.until("v1", "Secret", "default", "job-krake-complete-secret-token", (o) => !!o, "the token Secret");
      await until("job", (a) => a?.status?.state === State.DEGRADED || a?.status?.state === State.RUNNING, "applied");
      const status = app("job")!.status!;
      expect(decode(secret, "krake_complete_token")).to.equal(status.completeToken);
      expect(decode(secret, "krake_complete_url")).to.equal(`${hookUrlBase}/kubernetes/namespaces/${ns}/applications/job/complete`);
      const expectedEnv = ["KRAKE_COMPLETE_TOKEN", "KRAKE_COMPLETE_URL"].map((name) => ({
        name,
        valueFrom: { secretKeyRef: { name: "job-krake-complete-secret-token", key: name.toLowerCase() } },
      }));
      const mount = { name: "job-krake-complete-volume", mountPath: "/etc/krake_complete_certs/", readOnly: true };
      const specs: Array<[string, string, string, (o: KubeObject) => Obj]> = [
        ["apps/v1", "Deployment", "job-d", (o) => ((o.spec as Obj).template as Obj).spec as Obj],
        ["v1", "Pod", "job-p", (o) => o.spec as Obj],
        ["v1", "ReplicationController", "job-rc", (o) => ((o.spec as Obj).template as Obj).spec as Obj],
      ];
      for (const [apiVersion, kind, name, podSpecOf] of specs) {
        const stored = await view.until(apiVersion, kind, "default", name, (o) => !!o, kind);
        const podSpec = podSpecOf(stored!);
        expect(envOf(podSpec), kind).to.deep.equal(expectedEnv);
        expect((podSpec.containers as Obj[])[0].volumeMounts, kind).to.deep.equal([mount]);
        expect(((podSpec.volumes as Obj[])[0].secret as Obj).secretName, kind).to.equal("job-krake-complete-secret-certs");
      }
      const certs = await view.until("v1", "Secret", "default", "job-krake-complete-secret-certs", (o) => !!o, "the certs Secret");
      const cert = new X509Certificate(decode(certs, "cert.pem"));
      expect(cert.subject).to.contain("CN=system:complete-hook");
      expect(cert.verify(new X509Certificate(pki.intermediateCert).publicKey)).to.equal(true);
      expect(decode(certs, "cert.pem")).to.equal(`${status.completeCert!.trim()}\n${pki.intermediateCert.trim()}\n`);
      expect(decode(certs, "key.pem")).to.equal(status.completeKey);
      expect(decode(certs, "ca-bundle.pem")).to.contain(pki.intermediateCert.trim());
    });

    it("a call with a wrong token is refused with 401 and changes nothing", async () => {
      const secret = await view.get("v1", "Secret", "default", "job-krake-complete-secret-token");
      const res = await callHook(decode(secret, "krake_complete_url"), "not-the-token");
      expect(res.status).to.equal(401);
      expect(res.body.detail).to.equal("The complete hook token is invalid.");
      const now = await appClient().get(ns, "job");
      expect(now.metadata!.deleted).to.equal(undefined);
    });

    it("the application's call with its token completes it: its resources are removed and it is gone", async () => {
      const secret = await view.get("v1", "Secret", "default", "job-krake-complete-secret-token");
      const res = await callHook(decode(secret, "krake_complete_url"), decode(secret, "krake_complete_token"));
      expect(res.status).to.equal(200);
      expect((res.body.status as Obj).state).to.equal("READY_FOR_ACTION");
      expect((res.body.metadata as Obj).deleted).to.be.a("string");
      await view.until("apps/v1", "Deployment", "default", "job-d", (o) => !o, "the Deployment removed");
      await view.until("v1", "Secret", "default", "job-krake-complete-secret-token", (o) => !o, "the token Secret removed");
      await until("job", (a) => a === undefined, "gone");
    });
  });

  it("an Application whose name makes no valid Secret name is not applied; its status says why", async () => {
    await createApp("Bad_Name", [deployment("bad")], { hooks: ["complete"] });
    await until("Bad_Name", (a) => !!a?.status?.reason?.message, "a reason");
    const status = app("Bad_Name")!.status!;
    expect([State.DEGRADED, State.FAILED]).to.include(status.state);
    expect(status.reason!.message).to.contain('the hook Secret name "Bad_Name-krake-complete-secret-token" is not a valid Kubernetes name');
    expect(await view.get("apps/v1", "Deployment", "default", "bad")).to.equal(undefined);
    await appClient().delete(ns, "Bad_Name", { force: true });
  });

  describe("shutdown", () => {
    let endpoint: ShutdownEndpoint;
    beforeEach(async () => {
      endpoint = await ShutdownEndpoint.start();
    });
    afterEach(() => endpoint.close());

    /** The application: reads its token and URL from the Secret (as its pods get them) and calls back. */
    async function callBack(name: string): Promise<number> {
      const secret = await view.get("v1", "Secret", "default", `${name}-krake-shutdown-secret-token`);
      const res = await callHook(decode(secret, "krake_shutdown_url"), decode(secret, "krake_shutdown_token"));
      return res.status;
    }

    async function deployed(name: string, spec: Partial<NonNullable<Application["spec"]>>): Promise<void> {
      await createApp(name, [deployment(name), shutdownService(name, endpoint.port)], { hooks: ["shutdown"], ...spec });
      await until(name, (a) => a?.status?.services?.shutdown === `127.0.0.1:${endpoint.port}`, "the shutdown Service in status.services");
    }

    it("on delete the application is asked to shut down; its call back lets the deletion go on", async () => {
      await deployed("svc", { shutdownGraceTime: 20, shutdownRetryCount: 0 });
      let callBackStatus = 0;
      endpoint.behave(async () => {
        // Answer first, clean up, then tell Krake (here: at once).
        setImmediate(() => void callBack("svc").then((s) => (callBackStatus = s)));
        return 200;
      });
      await appClient().delete(ns, "svc");
      await until("svc", (a) => a?.status?.state === State.WAITING_FOR_CLEANING && !!a.status.shutdownGracePeriod, "WAITING_FOR_CLEANING with a grace period");
      await endpoint.callsReach(1);
      expect(endpoint.calls).to.deep.equal(["PUT /shutdown"]);
      await until("svc", (a) => a === undefined, "gone", 15_000);
      expect(callBackStatus).to.equal(200);
      await view.until("apps/v1", "Deployment", "default", "svc", (o) => !o, "the Deployment removed");
      expect(endpoint.calls).to.have.length(1);
    });

    it("give_up: no call back within shutdown_retry_count+1 attempts → DEGRADED with the reason, resources kept; retry starts over", async () => {
      await deployed("stubborn", { shutdownGraceTime: 1, shutdownRetryCount: 1, shutdownFailureStrategy: "give_up" });
      await appClient().delete(ns, "stubborn");
      await until("stubborn", (a) => a?.status?.state === State.DEGRADED && a.status.reason?.code === Reason_Code.DELETE_FAILED, "DEGRADED by the shutdown", 20_000);
      expect(endpoint.calls).to.deep.equal(["PUT /shutdown", "PUT /shutdown"]);
      const status = app("stubborn")!.status!;
      expect(status.reason?.code).to.equal(Reason_Code.DELETE_FAILED);
      expect(status.reason?.message).to.contain("within 2 attempt(s)").and.contain('"give_up"');
      expect(status.shutdownGracePeriod).to.equal(undefined);
      expect(await view.get("apps/v1", "Deployment", "default", "stubborn")).to.not.equal(undefined);
      // The user retries; this time the application calls back.
      endpoint.behave(async () => {
        setImmediate(() => void callBack("stubborn"));
        return 200;
      });
      await appClient().subresource("retry", ns, "stubborn", {});
      await until("stubborn", (a) => a === undefined, "gone after retry", 20_000);
      expect(endpoint.calls).to.have.length(3);
      await view.until("apps/v1", "Deployment", "default", "stubborn", (o) => !o, "the Deployment removed");
    });

    it("an application without a Service named shutdown cannot be asked: the reason says so", async () => {
      await createApp("mute", [deployment("mute")], { hooks: ["shutdown"], shutdownGraceTime: 0, shutdownRetryCount: 0, shutdownFailureStrategy: "give_up" });
      await until("mute", (a) => !!a?.status?.runningOn, "applied");
      await appClient().delete(ns, "mute");
      // a Deployment that no kubelet runs is DEGRADED already: wait for the shutdown's verdict
      await until("mute", (a) => a?.status?.state === State.DEGRADED && a.status.reason?.code === Reason_Code.DELETE_FAILED, "DEGRADED by the shutdown", 20_000);
      expect(app("mute")!.status!.reason!.message).to.contain('(last: the application exposes no Service named "shutdown" (status.services.shutdown))');
      expect(endpoint.calls).to.deep.equal([]);
      await appClient().delete(ns, "mute", { force: true });
    });

    it("delete: an application that fails its shutdown calls has its resources deleted anyway, with the reason", async () => {
      endpoint.behave(() => Promise.resolve(500));
      await deployed("broken", { shutdownGraceTime: 1, shutdownRetryCount: 0, shutdownFailureStrategy: "delete" });
      const reasons: string[] = [];
      const seen = apps.until(() => {
        const r = app("broken")?.status?.reason;
        if (app("broken")?.status?.state === State.DELETING && r) reasons.push(r.message);
        return reasons.length > 0;
      }, "DELETING with a reason", 20_000);
      await appClient().delete(ns, "broken");
      await seen;
      expect(reasons[0]).to.contain("within 1 attempt(s) (last: PUT http://127.0.0.1:").and.contain("answered 500").and.contain('"delete"');
      await until("broken", (a) => a === undefined, "gone", 20_000);
      await view.until("apps/v1", "Deployment", "default", "broken", (o) => !o, "the Deployment removed");
      expect(endpoint.calls).to.deep.equal(["PUT /shutdown"]);
    });
  });
});
