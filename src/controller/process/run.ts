import { parseArgs } from "node:util";
import type { Logger } from "pino";
import { pino } from "pino";
import { leaseKind } from "../../kinds/index.js";
import { ApiConnection } from "../../client/kind-client.js";
import { LeaseLock } from "../leader/lease-lock.js";
import { Manager } from "../manager.js";
import { RuntimeMetrics } from "../metrics.js";
import type { ControllerConfig } from "./config.js";
import { stopOnSignal } from "../../process/stop-on-signal.js";
import { resolveConfig } from "./config.js";
import { channelCredentials } from "./credentials.js";
import { ProbeServer } from "./http-server.js";

export interface ControllerProcessSpec<E extends object = object> {
  /** Process name, also the default lease name: "krake-controller-gc". */
  name: string;
  /** Printed by --help before the common options. */
  description: string;
  /** Registers the process' informers and controllers on the manager. */
  setup(manager: Manager, env: { config: ControllerConfig & E; log: Logger; metrics: RuntimeMetrics }): void;
  /** Settings of this controller beyond the common ones, with their defaults (the file and flags override them). */
  settings?: E;
}

const commonUsage = `Options (defaults, then --config FILE, then flags; YAML keys as flags: --section.key VALUE):
  --config FILE                 YAML configuration (see config/gc.yaml)
  --api_endpoint HOST:PORT      krake-api's gRPC address (default 127.0.0.1:9090)
  --worker_count N              keys reconciled at once (default 5)
  --tls.enabled true            TLS towards the API, with
  --tls.client_ca FILE          CA that signed the API's certificate
  --tls.client_cert FILE        client certificate (its CN is the user) and
  --tls.client_key FILE         its key
  --tls.server_name NAME        name to check the API's certificate against
  --lease.enabled false         act without leader election (one replica only!)
  --lease.namespace NS          --lease.name NAME   --lease.identity ID
  --lease.duration_ms MS        --lease.renew_deadline_ms MS   --lease.retry_period_ms MS
  --http.host HOST --http.port PORT    /healthz, /readyz and /metrics (port 0: a free one)
  --resync_period_ms MS         --shutdown_grace_ms MS   --log.level LEVEL`;

function parseCommandLine(argv: string[]): { file?: string; help: boolean; flags: Record<string, string | undefined> } {
  const { values, tokens } = parseArgs({
    args: argv,
    options: { config: { type: "string" }, help: { type: "boolean" } },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  // `--a.b value` and `--a.b=value`; non-strict parseArgs reports the value of the first form as a positional.
  const flags: Record<string, string | undefined> = {};
  const list = tokens ?? [];
  for (let i = 0; i < list.length; i++) {
    const t = list[i];
    if (t.kind === "positional") throw new Error(`unexpected argument "${t.value}"`);
    if (t.kind !== "option" || t.name === "config" || t.name === "help") continue;
    let value = t.value;
    const next = list[i + 1];
    if (value === undefined && next?.kind === "positional") {
      value = next.value;
      i++;
    }
    flags[t.name] = value;
  }
  return { file: typeof values.config === "string" ? values.config : undefined, help: values.help === true, flags };
}

/**
 * The life of a controller process: configuration, logs (pino, JSON on
 * stdout), the API connection (with TLS), health and metrics over HTTP,
 * leader election, and a draining stop on SIGTERM/SIGINT. Exits 2 on a
 * configuration error, 0 after a clean stop.
 */
export async function runControllerProcess<E extends object = object>(spec: ControllerProcessSpec<E>, argv = process.argv.slice(2)): Promise<void> {
  let config: ControllerConfig & E;
  let tls: ReturnType<typeof channelCredentials>;
  try {
    const cmd = parseCommandLine(argv);
    if (cmd.help) {
      console.log(`Usage: ${spec.name} [--config FILE] [--<section>.<key> VALUE ...]\n\n${spec.description}\n\n${commonUsage}`);
      return;
    }
    config = resolveConfig(spec.name, cmd.file, cmd.flags, spec.settings ?? ({} as E));
    tls = channelCredentials(config.tls);
  } catch (err) {
    console.error(`${spec.name}: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  }
  const log = pino({ level: config.log.level, base: { component: spec.name, identity: config.lease.identity } });
  const metrics = new RuntimeMetrics();
  const api = new ApiConnection(config.apiEndpoint, tls.credentials, tls.options);
  const manager = new Manager({ api, log, metrics });
  spec.setup(manager, { config, log, metrics });
  if (config.lease.enabled) {
    const { namespace, name, identity, durationMs, renewDeadlineMs, retryPeriodMs } = config.lease;
    manager.useLeaderElection({
      lock: new LeaseLock(api.client(leaseKind), namespace, name),
      identity,
      leaseDurationMs: durationMs,
      renewDeadlineMs,
      retryPeriodMs,
      onNewLeader: (holder) => log.info({ holder: holder || "(none)" }, "leader election: new holder observed"),
    });
  }
  let probes: ProbeServer | undefined;
  if (config.http.enabled) {
    probes = new ProbeServer({ ready: () => manager.hasSynced, leader: () => manager.isLeader, metrics: metrics.registry });
    try {
      const port = await probes.listen(config.http.host, config.http.port);
      log.info({ address: `${config.http.host}:${port}` }, "health and metrics listening");
    } catch (err) {
      console.error(`${spec.name}: http: cannot listen on ${config.http.host}:${config.http.port}: ${String(err)}`);
      process.exit(2);
    }
  }
  manager.start();
  log.info({ api: config.apiEndpoint, tls: config.tls.enabled, workers: config.workerCount, lease: config.lease.enabled }, "started");
  stopOnSignal(log, () => manager.stop(config.shutdownGraceMs).then(() => probes?.close()));
}
