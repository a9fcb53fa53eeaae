import { runControllerProcess } from "../../controller/process/run.js";
import { checkClusterSettings, defaultClusterSettings } from "./settings.js";
import { setupClusterController } from "./setup.js";

const name = "krake-controller-kubernetes-cluster";

await runControllerProcess({
  name,
  description:
    "Krake's Kubernetes cluster controller: for every Cluster with a kubeconfig it watches the member\n" +
    "cluster's Nodes (one watch per cluster, checked by a periodic probe) and writes status.state\n" +
    "(ONLINE, OFFLINE, CONNECTING, UNHEALTHY, NOTREADY, DEGRADED when a custom resource of\n" +
    "spec.custom_resources is not served; FAILING_METRICS is the scheduler's and kept), status.reason\n" +
    "and status.nodes. Its own settings (config file `cluster:`, flags --cluster.<key>): probe_interval_ms,\n" +
    "timeout_ms, reconnect_initial_ms, reconnect_max_ms, watch_timeout_ms, list_page_size\n" +
    "(see config/kubernetes-cluster.yaml).",
  settings: { cluster: defaultClusterSettings },
  setup(manager, { config, metrics }) {
    let settings;
    try {
      settings = checkClusterSettings(config.cluster);
    } catch (err) {
      console.error(`${name}: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(2);
    }
    setupClusterController(manager, { settings, workers: config.workerCount, resyncPeriodMs: config.resyncPeriodMs, registry: metrics.registry });
  },
});
