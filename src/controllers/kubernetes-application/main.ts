import { runControllerProcess } from "../../controller/process/run.js";
import { applicationKind } from "../../kinds/index.js";
import { defaultHooksSettings, hooksForController } from "./hooks/index.js";
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
    "migration_ready_timeout_ms, migration_retry_max, migration_retry_timeout_ms (see config/kubernetes-application.yaml).\n" +
    "The complete and shutdown hooks (config file `hooks:`, flags --hooks.<key>, --hooks.shutdown.<key>): api_endpoint,\n" +
    "complete|shutdown.{hook_user, intermediate_src, intermediate_key_src, cert_dest, env_token, env_url,\n" +
    "external_endpoint}, shutdown.{timeout, failure_strategy, failure_retry_count, request_timeout_ms}.",
  settings: { application: defaultApplicationSettings, hooks: defaultHooksSettings },
  setup(manager, { config, log, metrics }) {
    let hooks;
    try {
      hooks = hooksForController({ settings: config.hooks, tls: config.tls, applications: manager.api.client(applicationKind), log });
    } catch (err) {
      console.error(`krake-controller-kubernetes-application: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(2);
    }
    setupApplicationController(manager, { settings: config.application, workers: config.workerCount, log, hooks, registry: metrics.registry });
  },
});
