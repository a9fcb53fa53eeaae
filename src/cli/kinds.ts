/**
 * The kinds krakectl knows, as data: the generated kind table (gen/kinds.ts)
 * seen through what the commands use (the service definition's request
 * codecs build the calls, the client key picks the typed client).
 */
import type { GlobalMetric, Metric } from "../../gen/krake/core/v1/metric.js";
import type { GlobalMetricsProvider, MetricsProvider } from "../../gen/krake/core/v1/metrics_provider.js";
import type { Role } from "../../gen/krake/core/v1/role.js";
import type { RoleBinding } from "../../gen/krake/core/v1/role_binding.js";
import type { Application } from "../../gen/krake/kubernetes/v1/application.js";
import type { Cluster } from "../../gen/krake/kubernetes/v1/cluster.js";
import type { MagnumCluster } from "../../gen/krake/openstack/v1/magnum_cluster.js";
import type { Project } from "../../gen/krake/openstack/v1/project.js";
import { magnumClusterKind as generatedMagnumCluster, projectKind as generatedProject } from "../../gen/kinds.js";
import type { generatedKinds } from "../../gen/kinds.js";
import type { ServiceDefinition as GrpcServiceDefinition } from "@grpc/grpc-js";
import type { KrakeClients } from "../client/clients.js";
import * as generated from "../kinds/index.js";
import { stateReader } from "../kinds/index.js";
import type { GeneratedKind, KrakeObject } from "../kinds/index.js";

export type { KrakeObject } from "../kinds/index.js";

/** The part of a ts-proto message codec krakectl uses. */
export interface MessageCodec<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(input: Uint8Array): T;
  fromPartial(object: never): T;
}

/** The part of a ts-proto generic service definition krakectl uses. */
export interface ServiceDefinition {
  methods: Record<string, { requestType: { fromPartial(object: never): unknown } }>;
}

export type ClientKey = Exclude<keyof KrakeClients, "close">;

type TableEntry = (typeof generatedKinds)[number];

/** A kind's name in the generated table: "Application", "Lease". */
export type KindName = TableEntry["kind"];

/** The message of the kind named K: `ObjectOf<"Application">` is Application. */
export type ObjectOf<K extends KindName> = ReturnType<Extract<TableEntry, { kind: K }>["codec"]["decode"]>;

export interface KindInfo<T extends KrakeObject = KrakeObject> {
  /** API group as in URLs: "kubernetes", "core". */
  api: string;
  /** "Application". */
  kind: string;
  /** Lower-case plural as in URLs: "applications". */
  plural: string;
  namespaced: boolean;
  /** Fully qualified proto message name, for the JSON codec. */
  protoName: string;
  codec: MessageCodec<T>;
  /** ts-proto's grpc-js service: what the generic client (src/client/kind-client.ts) calls. */
  service: GrpcServiceDefinition;
  definition: ServiceDefinition;
  client: ClientKey;
  /** Request field that carries the object: "application", "metricsProvider". */
  bodyField: string;
  /** The kind's actions (kind table): the generic client resolves their methods from these. */
  actions: GeneratedKind["actions"];
  /** `status.state` by enum name, for kinds that have one. */
  state?: (obj: T) => string | undefined;
  /** Every state name, for validating `--wait STATE`. */
  states?: string[];
}

/** krakectl's view of a generated table entry. */
function cliKind<T extends KrakeObject>(g: GeneratedKind<T> & { definition: ServiceDefinition; clientKey: ClientKey }): KindInfo<T> {
  return {
    api: g.api,
    kind: g.kind,
    plural: g.plural,
    namespaced: g.namespaced,
    protoName: g.typeName,
    codec: g.codec,
    service: g.service,
    definition: g.definition,
    client: g.clientKey,
    bodyField: g.bodyField,
    actions: g.actions,
    state: stateReader<T>(g.state),
    states: g.state ? [...g.state.names] : undefined,
  };
}

export const applicationKind = cliKind<Application>(generated.applicationKind);
export const clusterKind = cliKind<Cluster>(generated.clusterKind);
export const metricKind = cliKind<Metric>(generated.metricKind);
export const globalMetricKind = cliKind<GlobalMetric>(generated.globalMetricKind);
export const metricsProviderKind = cliKind<MetricsProvider>(generated.metricsProviderKind);
export const globalMetricsProviderKind = cliKind<GlobalMetricsProvider>(generated.globalMetricsProviderKind);
export const roleKind = cliKind<Role>(generated.roleKind);
export const roleBindingKind = cliKind<RoleBinding>(generated.roleBindingKind);
export const projectKind = cliKind<Project>(generatedProject);
export const magnumClusterKind = cliKind<MagnumCluster>(generatedMagnumCluster);

/** Every kind of the generated table, for `apply` and other commands that take any kind. */
export const allKinds: KindInfo[] = generated.allKinds.map((k) =>
  cliKind(k as unknown as GeneratedKind<KrakeObject> & { definition: ServiceDefinition; clientKey: ClientKey }));

export function kindByName(api: string | undefined, kindName: string): KindInfo | undefined {
  return allKinds.find((k) => k.kind === kindName && (api === undefined || api === "" || k.api === api));
}
