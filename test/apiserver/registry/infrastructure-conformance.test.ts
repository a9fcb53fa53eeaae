/** The registry conformance suite (DESIGN.md §4) for the infrastructure group's four kinds. */
import { cloudKind, globalCloudKind, globalInfrastructureProviderKind, infrastructureProviderKind } from "../../../gen/kinds.js";
import { Cloud, GlobalCloud } from "../../../gen/krake/infrastructure/v1/cloud.js";
import { GlobalInfrastructureProvider, InfrastructureProvider } from "../../../gen/krake/infrastructure/v1/infrastructure_provider.js";
import type { KrakeObject } from "../../../src/kinds/index.js";
import { startEtcd } from "../../fixtures/etcd.js";
import type { EtcdProcess } from "../../fixtures/etcd.js";
import { anyFixture, krakeDocument, registryConformance } from "./conformance/index.js";
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

const cloudStatus: StatusFixture = { initial: "ONLINE", other: "FAILING_METRICS" };

const globalInfrastructureProvider: KindFixture<GlobalInfrastructureProvider> = {
  type: globalInfrastructureProviderKind,
  valid: (name) => named(GlobalInfrastructureProvider.fromJSON, "globalinfrastructureprovider.json", name, ""),
  changeSpec: changeProviderUrl,
  invalid: badProviderUrl,
};

const infrastructureProvider: KindFixture<InfrastructureProvider> = {
  type: infrastructureProviderKind,
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
  type: globalCloudKind,
  valid: (name) => named(GlobalCloud.fromJSON, "globalcloud.json", name, ""),
  changeSpec: changeCloudUrl,
  invalid: {
    field: "spec.openstack.infrastructure_provider.namespaced",
    mutate: (c) => {
      c.spec!.openstack!.infrastructureProvider!.namespaced = true;
    },
  },
  status: cloudStatus,
};

const cloud: KindFixture<Cloud> = {
  type: cloudKind,
  valid: (name, namespace) => named(Cloud.fromJSON, "cloud.json", name, namespace),
  changeSpec: changeCloudUrl,
  invalid: {
    field: "spec.openstack.auth.password.user.username",
    mutate: (c) => {
      c.spec!.openstack!.auth!.password!.user!.username = "";
    },
  },
  status: cloudStatus,
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
