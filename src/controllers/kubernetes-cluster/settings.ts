/**
 * krake-controller-kubernetes-cluster's own settings: `cluster:` in its config file,
 * `--cluster.<key>` flags (config/kubernetes-cluster.yaml lists them with their defaults).
 */
export interface ClusterSettings {
  /**
   * How often each member cluster must answer a one-node list (and, when spec.custom_resources
   * names any, a read of each definition) while its Node watch is open. A watch carries no
   * heartbeat: a connection that hangs looks like a quiet cluster. The probe is the watch's
   * liveness signal; when it fails or does not answer within `timeoutMs`, the watch is dropped,
   * the cluster is OFFLINE, and the observer reconnects.
   */
  probeIntervalMs: number;
  /** Every list, probe and custom-resource read must answer within this. */
  timeoutMs: number;
  /** Reconnecting after a failure waits this long at first, doubling (with jitter) up to `reconnectMaxMs`. */
  reconnectInitialMs: number;
  reconnectMaxMs: number;
  /**
   * The member cluster ends each Node watch after this long (`timeoutSeconds`) and the observer
   * opens the next from the last resource version it saw, without listing again: a stream that
   * broke silently is replaced within this time even when the probe's fresh connection works.
   */
  watchTimeoutMs: number;
  /** Nodes per page when listing. */
  listPageSize: number;
}

export const defaultClusterSettings: ClusterSettings = {
  probeIntervalMs: 10_000,
  timeoutMs: 5_000,
  reconnectInitialMs: 1_000,
  reconnectMaxMs: 30_000,
  watchTimeoutMs: 300_000,
  listPageSize: 500,
};

/** Throws an Error naming the first setting out of range. */
export function checkClusterSettings(s: ClusterSettings): ClusterSettings {
  const positive: (keyof ClusterSettings)[] = ["probeIntervalMs", "timeoutMs", "reconnectInitialMs", "reconnectMaxMs", "listPageSize"];
  const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  for (const key of positive) {
    if (!Number.isInteger(s[key]) || s[key] <= 0) throw new Error(`cluster.${snake(key)} must be a positive integer, not ${s[key]}`);
  }
  if (s.reconnectMaxMs < s.reconnectInitialMs) throw new Error("cluster.reconnect_max_ms must not be below cluster.reconnect_initial_ms");
  if (!Number.isInteger(s.watchTimeoutMs) || s.watchTimeoutMs < 1_000) throw new Error(`cluster.watch_timeout_ms must be at least 1000, not ${s.watchTimeoutMs}`);
  return s;
}
