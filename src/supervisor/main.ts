import { parseArgs } from "node:util";
import { describeStoreLocation, parseStoreUrl } from "../store/location.js";
import { Child, runToEnd } from "./child.js";

const usage = `Usage: krake-run [--store URL] [--grpc-port N] [--http-port N] [--gc-http-port N] [--scheduler-http-port N]
                 [--kube-cluster-http-port N] [--kube-app-http-port N]

Starts the whole Krake system on this machine with development defaults:
loads the base roles (krake-bootstrap --skip-existing), starts krake-api,
waits until it is ready, then starts every controller. One Ctrl-C stops
everything (controllers first, then the API). Each process is a process of
its own, as in production (docs/operations.md); this only starts them.

Options:
  --store URL      sqlite://PATH (default sqlite://.data/krake.db) or etcd://host:port
  --grpc-port N    krake-api's gRPC port (default 9090)
  --http-port N    krake-api's REST port (default 8080)
  --gc-http-port N the garbage collector's probes and /metrics (default 9095)
  --scheduler-http-port N     the scheduler's (default 9096)
  --kube-cluster-http-port N  the Kubernetes cluster controller's (default 9097)
  --kube-app-http-port N      the Kubernetes application controller's (default 9098)
  -h, --help`;

/** The port flags and their defaults: krake-api's two, then one per controller for its probes and /metrics. */
const portFlags = {
  "grpc-port": 9090,
  "http-port": 8080,
  "gc-http-port": 9095,
  "scheduler-http-port": 9096,
  "kube-cluster-http-port": 9097,
  "kube-app-http-port": 9098,
} as const;
type PortFlag = keyof typeof portFlags;
type Ports = Record<PortFlag, number>;

/** The controllers `make run` starts, each with its development config, the port of its probes and its own flags. */
const controllers = (ports: Ports) => [
  { name: "gc", bin: "bin/krake-controller-gc.js", config: "config/gc.yaml", httpPort: ports["gc-http-port"] },
  { name: "scheduler", bin: "bin/krake-scheduler.js", config: "config/scheduler.yaml", httpPort: ports["scheduler-http-port"] },
  { name: "kube-cluster", bin: "bin/krake-controller-kubernetes-cluster.js", config: "config/kubernetes-cluster.yaml", httpPort: ports["kube-cluster-http-port"] },
  { name: "kube-app", bin: "bin/krake-controller-kubernetes-application.js", config: "config/kubernetes-application.yaml", httpPort: ports["kube-app-http-port"],
    // the hook URLs that applications call back: krake-api's REST port as started here
    args: ["--hooks.api_endpoint", `http://127.0.0.1:${ports["http-port"]}`] },
];

class UsageError extends Error {}

function options(argv: string[]) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        store: { type: "string" },
        ...Object.fromEntries(Object.keys(portFlags).map((flag) => [flag, { type: "string" as const }])),
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const ports = {} as Ports;
  for (const [flag, fallback] of Object.entries(portFlags) as [PortFlag, number][]) {
    const raw = values[flag];
    const n = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > 65_535) throw new UsageError(`--${flag} must be a port number, not "${String(raw)}"`);
    ports[flag] = n;
  }
  const store = typeof values.store === "string" ? values.store : "sqlite://.data/krake.db";
  try {
    parseStoreUrl(store);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return { help: values.help === true, store, ports, grpcPort: ports["grpc-port"], httpPort: ports["http-port"] };
}

async function waitReady(url: string, api: Child): Promise<void> {
  for (;;) {
    if (!api.running) throw new Error(`krake-api exited (${await api.exited}) before it was ready`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function main(argv: string[]): Promise<number> {
  const opts = options(argv);
  if (opts.help) {
    console.log(usage);
    return 0;
  }
  const storeArgs = ["--store", opts.store];
  await runToEnd("bootstrap", ["bin/krake-bootstrap.js", "--config", "config/api.yaml", ...storeArgs, "--skip-existing", "config/base-roles.yaml"]);

  const running: Child[] = [];
  let stopping = false;
  const stopAll = async (): Promise<void> => {
    stopping = true;
    // Controllers first: they drain their work against a live API.
    for (const child of [...running].reverse()) await child.stop();
  };
  const stopped = new Promise<number>((resolve) => {
    const onSignal = () => {
      if (stopping) return;
      console.log("krake-run: stopping");
      void stopAll().then(() => resolve(0));
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
  const watch = (child: Child) => {
    running.push(child);
    void child.exited.then(async (code) => {
      if (stopping) return;
      console.error(`krake-run: ${child.name} exited (${code}); stopping the others`);
      await stopAll();
      process.exit(1);
    });
  };

  const api = new Child("api", [
    "bin/krake-api.js", "--config", "config/api.yaml", ...storeArgs,
    "--grpc.port", String(opts.grpcPort), "--http.port", String(opts.httpPort),
  ]);
  watch(api);
  try {
    await waitReady(`http://127.0.0.1:${opts.httpPort}/readyz`, api);
  } catch (err) {
    await stopAll();
    throw err;
  }
  const started = controllers(opts.ports);
  for (const c of started) {
    watch(new Child(c.name, [c.bin, "--config", c.config, "--api_endpoint", `127.0.0.1:${opts.grpcPort}`, "--http.port", String(c.httpPort), ...(c.args ?? [])]));
  }
  const rows = [
    ["krake-api", `gRPC 127.0.0.1:${opts.grpcPort}, REST http://127.0.0.1:${opts.httpPort}`, `store ${describeStoreLocation(parseStoreUrl(opts.store))}`],
    ...started.map((c) => [c.bin.replace(/^bin\/|\.js$/g, ""), `probes and /metrics on http://127.0.0.1:${c.httpPort}`, `config ${c.config}`]),
  ];
  const width = Math.max(...rows.map((r) => r[0]!.length));
  console.log(`\nKrake is running (Ctrl-C stops everything):\n${rows.map((r) => `  ${r[0]!.padEnd(width)}  ${r[1]!.padEnd(58)} ${r[2]}`).join("\n")}`);
  console.log("  try: npx krakectl kube cluster list -a   or   npx tsx examples/watch-and-create.ts   (see README)\n");
  return stopped;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    console.error(err instanceof UsageError ? `krake-run: ${message}\n\n${usage}` : `krake-run: ${message}`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
