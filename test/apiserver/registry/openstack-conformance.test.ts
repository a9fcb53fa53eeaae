import { magnumClusterKind, projectKind } from "../../../gen/kinds.js";
import { MagnumCluster } from "../../../gen/krake/openstack/v1/magnum_cluster.js";
import { Project } from "../../../gen/krake/openstack/v1/project.js";
import type { KrakeObject } from "../../../src/kinds/index.js";
import { startEtcd } from "../../fixtures/etcd.js";
import type { EtcdProcess } from "../../fixtures/etcd.js";
import { anyFixture, krakeDocument, registryConformance } from "./conformance/index.js";
import type { KindFixture } from "./conformance/index.js";

/** A fixture document with its name and namespace replaced. */
function named<T extends KrakeObject>(parse: (json: unknown) => T, file: string, name: string, namespace: string): T {
  const obj = parse(krakeDocument(file));
  obj.metadata!.name = name;
  obj.metadata!.namespace = namespace;
  return obj;
}

const project: KindFixture<Project> = {
  type: projectKind,
  valid: (name, namespace) => named(Project.fromJSON, "project.json", name, namespace),
  changeSpec: (p) => {
    p.spec!.template = `${p.spec!.template}-2`;
  },
  invalid: {
    field: "spec.auth.password.user.id",
    mutate: (p) => {
      p.spec!.auth!.password!.user!.id = "";
    },
  },
  status: { initial: "ONLINE", other: "FAILING_METRICS" },
};

const magnumCluster: KindFixture<MagnumCluster> = {
  type: magnumClusterKind,
  valid: (name, namespace) => named(MagnumCluster.fromJSON, "magnumcluster.json", name, namespace),
  changeSpec: (c) => {
    c.spec!.nodeCount = (c.spec!.nodeCount ?? 0) + 1;
  },
  invalid: {
    field: "spec.constraints.project.labels[0]",
    mutate: (c) => {
      c.spec!.constraints!.project!.labels = ["location ~ DE"];
    },
  },
  status: { initial: "PENDING", other: "RUNNING" },
};

describe("registry conformance over gRPC: the openstack group", () => {
  let etcd: EtcdProcess;
  before(async () => {
    etcd = await startEtcd();
  });
  after(async () => {
    await etcd?.remove();
  });

  registryConformance([anyFixture(project), anyFixture(magnumCluster)], () => etcd);
});
