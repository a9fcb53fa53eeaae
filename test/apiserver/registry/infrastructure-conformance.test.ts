/** The registry conformance suite (DESIGN.md §4) for the infrastructure group's four kinds. */
import { Cloud, CloudStatus, cloudStatus_StateFromJSON, cloudStatus_StateToJSON, GlobalCloud } from "../../../gen/krake/infrastructure/v1/cloud.js";
import { GlobalInfrastructureProvider, InfrastructureProvider } from "../../../gen/krake/infrastructure/v1/infrastructure_provider.js";
import type { KrakeObject } from "../../../src/apiserver/objects/kind.js";
import { startEtcd } from "../../fixtures/etcd.js";
import type { EtcdProcess } from "../../fixtures/etcd.js";
import { anyFixture, krakeDocument, registryConformance, requests } from "./conformance/index.js";
import type { KindFixture, StatusFixture } from "./conformance/index.js";

/** A fixture document with its name and namespace replaced. */
function named<T extends KrakeObject>(parse: (json: unknown) => T, file: string, name: string, namespace: string): T {
  const obj = parse(krakeDocument(file));
  obj.metadata!.name = name;
  obj.metadata!.namespace = namespace;
  return obj;
}

type AnyProvider = InfrastructureProvider | GlobalInfrastructureProvider;
type AnyCloud = Cloud | GlobalCloud;

const changeProviderUrl = (p: AnyProvider) => {
  p.spec!.im!.url = `${p.spec!.im!.url}/v2`;
};
const badProviderUrl = {
  field: "spec.im.url",
  mutate: (p: AnyProvider) => {
    p.spec!.im!.url = "ftp://im.example";
  },
};

const changeCloudUrl = (c: AnyCloud) => {
  c.spec!.openstack!.url = `${c.spec!.openstack!.url}/other`;
};

const cloudStatus: StatusFixture<AnyCloud> = {
  initial: "ONLINE",
  other: "FAILING_METRICS",
  state: (c) => (c.status ? cloudStatus_StateToJSON(c.status.state) : undefined),
  setState: (c, state) => {
    c.status ??= CloudStatus.fromPartial({});
    c.status.state = cloudStatus_StateFromJSON(state);
  },
};

const globalInfrastructureProvider: KindFixture<GlobalInfrastructureProvider> = {
  api: "infrastructure",
  kind: "GlobalInfrastructureProvider",
  plural: "globalinfrastructureproviders",
  namespaced: false,
  codec: GlobalInfrastructureProvider,
  client: ({ globalInfrastructureProviders: c }) => ({
    create: (_ns, globalInfrastructureProvider) => c.createGlobalInfrastructureProvider({ globalInfrastructureProvider }),
    get: (_ns, name) => c.getGlobalInfrastructureProvider({ name }),
    list: (namespace, p) => c.listGlobalInfrastructureProviders(requests.list(namespace, p)),
    update: (_ns, name, globalInfrastructureProvider) =>
      c.updateGlobalInfrastructureProvider({ name, globalInfrastructureProvider }),
    delete: (namespace, name, p) => c.deleteGlobalInfrastructureProvider(requests.delete(namespace, name, p)),
    watch: (namespace, p) => c.watchGlobalInfrastructureProviders(requests.watch(namespace, p)),
  }),
  valid: (name) => named(GlobalInfrastructureProvider.fromJSON, "globalinfrastructureprovider.json", name, ""),
  changeSpec: changeProviderUrl,
  invalid: badProviderUrl,
};

const infrastructureProvider: KindFixture<InfrastructureProvider> = {
  api: "infrastructure",
  kind: "InfrastructureProvider",
  plural: "infrastructureproviders",
  namespaced: true,
  codec: InfrastructureProvider,
  client: ({ infrastructureProviders: c }) => ({
    create: (namespace, infrastructureProvider) => c.createInfrastructureProvider({ namespace, infrastructureProvider }),
    get: (namespace, name) => c.getInfrastructureProvider({ namespace, name }),
    list: (namespace, p) => c.listInfrastructureProviders(requests.list(namespace, p)),
    update: (namespace, name, infrastructureProvider) =>
      c.updateInfrastructureProvider({ namespace, name, infrastructureProvider }),
    delete: (namespace, name, p) => c.deleteInfrastructureProvider(requests.delete(namespace, name, p)),
    watch: (namespace, p) => c.watchInfrastructureProviders(requests.watch(namespace, p)),
  }),
  valid: (name, namespace) => named(InfrastructureProvider.fromJSON, "infrastructureprovider.json", name, namespace),
  changeSpec: changeProviderUrl,
  invalid: {
    field: "spec.im",
    mutate: (p) => {
      p.spec!.im!.token = "";
    },
  },
};

const globalCloud: KindFixture<GlobalCloud> = {
  api: "infrastructure",
  kind: "GlobalCloud",
  plural: "globalclouds",
  namespaced: false,
  codec: GlobalCloud,
  client: ({ globalClouds: c }) => ({
    create: (_ns, globalCloud) => c.createGlobalCloud({ globalCloud }),
    get: (_ns, name) => c.getGlobalCloud({ name }),
    list: (namespace, p) => c.listGlobalClouds(requests.list(namespace, p)),
    update: (_ns, name, globalCloud) => c.updateGlobalCloud({ name, globalCloud }),
    updateStatus: (_ns, name, globalCloud) => c.updateGlobalCloudStatus({ name, globalCloud }),
    delete: (namespace, name, p) => c.deleteGlobalCloud(requests.delete(namespace, name, p)),
    watch: (namespace, p) => c.watchGlobalClouds(requests.watch(namespace, p)),
  }),
  valid: (name) => named(GlobalCloud.fromJSON, "globalcloud.json", name, ""),
  changeSpec: changeCloudUrl,
  invalid: {
    field: "spec.openstack.infrastructure_provider.namespaced",
    mutate: (c) => {
      c.spec!.openstack!.infrastructureProvider!.namespaced = true;
    },
  },
  status: cloudStatus as StatusFixture<GlobalCloud>,
};

const cloud: KindFixture<Cloud> = {
  api: "infrastructure",
  kind: "Cloud",
  plural: "clouds",
  namespaced: true,
  codec: Cloud,
  client: ({ clouds: c }) => ({
    create: (namespace, cloud) => c.createCloud({ namespace, cloud }),
    get: (namespace, name) => c.getCloud({ namespace, name }),
    list: (namespace, p) => c.listClouds(requests.list(namespace, p)),
    update: (namespace, name, cloud) => c.updateCloud({ namespace, name, cloud }),
    updateStatus: (namespace, name, cloud) => c.updateCloudStatus({ namespace, name, cloud }),
    delete: (namespace, name, p) => c.deleteCloud(requests.delete(namespace, name, p)),
    watch: (namespace, p) => c.watchClouds(requests.watch(namespace, p)),
  }),
  valid: (name, namespace) => named(Cloud.fromJSON, "cloud.json", name, namespace),
  changeSpec: changeCloudUrl,
  invalid: {
    field: "spec.openstack.auth.password.user.username",
    mutate: (c) => {
      c.spec!.openstack!.auth!.password!.user!.username = "";
    },
  },
  status: cloudStatus as StatusFixture<Cloud>,
};

describe("registry conformance over gRPC: infrastructure", () => {
  let etcd: EtcdProcess;
  before(async () => {
    etcd = await startEtcd();
  });
  after(async () => {
    await etcd?.remove();
  });

  registryConformance(
    [anyFixture(globalInfrastructureProvider), anyFixture(infrastructureProvider), anyFixture(globalCloud), anyFixture(cloud)],
    () => etcd,
  );
});
