/**
 * The complete hook with TLS, end to end: krake-api serves gRPC and REST over
 * TLS and knows callers only by their client certificate (the TLS provider,
 * no anonymous access); the controller talks to it with a certificate of its
 * own; the application calls its hook URL with what its pod would find under
 * cert_dest — ca-bundle.pem to trust the API, cert.pem and key.pem to be the
 * hook's user — and its token.
 */
import { request } from "node:https";
import { expect } from "chai";
import { pino } from "pino";
import { Application, ApplicationStatus_State as State } from "../../../../gen/krake/kubernetes/v1/application.js";
import { Cluster } from "../../../../gen/krake/kubernetes/v1/cluster.js";
import { ApiConnection } from "../../../../src/client/kind-client.js";
import { channelCredentials } from "../../../../src/controller/process/credentials.js";
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

const ns = "secure";
const decode = (secret: KubeObject | undefined, key: string) => Buffer.from(String((secret?.data as Record<string, string>)[key]), "base64").toString("utf8");

/** PUT `url` with `{token}` over TLS, trusting `ca`, presenting `cert`/`key` when given: the HTTP status and the problem's detail. */
function put(url: string, token: string, tls: { ca: string; cert?: string; key?: string }): Promise<{ status: number; detail?: string }> {
  const body = JSON.stringify({ token });
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "PUT", ...tls, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, detail: (JSON.parse(text) as { detail?: string }).detail }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("complete hook over TLS: the application's client certificate is its identity at krake-api", function () {
  this.timeout(180_000);
  let pki: TestPki;
  let etcd: EtcdProcess;
  let api: ApiHarness;
  let member: KubeCluster;
  let view: KubeView;
  let connection: ApiConnection;
  let manager: Manager;
  let apps: Observer<Application>;

  before(async () => {
    pki = await makeTestPki("rsa");
    etcd = await startEtcd();
    const listenerTls = { cert: pki.path("server.crt"), key: pki.path("server.key"), clientCa: pki.path("root.crt"), clientCert: "optional" as const };
    api = await startApi(etcd, {
      grpc: { tls: listenerTls },
      http: { tls: listenerTls },
      authentication: { allowAnonymous: false, allowStaticOnNetwork: false, providers: [{ type: "tls" }] },
    });
    member = await startKubeCluster({ name: "member-tls" });
    view = new KubeView(member);
    const tls = { enabled: true, clientCa: pki.path("root.crt"), clientCert: pki.path("admin.crt"), clientKey: pki.path("admin.key"), serverName: "" };
    const creds = channelCredentials(tls);
    connection = new ApiConnection(api.address, creds.credentials, creds.options);
    await connection.client(clusterKind).create(
      ns,
      Cluster.fromPartial({ api: "kubernetes", kind: "Cluster", metadata: { name: "member", namespace: ns }, spec: { kubeconfig: member.kubeconfig, constraints: { cloud: { labels: [], metrics: [] } } } }),
    );
    const settings: HooksSettings = structuredClone(defaultHooksSettings);
    settings.apiEndpoint = `https://127.0.0.1:${api.server.httpPort}`;
    settings.complete.intermediateSrc = pki.path("intermediate.crt");
    settings.complete.intermediateKeySrc = pki.path("intermediate.key");
    const log = pino({ level: process.env.KRAKE_TEST_LOG ?? "silent" });
    manager = new Manager({ api: connection, log });
    const hooks = hooksForController({ settings, tls, applications: connection.client(applicationKind), log });
    setupApplicationController(manager, { settings: { ...defaultApplicationSettings, requestTimeoutMs: 5_000 }, workers: 2, log, hooks });
    setupGarbageCollector(manager, { workers: 1 });
    manager.start();
    apps = await new Observer<Application>(connection.client(applicationKind), ns).start();
  });

  after(async () => {
    await apps?.stop();
    await manager?.stop(1_000);
    connection?.close();
    view?.stop();
    await member?.remove();
    await api?.stop();
    await etcd?.remove();
    await pki?.remove();
  });

  it("without its certificate the call is unauthenticated; with it but a wrong token it is refused by the hook; with both it completes", async () => {
    await connection.client(applicationKind).create(
      ns,
      Application.fromPartial({
        metadata: { name: "batch", namespace: ns },
        spec: {
          hooks: ["complete"],
          manifest: [{ apiVersion: "v1", kind: "Pod", metadata: { name: "batch" }, spec: { containers: [{ name: "c", image: "busybox" }] } }],
          constraints: { migration: true, cluster: { labels: [], customResources: [], metrics: [] } },
        },
      }),
    );
    await connection.client(applicationKind).subresource("binding", ns, "batch", { cluster: { api: "kubernetes", kind: "Cluster", namespace: ns, name: "member" } });
    // What the pod would have: the variables from the token Secret, the files from the certs Secret.
    const tokenSecret = await view.until("v1", "Secret", "default", "batch-krake-complete-secret-token", (o) => !!o, "the token Secret");
    const certs = await view.until("v1", "Secret", "default", "batch-krake-complete-secret-certs", (o) => !!o, "the certs Secret");
    const url = decode(tokenSecret, "krake_complete_url");
    const token = decode(tokenSecret, "krake_complete_token");
    expect(url).to.equal(`https://127.0.0.1:${api.server.httpPort}/kubernetes/namespaces/${ns}/applications/batch/complete`);
    const ca = decode(certs, "ca-bundle.pem");
    const cert = decode(certs, "cert.pem");
    const key = decode(certs, "key.pem");

    const anonymous = await put(url, token, { ca });
    expect(anonymous.status).to.equal(401);
    const wrongToken = await put(url, "wrong", { ca, cert, key });
    expect(wrongToken).to.deep.equal({ status: 401, detail: "The complete hook token is invalid." });
    // cert.pem carries the intermediate: a client that trusts the API by another CA file (here the root
    // alone, so OpenSSL cannot complete the chain from it) still presents the whole chain.
    const otherTrust = await put(url, "wrong", { ca: pki.rootCert, cert, key });
    expect(otherTrust).to.deep.equal({ status: 401, detail: "The complete hook token is invalid." });
    expect(apps.get(`${ns}/batch`)?.metadata?.deleted).to.equal(undefined);

    const done = await put(url, token, { ca, cert, key });
    expect(done.status).to.equal(200);
    await apps.until(() => apps.get(`${ns}/batch`) === undefined, "the Application gone", 30_000);
    await view.until("v1", "Pod", "default", "batch", (o) => !o, "the Pod removed");
    expect(apps.seen.some((s) => s.obj.status?.state === State.READY_FOR_ACTION)).to.equal(true);
  });
});
