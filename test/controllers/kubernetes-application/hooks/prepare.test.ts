import { X509Certificate } from "node:crypto";
import { expect } from "chai";
import { Application } from "../../../../gen/krake/kubernetes/v1/application.js";
import { HookError, resourceNamespaces } from "../../../../src/controllers/kubernetes-application/hooks/mangle.js";
import { HookConfigError, HooksRuntime } from "../../../../src/controllers/kubernetes-application/hooks/runtime.js";
import { defaultHooksSettings } from "../../../../src/controllers/kubernetes-application/hooks/settings.js";
import type { HooksSettings } from "../../../../src/controllers/kubernetes-application/hooks/settings.js";
import type { Manifest } from "../../../../src/controllers/kubernetes-application/hooks/secrets.js";
import { generateHookToken } from "../../../../src/controllers/kubernetes-application/hooks/token.js";
import { makeTestPki } from "./pki.js";
import type { TestPki } from "./pki.js";

type Obj = Record<string, unknown>;

const settings = (over: Partial<HooksSettings> = {}): HooksSettings => ({
  ...structuredClone(defaultHooksSettings),
  apiEndpoint: "http://krake.example:8080",
  ...over,
});

const manifest = (): Manifest[] => [
  { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } },
  { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: "shop" }, spec: { template: { spec: { containers: [{ name: "c", image: "i" }] } } } },
  { apiVersion: "v1", kind: "Service", metadata: { name: "web" } },
];

const app = (hooks: string[], status: Obj = {}) =>
  Application.fromPartial({ metadata: { name: "my-app", namespace: "system:admin" }, spec: { hooks, manifest: manifest() }, status });

const secretsOf = (out: Manifest[]) => out.filter((r) => r.kind === "Secret");
const decode = (s: Manifest, key: string) => Buffer.from(String((s.data as Obj)[key]), "base64").toString("utf8");
const nameNs = (r: Manifest) => `${(r.metadata as Obj).namespace}/${(r.metadata as Obj).name}`;

function catching(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe("hooks: tokens", () => {
  it("are 43 URL-safe characters (32 random bytes) and differ each time", () => {
    const tokens = new Set(Array.from({ length: 50 }, generateHookToken));
    expect(tokens.size).to.equal(50);
    for (const t of tokens) expect(t).to.match(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe("hooks: the manifest seam (HooksRuntime.prepare)", () => {
  it("without hooks: the manifest unchanged, no credentials, nothing to write", async () => {
    const hooks = HooksRuntime.load(settings());
    const a = app([]);
    const out = await hooks.prepare(a, manifest());
    expect(out).to.deep.equal({ manifest: manifest(), statusChanged: false });
    expect(a.status?.completeToken).to.equal(undefined);
  });

  it("complete: a token in status, the token Secret in every namespace the resources use, the variables in the workloads", async () => {
    const hooks = HooksRuntime.load(settings());
    const a = app(["complete"]);
    const out = await hooks.prepare(a, manifest());
    expect(out.statusChanged).to.equal(true);
    const token = a.status!.completeToken!;
    expect(token).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(a.status!.shutdownToken).to.equal(undefined);
    const secrets = secretsOf(out.manifest);
    expect(secrets.map(nameNs)).to.deep.equal(["shop/my-app-krake-complete-secret-token", "default/my-app-krake-complete-secret-token"]);
    for (const s of secrets) {
      expect(decode(s, "krake_complete_token")).to.equal(token);
      expect(decode(s, "krake_complete_url")).to.equal("http://krake.example:8080/kubernetes/namespaces/system:admin/applications/my-app/complete");
    }
    const env = (((out.manifest[1].spec as Obj).template as Obj).spec as { containers: Obj[] }).containers[0].env;
    expect(env).to.deep.equal([
      { name: "KRAKE_COMPLETE_TOKEN", valueFrom: { secretKeyRef: { name: "my-app-krake-complete-secret-token", key: "krake_complete_token" } } },
      { name: "KRAKE_COMPLETE_URL", valueFrom: { secretKeyRef: { name: "my-app-krake-complete-secret-token", key: "krake_complete_url" } } },
    ]);
  });

  it("keeps the token once made: a second prepare writes nothing and gives the same manifest", async () => {
    const hooks = HooksRuntime.load(settings());
    const a = app(["complete", "shutdown"]);
    const first = await hooks.prepare(a, manifest());
    const second = await hooks.prepare(a, manifest());
    expect(second.statusChanged).to.equal(false);
    expect(second.manifest).to.deep.equal(first.manifest);
    expect(a.status!.completeToken).not.to.equal(a.status!.shutdownToken);
  });

  it("the external endpoint, when set, is the URL's base; env names come from the settings", async () => {
    const s = settings();
    s.shutdown.externalEndpoint = "https://public.example/ignored/path";
    s.shutdown.envToken = "MY_TOKEN";
    s.shutdown.envUrl = "MY_URL";
    const hooks = HooksRuntime.load(s);
    const out = await hooks.prepare(app(["shutdown"]), manifest());
    const secret = secretsOf(out.manifest)[0];
    expect((secret.metadata as Obj).name).to.equal("my-app-krake-shutdown-secret-token");
    expect(decode(secret, "my_url")).to.equal("https://public.example/kubernetes/namespaces/system:admin/applications/my-app/shutdown");
    const env = (((out.manifest[1].spec as Obj).template as Obj).spec as { containers: Obj[] }).containers[0].env as Obj[];
    expect(env.map((e) => e.name)).to.deep.equal(["MY_TOKEN", "MY_URL"]);
  });

  it("a hook removed from spec.hooks loses its token (it opens nothing any more) and its Secrets", async () => {
    const hooks = HooksRuntime.load(settings());
    const a = app(["complete"]);
    await hooks.prepare(a, manifest());
    a.spec!.hooks = [];
    const out = await hooks.prepare(a, manifest());
    expect(out.statusChanged).to.equal(true);
    expect(a.status!.completeToken).to.equal(undefined);
    expect(secretsOf(out.manifest)).to.deep.equal([]);
  });

  it("an Application whose name makes no valid Secret name is refused with the reason", async () => {
    const hooks = HooksRuntime.load(settings());
    const a = Application.fromPartial({ metadata: { name: "My_App", namespace: "ns" }, spec: { hooks: ["complete"] } });
    const err = await hooks.prepare(a, manifest()).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(HookError);
    expect((err as Error).message).to.contain('"My_App-krake-complete-secret-token" is not a valid Kubernetes name');
  });

  it("namespaces: explicit ones, the default one for namespaced kinds without one, none for cluster-scoped kinds", () => {
    const resources: Manifest[] = [
      { kind: "ClusterRole", metadata: { name: "r" } },
      { kind: "Pod", metadata: { name: "a", namespace: "x" } },
      { kind: "ConfigMap", metadata: { name: "b" } },
      { kind: "Pod", metadata: { name: "c", namespace: "x" } },
    ];
    expect(resourceNamespaces(resources, "team")).to.deep.equal(["x", "team"]);
  });
});

describe("hooks: the manifest seam with TLS (client certificates)", function () {
  this.timeout(30_000);
  let pki: TestPki;
  let tlsSettings: HooksSettings;
  const apiCaPem = "-----BEGIN CERTIFICATE-----\nQVBJIENB\n-----END CERTIFICATE-----\n";
  before(async () => {
    pki = await makeTestPki("rsa");
    tlsSettings = settings({ apiEndpoint: "https://krake.example:8443" });
    tlsSettings.complete.intermediateSrc = pki.path("intermediate.crt");
    tlsSettings.complete.intermediateKeySrc = pki.path("intermediate.key");
  });
  after(() => pki.remove());

  it("a certificate for the hook user in status, the certs Secret per namespace, mounted at cert_dest", async () => {
    const hooks = HooksRuntime.load(tlsSettings, { apiCaPem });
    expect(hooks.hasTls("complete")).to.equal(true);
    expect(hooks.hasTls("shutdown")).to.equal(false);
    const a = app(["complete", "shutdown"]);
    const out = await hooks.prepare(a, manifest());
    const cert = new X509Certificate(a.status!.completeCert!);
    expect(cert.subject).to.contain("CN=system:complete-hook");
    expect(cert.verify(new X509Certificate(pki.intermediateCert).publicKey)).to.equal(true);
    expect(a.status!.completeKey).to.contain("PRIVATE KEY");
    expect(a.status!.shutdownCert).to.equal(undefined);
    const certs = secretsOf(out.manifest).filter((s) => String((s.metadata as Obj).name).endsWith("-certs"));
    expect(certs.map(nameNs)).to.deep.equal(["shop/my-app-krake-complete-secret-certs", "default/my-app-krake-complete-secret-certs"]);
    // cert.pem: the application's certificate, then the intermediate (the chain it presents).
    expect(decode(certs[0], "cert.pem")).to.equal(`${a.status!.completeCert!.trim()}\n${pki.intermediateCert.trim()}\n`);
    expect(decode(certs[0], "key.pem")).to.equal(a.status!.completeKey);
    expect(decode(certs[0], "ca-bundle.pem")).to.equal(`${apiCaPem.trim()}\n${pki.intermediateCert.trim()}\n`);
    const spec = ((out.manifest[1].spec as Obj).template as Obj).spec as { containers: Obj[]; volumes: Obj[] };
    expect(spec.volumes).to.deep.equal([{ name: "my-app-krake-complete-volume", secret: { secretName: "my-app-krake-complete-secret-certs" } }]);
    expect(spec.containers[0].volumeMounts).to.deep.equal([{ name: "my-app-krake-complete-volume", mountPath: "/etc/krake_complete_certs/", readOnly: true }]);
  });

  it("keeps a stored certificate while it has more than 30 days left, and renews it after", async () => {
    const hooks = HooksRuntime.load(tlsSettings, { apiCaPem });
    const a = app(["complete"]);
    await hooks.prepare(a, manifest());
    const first = a.status!.completeCert;
    expect((await hooks.prepare(a, manifest())).statusChanged).to.equal(false);
    expect(a.status!.completeCert).to.equal(first);
    const in340days = new Date(Date.now() + 340 * 24 * 3600 * 1000);
    expect((await hooks.prepare(a, manifest(), { now: in340days })).statusChanged).to.equal(true);
    expect(a.status!.completeCert).not.to.equal(first);
  });

  it("replaces a stored certificate of another issuer", async () => {
    const hooks = HooksRuntime.load(tlsSettings, { apiCaPem });
    const a = app(["complete"], { completeToken: "t", completeCert: pki.leafCert, completeKey: pki.leafKey });
    expect((await hooks.prepare(a, manifest())).statusChanged).to.equal(true);
    expect(new X509Certificate(a.status!.completeCert!).checkIssued(new X509Certificate(pki.intermediateCert))).to.equal(true);
    expect(a.status!.completeToken).to.equal("t");
  });
});

describe("hooks: settings are checked at startup", () => {
  const cases: Array<[string, (s: HooksSettings) => void, RegExp]> = [
    ["api_endpoint missing", (s) => (s.apiEndpoint = ""), /hooks.api_endpoint: is required/],
    ["api_endpoint not http(s)", (s) => (s.apiEndpoint = "ftp://x"), /hooks.api_endpoint: the scheme must be http or https/],
    ["external_endpoint no URL", (s) => (s.complete.externalEndpoint = "krake:8080/x"), /hooks.complete.external_endpoint/],
    ["env_token no variable name", (s) => (s.shutdown.envToken = "A-B"), /hooks.shutdown.env_token: "A-B" is not an environment variable name/],
    ["env_token = env_url", (s) => (s.complete.envUrl = s.complete.envToken), /hooks.complete: env_token and env_url must differ/],
    ["intermediate without key", (s) => (s.complete.intermediateSrc = "/x.pem"), /intermediate_src and intermediate_key_src go together/],
    ["cert_dest relative", (s) => (s.shutdown.certDest = "certs"), /hooks.shutdown.cert_dest: must be an absolute path/],
    ["failure_strategy unknown", (s) => (s.shutdown.failureStrategy = "ignore"), /failure_strategy: must be "delete" or "give_up"/],
    ["failure_retry_count negative", (s) => (s.shutdown.failureRetryCount = -1), /failure_retry_count/],
    ["timeout negative", (s) => (s.shutdown.timeout = -1), /hooks.shutdown.timeout/],
  ];
  for (const [what, change, message] of cases) {
    it(what, async () => {
      const s = settings();
      change(s);
      const err = catching(() => HooksRuntime.load(s));
      expect(err).to.be.instanceOf(HookConfigError);
      expect((err as Error).message).to.match(message);
    });
  }

  it("an intermediate file that cannot be read names the hook", async () => {
    const s = settings();
    s.shutdown.intermediateSrc = "/nonexistent/intermediate.pem";
    s.shutdown.intermediateKeySrc = "/nonexistent/intermediate.key";
    const err = catching(() => HooksRuntime.load(s));
    expect(err).to.be.instanceOf(HookConfigError);
    expect((err as Error).message).to.match(/^hooks.shutdown: .*ENOENT/);
  });
});
