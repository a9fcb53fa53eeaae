import { MagnumCluster, MagnumClusterStatus, magnumClusterStatus_StateFromJSON, magnumClusterStatus_StateToJSON } from "../../../gen/krake/openstack/v1/magnum_cluster.js";
import { Project, ProjectStatus, projectStatus_StateFromJSON, projectStatus_StateToJSON } from "../../../gen/krake/openstack/v1/project.js";
import type { KrakeObject } from "../../../src/apiserver/objects/kind.js";
import { startEtcd } from "../../fixtures/etcd.js";
import type { EtcdProcess } from "../../fixtures/etcd.js";
import { anyFixture, krakeDocument, registryConformance, requests } from "./conformance/index.js";
import type { KindFixture } from "./conformance/index.js";

/** A fixture document with its name and namespace replaced. */
function named<T extends KrakeObject>(parse: (json: unknown) => T, file: string, name: string, namespace: string): T {
  const obj = parse(krakeDocument(file));
  obj.metadata!.name = name;
  obj.metadata!.namespace = namespace;
  return obj;
}

const project: KindFixture<Project> = {
  api: "openstack",
  kind: "Project",
  plural: "projects",
  namespaced: true,
  codec: Project,
  client: ({ projects: c }) => ({
    create: (namespace, project) => c.createProject({ namespace, project }),
    get: (namespace, name) => c.getProject({ namespace, name }),
    list: (namespace, p) => c.listProjects(requests.list(namespace, p)),
    update: (namespace, name, project) => c.updateProject({ namespace, name, project }),
    updateStatus: (namespace, name, project) => c.updateProjectStatus({ namespace, name, project }),
    delete: (namespace, name, p) => c.deleteProject(requests.delete(namespace, name, p)),
    watch: (namespace, p) => c.watchProjects(requests.watch(namespace, p)),
  }),
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
  status: {
    initial: "ONLINE",
    other: "FAILING_METRICS",
    state: (p) => (p.status ? projectStatus_StateToJSON(p.status.state) : undefined),
    setState: (p, state) => {
      p.status ??= ProjectStatus.fromPartial({});
      p.status.state = projectStatus_StateFromJSON(state);
    },
  },
};

const magnumCluster: KindFixture<MagnumCluster> = {
  api: "openstack",
  kind: "MagnumCluster",
  plural: "magnumclusters",
  namespaced: true,
  codec: MagnumCluster,
  client: ({ magnumClusters: c }) => ({
    create: (namespace, magnumCluster) => c.createMagnumCluster({ namespace, magnumCluster }),
    get: (namespace, name) => c.getMagnumCluster({ namespace, name }),
    list: (namespace, p) => c.listMagnumClusters(requests.list(namespace, p)),
    update: (namespace, name, magnumCluster) => c.updateMagnumCluster({ namespace, name, magnumCluster }),
    updateStatus: (namespace, name, magnumCluster) => c.updateMagnumClusterStatus({ namespace, name, magnumCluster }),
    delete: (namespace, name, p) => c.deleteMagnumCluster(requests.delete(namespace, name, p)),
    watch: (namespace, p) => c.watchMagnumClusters(requests.watch(namespace, p)),
  }),
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
  status: {
    initial: "PENDING",
    other: "RUNNING",
    state: (c) => (c.status ? magnumClusterStatus_StateToJSON(c.status.state) : undefined),
    setState: (c, state) => {
      c.status ??= MagnumClusterStatus.fromPartial({});
      c.status.state = magnumClusterStatus_StateFromJSON(state);
    },
  },
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
