import { runControllerProcess } from "../../controller/process/run.js";
import { defaultSchedulerSettings, setupScheduler } from "./setup.js";

await runControllerProcess({
  name: "krake-scheduler",
  description:
    "Krake's scheduler: places each Application on the best Cluster of its namespace (label, custom resource\n" +
    "and metric constraints; metrics from Prometheus, static, InfluxDB 2 or KSQL providers), explains the\n" +
    "decision in status.scheduling, and moves it only when a clearly better cluster appears.\n" +
    "Its own settings (config file `scheduler:`, flags --scheduler.<key>): stickiness, margin, min_dwell_ms,\n" +
    "max_migrations_per_window, migration_window_ms, metric_max_age_ms, explain_limit, reschedule_after_ms,\n" +
    "metrics_cycle_ms, provider_timeout_ms (see config/scheduler.yaml).",
  settings: { scheduler: defaultSchedulerSettings },
  setup(manager, { config, metrics }) {
    setupScheduler(manager, { settings: config.scheduler, workers: config.workerCount, registry: metrics.registry });
  },
});
