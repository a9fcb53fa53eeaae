import { expect } from "chai";
import { AppsV1Api, CoreV1Api, Watch } from "@kubernetes/client-node";
import type { V1Deployment, V1Lease } from "@kubernetes/client-node";
import { startKubeCluster } from "../fixtures/kube-cluster.js";
import type { KubeCluster } from "../fixtures/kube-cluster.js";
import { kubeConfigFrom } from "../../src/kubernetes/kube-config.js";

describe("member clusters (real kube-apiserver + etcd, test/fixtures/kube-cluster.ts)", function () {
  this.timeout(180_000);
  const clusters: KubeCluster[] = [];
  after(async () => {
    await Promise.all(clusters.map((c) => c.remove()));
  });

  for (const auth of ["certificate", "token"] as const) {
    it(`serves the Kubernetes API to the admin of its kubeconfig (${auth})`, async () => {
      const cluster = await startKubeCluster({ auth });
      clusters.push(cluster);
      const core = kubeConfigFrom(cluster.kubeconfig).makeApiClient(CoreV1Api);
      const created = await core.createNamespace({ body: { metadata: { name: "krake-smoke" } } });
      expect(created.metadata?.name).to.equal("krake-smoke");
      const list = await core.listNamespace();
      expect(list.items.map((n) => n.metadata?.name)).to.include.members(["default", "krake-smoke"]);
    });
  }

  it("refuses a kubeconfig without valid credentials (401)", async () => {
    const cluster = clusters[0]!;
    const kubeconfig = structuredClone(cluster.kubeconfig) as { users: Array<{ user: Record<string, unknown> }> };
    kubeconfig.users[0]!.user = { token: "not-a-valid-token" };
    const core = kubeConfigFrom(kubeconfig).makeApiClient(CoreV1Api);
    const err = await core.listNamespace().then(
      () => undefined,
      (e: { code?: number }) => e,
    );
    expect(err?.code).to.equal(401);
  });

  it("keeps its data across a kube-apiserver restart and is unreachable while stopped", async () => {
    const cluster = clusters[0]!;
    const core = kubeConfigFrom(cluster.kubeconfig).makeApiClient(CoreV1Api);
    await cluster.stopApiServer();
    const err = await core.listNamespace().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).to.match(/ECONNREFUSED/);
    await cluster.startApiServer();
    const ns = await core.readNamespace({ name: "krake-smoke" });
    expect(ns.metadata?.name).to.equal("krake-smoke");
  });
});

describe("member clusters with workloads (kube-controller-manager, kube-scheduler, KWOK)", function () {
  this.timeout(180_000);
  let cluster: KubeCluster;
  before(async () => {
    cluster = await startKubeCluster({ workloads: true, nodes: 2 });
  });
  after(async () => cluster?.remove());

  it("runs a Deployment's pods on the fake nodes until it is ready", async () => {
    const kc = cluster.kubeConfig();
    const ready = new Promise<V1Deployment>((resolve, reject) => {
      void new Watch(kc)
        .watch(
          "/apis/apps/v1/namespaces/default/deployments",
          { fieldSelector: "metadata.name=web" },
          (_type: string, d: V1Deployment) => {
            if (d.status?.readyReplicas === 3) resolve(d);
          },
          (err: unknown) => err && reject(err as Error),
        )
        .catch(reject);
    });
    await kc.makeApiClient(AppsV1Api).createNamespacedDeployment({
      namespace: "default",
      body: {
        metadata: { name: "web" },
        spec: {
          replicas: 3,
          selector: { matchLabels: { app: "web" } },
          template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image: "nginx" }] } },
        },
      },
    });
    const deployment = await ready;
    expect(deployment.status?.availableReplicas).to.equal(3);
    const pods = await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: "default", labelSelector: "app=web" });
    expect(pods.items).to.have.length(3);
    for (const pod of pods.items) {
      expect(pod.status?.phase).to.equal("Running");
      expect(cluster.nodeNames).to.include(pod.spec?.nodeName);
    }
  });
  it("keeps its fake nodes alive: KWOK renews each node's Lease, the heartbeat kube-controller-manager checks", async () => {
    const kc = cluster.kubeConfig();
    const renewed = new Set<string>();
    await new Promise<void>((resolve, reject) => {
      const firstSeen = new Map<string, string>();
      void new Watch(kc)
        .watch(
          "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases",
          {},
          (_type: string, lease: V1Lease) => {
            const name = lease.metadata?.name ?? "";
            const renewTime = String(lease.spec?.renewTime ?? "");
            if (!firstSeen.has(name)) firstSeen.set(name, renewTime);
            else if (firstSeen.get(name) !== renewTime) renewed.add(name);
            if (cluster.nodeNames.every((n) => renewed.has(n))) resolve();
          },
          (err: unknown) => err && reject(err as Error),
        )
        .catch(reject);
    });
    expect([...renewed]).to.include.members(cluster.nodeNames);
  });
});

describe("kubeConfigFrom (a Cluster's kubeconfig)", () => {
  const base = () => ({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "c", cluster: { server: "https://127.0.0.1:6443" } as Record<string, unknown> }],
    users: [{ name: "u", user: { token: "t" } as Record<string, unknown> }],
    contexts: [{ name: "ctx", context: { cluster: "c", user: "u" } }],
    "current-context": "ctx",
  });

  it("loads embedded credentials and picks the current context", () => {
    expect(kubeConfigFrom(base()).getCurrentCluster()?.server).to.equal("https://127.0.0.1:6443");
  });

  it("falls back to the first context when current-context is missing", () => {
    const kc = base() as Record<string, unknown>;
    delete kc["current-context"];
    expect(kubeConfigFrom(kc).getCurrentContext()).to.equal("ctx");
  });

  const refused: Array<[string, (kc: ReturnType<typeof base>) => void, RegExp]> = [
    ["a CA file path", (kc) => (kc.clusters[0]!.cluster["certificate-authority"] = "/etc/ssl/ca.pem"), /names a file \(certificate-authority\)/],
    ["a client key file path", (kc) => (kc.users[0]!.user["client-key"] = "/root/.ssh/id_rsa"), /names a file \(client-key\)/],
    ["a token file", (kc) => (kc.users[0]!.user.tokenFile = "/var/run/secrets/token"), /names a file \(tokenFile\)/],
    ["an exec plugin", (kc) => (kc.users[0]!.user.exec = { command: "sh", args: ["-c", "id"] }), /uses 'exec'/],
    ["an auth-provider", (kc) => (kc.users[0]!.user["auth-provider"] = { name: "gcp" }), /uses 'auth-provider'/],
  ];
  for (const [what, change, message] of refused) {
    it(`refuses ${what}: a controller never reads its own files or runs programs for a user`, () => {
      const kc = base();
      change(kc);
      expect(() => kubeConfigFrom(kc)).to.throw(message);
    });
  }

  it("refuses an empty kubeconfig and one whose context names no server", () => {
    expect(() => kubeConfigFrom({})).to.throw(/no kubeconfig/);
    expect(() => kubeConfigFrom(undefined)).to.throw(/no kubeconfig/);
    const kc = base();
    kc.clusters[0]!.cluster = {};
    expect(() => kubeConfigFrom(kc)).to.throw(/server/);
  });
});
