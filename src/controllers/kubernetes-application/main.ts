import { runControllerProcess } from "../../controller/process/run.js";
import { defaultApplicationSettings, setupApplicationController } from "./setup.js";

await runControllerProcess({
  name: "krake-controller-kubernetes-application",
  description:
    "Krake's Kubernetes application controller: applies each scheduled Application's manifest to its cluster\n" +
    "(server-side apply, field manager krake), observes the resources through watches (state, container health,\n" +
    "services), migrates when the scheduler moves it (the new copy ready before the old one goes) and deletes\n" +
    "the resources when the Application is deleted.\n" +
    "Its own settings (config file `application:`, flags --application.<key>): deletion_timeout_ms,\n" +
    "observer_resync_ms, request_timeout_ms, watch_backoff_initial_ms, watch_backoff_max_ms,\n" +
    "migration_ready_timeout_ms, migration_retry_max, migration_retry_timeout_ms (see config/kubernetes-application.yaml).",
  settings: { application: defaultApplicationSettings },
  setup(manager, { config, log }) {
    setupApplicationController(manager, { settings: config.application, workers: config.workerCount, log });
  },
});
