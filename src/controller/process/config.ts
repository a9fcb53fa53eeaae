import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { applyFlags, loadConfigFile, mergeConfig } from "../../config/layered.js";
import { checkTimings } from "../leader/leader-elector.js";

/**
 * A controller process' configuration: defaults, then the YAML file
 * (`--config`), then flags (`--section.key value`). Keys follow Krake's
 * controller configuration (api_endpoint, worker_count, tls.client_ca, ...);
 * snake_case, dashed and camelCase spellings are all accepted.
 */
export interface ControllerConfig {
  /** The API's gRPC address, `host:port`; Krake's `http(s)://host:port` form is accepted too. */
  apiEndpoint: string;
  /** Keys reconciled at once. */
  workerCount: number;
  /** Client TLS towards the API (Krake's names): CA to verify the API, client certificate and key. */
  tls: { enabled: boolean; clientCa: string; clientCert: string; clientKey: string; serverName: string };
  /** Leader election: replicas of one controller share one Lease; only its holder acts. */
  lease: {
    enabled: boolean;
    namespace: string;
    name: string;
    /** Default: host name, process id and a random suffix. */
    identity: string;
    durationMs: number;
    renewDeadlineMs: number;
    retryPeriodMs: number;
  };
  /** Health (/healthz, /readyz) and Prometheus metrics (/metrics); port 0 picks a free one. */
  http: { enabled: boolean; host: string; port: number };
  /** Every object is looked at again this often (0 = never); a safety net, not the trigger. */
  resyncPeriodMs: number;
  /** On SIGTERM, reconciles in flight get this long to finish. */
  shutdownGraceMs: number;
  log: { level: string };
}

export function defaultControllerConfig(name: string): ControllerConfig {
  return {
    apiEndpoint: "127.0.0.1:9090",
    workerCount: 5,
    tls: { enabled: false, clientCa: "", clientCert: "", clientKey: "", serverName: "" },
    lease: {
      enabled: true,
      namespace: "krake-system",
      name,
      identity: "",
      durationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
    },
    http: { enabled: true, host: "127.0.0.1", port: 0 },
    resyncPeriodMs: 300_000,
    shutdownGraceMs: 10_000,
    log: { level: "info" },
  };
}

/** Defaults → file → flags, then checks and normalises. Throws Error with a message for the user. */
export function resolveConfig<E extends object = object>(
  name: string,
  file: string | undefined,
  flags: Record<string, string | undefined>,
  /** A controller's own settings with their defaults, under keys of their own (`scheduler:`). */
  extra: E = {} as E,
): ControllerConfig & E {
  let config: ControllerConfig & E = { ...defaultControllerConfig(name), ...extra };
  if (file) config = mergeConfig(config, loadConfigFile(file));
  config = applyFlags(config, flags);
  return { ...config, ...checkConfig(config) };
}

export function checkConfig(config: ControllerConfig): ControllerConfig {
  const endpoint = config.apiEndpoint.replace(/^https?:\/\//, "").replace(/\/+$/, "");
  if (!endpoint) throw new Error("api_endpoint is required");
  if (!Number.isInteger(config.workerCount) || config.workerCount < 1) throw new Error("worker_count must be a positive integer");
  if (config.lease.enabled) {
    if (!config.lease.namespace || !config.lease.name) throw new Error("lease.namespace and lease.name are required");
    const { durationMs, renewDeadlineMs, retryPeriodMs } = config.lease;
    checkTimings({ leaseDurationMs: durationMs, renewDeadlineMs, retryPeriodMs });
  }
  const { tls } = config;
  if (tls.enabled && !!tls.clientCert !== !!tls.clientKey) throw new Error("tls.client_cert and tls.client_key go together");
  if (!Number.isInteger(config.http.port) || config.http.port < 0 || config.http.port > 65_535) throw new Error("http.port must be 0..65535");
  const identity = config.lease.identity || `${hostname()}_${process.pid}_${randomBytes(3).toString("hex")}`;
  return { ...config, apiEndpoint: endpoint, lease: { ...config.lease, identity } };
}
