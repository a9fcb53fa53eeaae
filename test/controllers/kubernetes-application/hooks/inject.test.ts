import { expect } from "chai";
import { HookManifestError, injectHook } from "../../../../src/controllers/kubernetes-application/hooks/inject.js";
import type { HookInjection } from "../../../../src/controllers/kubernetes-application/hooks/inject.js";
import type { Manifest } from "../../../../src/controllers/kubernetes-application/hooks/secrets.js";

const injection: HookInjection = { tokenSecret: "app-krake-complete-secret-token", envToken: "KRAKE_COMPLETE_TOKEN", envUrl: "KRAKE_COMPLETE_URL" };
const withCerts: HookInjection = {
  ...injection,
  certs: { secret: "app-krake-complete-secret-certs", volume: "app-krake-complete-volume", mountPath: "/etc/krake_complete_certs/" },
};

const containers = () => [
  { name: "main", image: "busybox", env: [{ name: "KEEP", value: "1" }] },
  { name: "side", image: "busybox" },
];

const pod = (): Manifest => ({ apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { containers: containers() } });
const template = () => ({ metadata: { labels: { app: "a" } }, spec: { containers: containers() } });
const deployment = (): Manifest => ({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d" }, spec: { selector: { matchLabels: { app: "a" } }, template: template() } });
const rc = (): Manifest => ({ apiVersion: "v1", kind: "ReplicationController", metadata: { name: "r" }, spec: { selector: { app: "a" }, template: template() } });

type Obj = Record<string, unknown>;
const podSpec = (kind: string, m: Manifest): Obj =>
  kind === "Pod" ? (m.spec as Obj) : (((m.spec as Obj).template as Obj).spec as Obj);

const expectedEnv = [
  { name: "KRAKE_COMPLETE_TOKEN", valueFrom: { secretKeyRef: { name: "app-krake-complete-secret-token", key: "krake_complete_token" } } },
  { name: "KRAKE_COMPLETE_URL", valueFrom: { secretKeyRef: { name: "app-krake-complete-secret-token", key: "krake_complete_url" } } },
];

describe("hooks: injection into workloads", () => {
  for (const [kind, make] of [["Pod", pod], ["Deployment", deployment], ["ReplicationController", rc]] as const) {
    describe(kind, () => {
      it("every container gets the token and URL variables from the token Secret, after its own", () => {
        const out = injectHook(make(), injection);
        const [main, side] = podSpec(kind, out).containers as Obj[];
        expect(main.env).to.deep.equal([{ name: "KEEP", value: "1" }, ...expectedEnv]);
        expect(side.env).to.deep.equal(expectedEnv);
        expect(podSpec(kind, out).volumes).to.equal(undefined);
        expect(main.volumeMounts).to.equal(undefined);
      });

      it("with TLS the certificate Secret is a volume of the pod, mounted read-only at cert_dest in every container", () => {
        const out = injectHook(make(), withCerts);
        const spec = podSpec(kind, out);
        expect(spec.volumes).to.deep.equal([{ name: "app-krake-complete-volume", secret: { secretName: "app-krake-complete-secret-certs" } }]);
        for (const c of spec.containers as Obj[]) {
          expect(c.volumeMounts).to.deep.equal([{ name: "app-krake-complete-volume", mountPath: "/etc/krake_complete_certs/", readOnly: true }]);
        }
      });

      it("leaves its input untouched and is idempotent (a variable of the same name is replaced, not doubled)", () => {
        const input = make();
        const before = structuredClone(input);
        const once = injectHook(input, withCerts);
        expect(input).to.deep.equal(before);
        expect(injectHook(once, withCerts)).to.deep.equal(once);
      });
    });
  }

  it("a user's variable of the hook's name is replaced by the hook's", () => {
    const p = pod();
    ((p.spec as Obj).containers as Obj[])[0].env = [{ name: "KRAKE_COMPLETE_TOKEN", value: "mine" }];
    const env = ((injectHook(p, injection).spec as Obj).containers as Obj[])[0].env;
    expect(env).to.deep.equal(expectedEnv);
  });

  it("other kinds pass as they are (the same object)", () => {
    for (const kind of ["Service", "StatefulSet", "Job", "ConfigMap"]) {
      const r: Manifest = { apiVersion: "v1", kind, metadata: { name: "x" }, spec: { template: template() } };
      expect(injectHook(r, withCerts), kind).to.equal(r);
    }
  });

  const malformed: Array<[string, Manifest, RegExp]> = [
    ["containers not a list", { kind: "Pod", metadata: { name: "p" }, spec: { containers: { a: 1 } } }, /Pod p: spec: containers must be a list/],
    ["a container not an object", { kind: "Pod", metadata: { name: "p" }, spec: { containers: ["x"] } }, /Pod p: spec.containers\[0\] must be an object/],
    ["env not a list", { kind: "Pod", metadata: { name: "p" }, spec: { containers: [{ name: "c", env: "x" }] } }, /spec.containers\[0\]: env must be a list/],
    ["template not an object", { kind: "Deployment", metadata: { name: "d" }, spec: { template: 3 } }, /Deployment d: spec.template must be an object/],
  ];
  for (const [what, resource, message] of malformed) {
    it(`a malformed workload is refused, naming the field: ${what}`, () => {
      expect(() => injectHook(resource, injection)).to.throw(HookManifestError, message);
    });
  }
});
