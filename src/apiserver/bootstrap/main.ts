import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { defaultConfig, loadConfigFile, mergeConfig } from "../config.js";
import { defaultSqlitePath, describeStoreLocation, resolveStoreLocation } from "../../store/location.js";
import { openStore } from "../../store/open-store.js";
import { parseDocuments, prepareResources } from "./documents.js";
import type { ExistingPolicy } from "./load.js";
import { loadResources } from "./load.js";

const usage = `Usage: krake-bootstrap [options] FILE...

Loads the resources of the YAML files (several documents per file, '-' for
stdin) into Krake's store in one transaction: all of them or none. The
embedded (SQLite) store must not be in use by a running krake-api.

Options:
  --config FILE            read the store settings of this krake-api config
  --store URL              sqlite://PATH or etcd://host:port[,host:port] (default: the
                           config's, else sqlite://${defaultSqlitePath})
  --etcd.endpoints URLS    comma-separated etcd client URLs (the older form of --store etcd://...)
  --etcd.prefix PREFIX     key prefix (default ${defaultConfig.etcd.prefix})
  --force                  overwrite resources that exist (keeping their uid)
  --skip-existing          leave resources that exist as they are, load the others
  -h, --help

Examples:
  krake-bootstrap config/base-roles.yaml
  krake-bootstrap --config config/api.yaml --skip-existing config/base-roles.yaml`;

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArguments(argv);
  if (values.help) {
    console.log(usage);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError("no input files");
  if (values.force && values["skip-existing"]) throw new UsageError("--force and --skip-existing exclude each other");
  const policy: ExistingPolicy = values.force ? "overwrite" : values["skip-existing"] ? "skip" : "fail";
  const config = values.config ? mergeConfig(defaultConfig, loadConfigFile(values.config)) : defaultConfig;
  const endpoints = values["etcd.endpoints"]?.split(",") ?? (values.store ? [] : config.etcd.endpoints);
  const location = resolveStoreLocation(values.store ?? (values["etcd.endpoints"] ? "" : config.store), endpoints);
  const prefix = values["etcd.prefix"] ?? config.etcd.prefix;

  const docs = positionals.flatMap((file) =>
    parseDocuments(readFileSync(file === "-" ? 0 : file, "utf8"), file === "-" ? "<stdin>" : file),
  );
  const resources = prepareResources(docs, prefix);
  const store = await openStore(location);
  try {
    const result = await loadResources(store, resources, policy);
    for (const r of result.written) console.log(`loaded  ${r.kind.api}/${r.kind.kind} ${r.object.metadata!.name}`);
    for (const r of result.kept) console.log(`kept    ${r.kind.api}/${r.kind.kind} ${r.object.metadata!.name} (exists)`);
    console.log(`${result.written.length} loaded, ${result.kept.length} kept (${describeStoreLocation(location)}, prefix ${prefix})`);
    return 0;
  } finally {
    await store.close();
  }
}

class UsageError extends Error {}

function parseArguments(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: "string" },
        store: { type: "string" },
        "etcd.endpoints": { type: "string" },
        "etcd.prefix": { type: "string" },
        force: { type: "boolean" },
        "skip-existing": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    console.error(err instanceof UsageError ? `krake-bootstrap: ${message}\n\n${usage}` : message);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
