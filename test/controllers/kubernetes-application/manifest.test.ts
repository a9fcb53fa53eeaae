import { expect } from "chai";
import {
  applyOrder,
  CURRENT_LENGTH,
  defaultObserverSchema,
  deleteOrder,
  driftedFields,
  expectedFields,
  fillFromResponse,
  mangledObserverSchema,
  MAX_LENGTH,
  MIN_LENGTH,
  observedFields,
  removedResources,
  sameResource,
  resourceId,
} from "../../../src/controllers/kubernetes-application/manifest/index.js";
import type { Manifest } from "../../../src/controllers/kubernetes-application/manifest/index.js";

const res = (kind: string, name: string, extra: Manifest = {}): Manifest => ({ apiVersion: "v1", kind, metadata: { name }, ...extra });

describe("application manifests", () => {
  describe("apply order", () => {
    it("puts Namespaces, then CRDs, then what pods use, then workloads and custom resources, keeping the manifest's order within a tier", () => {
      const manifest = [
        res("Deployment", "web"),
        { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" } },
        res("Service", "web"),
        res("ConfigMap", "conf"),
        { apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", metadata: { name: "widgets.example.com" } },
        res("Namespace", "team"),
        res("Deployment", "api"),
      ];
      expect(applyOrder(manifest).map((r) => `${String(r.kind)}/${String((r.metadata as Manifest).name)}`)).to.deep.equal([
        "Namespace/team",
        "CustomResourceDefinition/widgets.example.com",
        "ConfigMap/conf",
        "Service/web",
        "Deployment/web",
        "Widget/w",
        "Deployment/api",
      ]);
      expect(deleteOrder(manifest)[0].kind).to.equal("Deployment");
      expect(deleteOrder(manifest).at(-1)!.kind).to.equal("Namespace");
    });
  });

  describe("resource identity", () => {
    it("matches on apiVersion, kind and name, and on the namespace only when both name one", () => {
      const a = resourceId({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "x", namespace: "n" } });
      expect(sameResource(a, resourceId({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "x" } }))).to.equal(true);
      expect(sameResource(a, resourceId({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "x", namespace: "m" } }))).to.equal(false);
      expect(sameResource(a, resourceId({ apiVersion: "apps/v1", kind: "StatefulSet", metadata: { name: "x" } }))).to.equal(false);
    });

    it("finds the resources a new manifest no longer has", () => {
      expect(removedResources([res("Service", "a"), res("Service", "b")], [res("Service", "b")]).map((r) => (r.metadata as Manifest).name)).to.deep.equal(["a"]);
    });
  });

  describe("observer schema (Krake's semantics)", () => {
    const deployment: Manifest = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", labels: { app: "web" } },
      spec: { replicas: 2, template: { spec: { containers: [{ name: "c", image: "nginx" }] } } },
    };

    it("observes every field of the manifest by default, its identity kept and each list bounded to its length", () => {
      expect(defaultObserverSchema(deployment)).to.deep.equal({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "web", labels: { app: null } },
        spec: { replicas: null, template: { spec: { containers: [{ name: null, image: null }, { [MIN_LENGTH]: 1, [MAX_LENGTH]: 1 }] } } },
      });
    });

    it("observes a LoadBalancer Service's ingress", () => {
      const schema = defaultObserverSchema({ apiVersion: "v1", kind: "Service", metadata: { name: "s" }, spec: { type: "LoadBalancer" } });
      expect(schema.status).to.deep.equal({ loadBalancer: { ingress: null } });
    });

    it("keeps a custom schema and adds the default for every other resource", () => {
      const custom = [{ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web" }, spec: { replicas: null } }];
      const mangled = mangledObserverSchema([deployment, res("Service", "web")], custom);
      expect(mangled).to.have.length(2);
      expect(mangled[0]).to.deep.equal(custom[0]);
      expect(mangled[1].kind).to.equal("Service");
    });

    it("reads observed fields and list lengths from the cluster's object, nothing else", () => {
      const schema = defaultObserverSchema(deployment);
      const object = {
        ...deployment,
        metadata: { name: "web", labels: { app: "web", extra: "x" }, uid: "u" },
        spec: { replicas: 2, paused: false, template: { spec: { containers: [{ name: "c", image: "nginx", imagePullPolicy: "Always" }, { name: "side", image: "b" }] } } },
        status: { readyReplicas: 2 },
      };
      expect(observedFields(schema, object)).to.deep.equal({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "web", labels: { app: "web" } },
        spec: { replicas: 2, template: { spec: { containers: [{ name: "c", image: "nginx" }, { [CURRENT_LENGTH]: 2 }] } } },
      });
    });

    it("reports drift when an observed value changes, and a list length outside its bounds", () => {
      const schema = defaultObserverSchema(deployment);
      const same = observedFields(schema, structuredClone(deployment));
      expect(driftedFields(deployment, schema, same)).to.deep.equal([]);
      const scaled = observedFields(schema, { ...deployment, spec: { ...(deployment.spec as Manifest), replicas: 5 } });
      expect(driftedFields(deployment, schema, scaled)).to.deep.equal(["spec.replicas"]);
      const twoContainers = structuredClone(deployment);
      ((twoContainers.spec as Manifest).template as { spec: { containers: unknown[] } }).spec.containers.push({ name: "x", image: "y" });
      expect(driftedFields(deployment, schema, observedFields(schema, twoContainers))[0]).to.match(/^spec\.template\.spec\.containers \(length 2, expected 1\.\.1\)/);
    });

    it("does not count fields the manifest does not set, and an unbounded list may grow", () => {
      const schema = { apiVersion: "v1", kind: "Service", metadata: { name: "s" }, spec: { clusterIP: null, ports: [{ port: null }, { [MIN_LENGTH]: 1, [MAX_LENGTH]: 0 }] } };
      const applied = { apiVersion: "v1", kind: "Service", metadata: { name: "s" }, spec: { ports: [{ port: 80 }] } };
      const observed = observedFields(schema, { ...applied, spec: { clusterIP: "10.0.0.7", ports: [{ port: 80 }, { port: 81 }] } });
      expect(driftedFields(applied, schema, observed)).to.deep.equal([]);
    });

    it("takes the cluster's normal form of an applied value as no change, and a later change of it as drift", () => {
      const applied = { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { containers: [{ name: "c", resources: { limits: { cpu: 0.5 } } }] } };
      const schema = defaultObserverSchema(applied);
      const asStored = { ...applied, spec: { containers: [{ name: "c", resources: { limits: { cpu: "500m" } } }] } };
      const baseline = observedFields(schema, asStored);
      expect(driftedFields(applied, schema, baseline), "against the manifest alone it would look changed").to.have.length(1);
      expect(driftedFields(expectedFields(applied, baseline) as Manifest, schema, baseline)).to.deep.equal([]);
      const changed = observedFields(schema, { ...applied, spec: { containers: [{ name: "c", resources: { limits: { cpu: "2" } } }] } });
      expect(driftedFields(expectedFields(applied, baseline) as Manifest, schema, changed)).to.deep.equal(["spec.containers[0].resources.limits.cpu"]);
    });

    it("fills observed fields the manifest leaves out from the cluster's answer (Krake's last_applied_manifest)", () => {
      const schema = { apiVersion: "v1", kind: "Service", metadata: { name: "s" }, spec: { clusterIP: null, ports: [{ port: null, nodePort: null }, { [MIN_LENGTH]: 1, [MAX_LENGTH]: 1 }] } };
      const applied: Manifest = { apiVersion: "v1", kind: "Service", metadata: { name: "s" }, spec: { ports: [{ port: 80 }] } };
      fillFromResponse(applied, schema, { ...applied, spec: { clusterIP: "10.0.0.7", ports: [{ port: 80, nodePort: 30080 }] } });
      expect(applied.spec).to.deep.equal({ ports: [{ port: 80, nodePort: 30080 }], clusterIP: "10.0.0.7" });
    });
  });
});
