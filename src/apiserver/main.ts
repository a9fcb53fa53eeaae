import { parseArgs } from "node:util";
import { pino } from "pino";
import { EtcdStore } from "../store/etcd-store.js";
import { ApiServer } from "./api-server.js";
import { applyFlags, defaultConfig, loadConfigFile, mergeConfig } from "./config.js";

const usage = `Usage: krake-api [--config FILE] [--<section>.<key> VALUE ...]

Examples:
  krake-api --config config/api.yaml
  krake-api --grpc.port 9090 --etcd.endpoints http://127.0.0.1:2379 --etcd.prefix /krake`;

async function main(): Promise<void> {
  const { values, tokens } = parseArgs({ options: { config: { type: "string" }, help: { type: "boolean" } }, strict: false, tokens: true });
  if (values.help) {
    console.log(usage);
    return;
  }
  // `--a.b value` and `--a.b=value`; parseArgs (non-strict) reports the value of the first form as a positional.
  const flags: Record<string, string> = {};
  const list = tokens ?? [];
  for (let i = 0; i < list.length; i++) {
    const t = list[i];
    if (t.kind !== "option" || t.name === "config" || t.name === "help") continue;
    let value = t.value;
    const next = list[i + 1];
    if (value === undefined && next?.kind === "positional") {
      value = next.value;
      i++;
    }
    if (value === undefined) throw new Error(`--${t.name} needs a value\n${usage}`);
    flags[t.name] = value;
  }
  let config = defaultConfig;
  if (typeof values.config === "string") config = mergeConfig(config, loadConfigFile(values.config));
  config = applyFlags(config, flags);
  const log = pino({ level: config.log.level, base: { component: "krake-api" } });
  const store = new EtcdStore({ endpoints: config.etcd.endpoints, dialTimeoutMs: config.etcd.dialTimeoutMs });
  const server = new ApiServer(config, store, log);
  await server.start();
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "draining and stopping");
    server.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, "unclean stop");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main().catch((err: unknown) => {
  console.error(`krake-api: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(2);
});
