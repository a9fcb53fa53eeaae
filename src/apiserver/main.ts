import { pino } from "pino";
import { stopOnSignal } from "../process/stop-on-signal.js";
import { describeStoreLocation, resolveStoreLocation } from "../store/location.js";
import { openStore } from "../store/open-store.js";
import type { Store } from "../store/store.js";
import { ApiServer } from "./api-server.js";
import type { ApiConfig } from "./config.js";
import { applyFlags, ConfigError, defaultConfig, flagNames, loadConfigFile, mergeConfig, parseCommandLine, validateConfig } from "./config.js";

const usage = `Usage: krake-api [--config FILE] [--<section>.<key> VALUE ...]

Settings come from the defaults, then the YAML file, then the flags. Every
setting is also a flag (lists are comma-separated):
  ${flagNames()
    .map((name) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`))
    .join("\n  ")}

Examples:
  krake-api --config config/api.yaml
  krake-api --grpc.port 9090 --store sqlite://.data/krake.db
  krake-api --grpc.port 9090 --store etcd://127.0.0.1:2379 --etcd.prefix /krake

The store: --store (or KRAKE_STORE, or store: in the file) sqlite://PATH for the
embedded single-file store (one krake-api at a time), etcd://host:port[,...] for
etcd; with neither, etcd.endpoints if set, else sqlite://.data/krake.db.

Exit codes: 0 after SIGTERM/SIGINT, 1 when it cannot start, 2 for a bad command line or config.`;

/** The configuration, or undefined when only help was asked for. */
function configure(argv: string[]): ApiConfig | undefined {
  const cli = parseCommandLine(argv);
  if (cli.help) return undefined;
  let config = defaultConfig;
  if (cli.configFile !== undefined) config = mergeConfig(config, loadConfigFile(cli.configFile));
  const storeFromEnv = process.env["KRAKE_STORE"];
  if (storeFromEnv) config = { ...config, store: storeFromEnv };
  config = applyFlags(config, cli.flags);
  validateConfig(config);
  return config;
}

async function main(): Promise<void> {
  const config = configure(process.argv.slice(2));
  if (!config) {
    console.log(usage);
    return;
  }
  const log = pino({ level: config.log.level, base: { component: "krake-api" } });
  const location = resolveStoreLocation(config.store, config.etcd.endpoints);
  let store: Store;
  try {
    store = await openStore(location, { dialTimeoutMs: config.etcd.dialTimeoutMs });
  } catch (err) {
    log.fatal({ store: describeStoreLocation(location), err: (err as Error).message }, "cannot open the store");
    throw err;
  }
  let server: ApiServer;
  try {
    server = new ApiServer(config, store, log);
  } catch (err) {
    // the constructor only checks settings (security, TLS files) and loads descriptors
    await store.close();
    throw err instanceof ConfigError ? err : new ConfigError((err as Error).message);
  }
  log.info({ grpc: config.grpc.host, store: describeStoreLocation(location), prefix: config.etcd.prefix }, "krake-api starting");

  // Handlers go in before start(): a signal during start-up also stops cleanly.
  const started = server.start();
  const stopping = stopOnSignal(log, () => started.catch(() => undefined).then(() => server.stop()));
  try {
    await started;
  } catch (err) {
    if (stopping()) return;
    log.fatal({ err }, "cannot start");
    throw err;
  }
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof ConfigError) {
    console.error(`krake-api: ${message}\n(krake-api --help lists the settings)`);
    process.exit(2);
  }
  console.error(`krake-api: cannot start: ${message}`);
  process.exit(1);
});
