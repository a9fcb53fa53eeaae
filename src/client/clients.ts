import { credentials as grpcCredentials } from "@grpc/grpc-js";
import type { ChannelCredentials, ClientOptions } from "@grpc/grpc-js";
import { LeaseServiceService } from "../../gen/krake/core/v1/lease.js";
import { GlobalMetricServiceService, MetricServiceService } from "../../gen/krake/core/v1/metric.js";
import { GlobalMetricsProviderServiceService, MetricsProviderServiceService } from "../../gen/krake/core/v1/metrics_provider.js";
import { RoleServiceService } from "../../gen/krake/core/v1/role.js";
import { RoleBindingServiceService } from "../../gen/krake/core/v1/role_binding.js";
import { ApplicationServiceService } from "../../gen/krake/kubernetes/v1/application.js";
import { ClusterServiceService } from "../../gen/krake/kubernetes/v1/cluster.js";
import { createClient } from "./promise-client.js";
import type { PromiseClient } from "./promise-client.js";

export interface KrakeClients {
  applications: PromiseClient<typeof ApplicationServiceService>;
  clusters: PromiseClient<typeof ClusterServiceService>;
  roles: PromiseClient<typeof RoleServiceService>;
  roleBindings: PromiseClient<typeof RoleBindingServiceService>;
  metrics: PromiseClient<typeof MetricServiceService>;
  globalMetrics: PromiseClient<typeof GlobalMetricServiceService>;
  metricsProviders: PromiseClient<typeof MetricsProviderServiceService>;
  globalMetricsProviders: PromiseClient<typeof GlobalMetricsProviderServiceService>;
  leases: PromiseClient<typeof LeaseServiceService>;
  close(): void;
}

/** Typed promise clients for every Krake service, sharing one channel. */
export function krakeClients(
  address: string,
  credentials: ChannelCredentials = grpcCredentials.createInsecure(),
  options: Partial<ClientOptions> = {},
): KrakeClients {
  // Same options ⇒ grpc-js shares one subchannel (one HTTP/2 connection) between them.
  const make = <S extends Parameters<typeof createClient>[0]>(s: S) => createClient(s, address, credentials, options);
  const c = {
    applications: make(ApplicationServiceService),
    clusters: make(ClusterServiceService),
    roles: make(RoleServiceService),
    roleBindings: make(RoleBindingServiceService),
    metrics: make(MetricServiceService),
    globalMetrics: make(GlobalMetricServiceService),
    metricsProviders: make(MetricsProviderServiceService),
    globalMetricsProviders: make(GlobalMetricsProviderServiceService),
    leases: make(LeaseServiceService),
  };
  return {
    ...c,
    close() {
      for (const client of Object.values(c)) client.close();
    },
  };
}
