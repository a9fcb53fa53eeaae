import { createReadStream, createWriteStream } from "node:fs";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { defaultSqlitePath, describeStoreLocation, parseStoreUrl } from "../store/location.js";
import { openStore } from "../store/open-store.js";
import type { ExportLine } from "./transfer.js";
import { exportObjects, importObjects } from "./transfer.js";

const usage = `Usage: krake-admin export [--store URL] [--prefix PREFIX] FILE
       krake-admin import [--store URL] [--prefix PREFIX] FILE

Moves every Krake object, metadata and status included, from one store to
another: export writes one JSON line per object (FILE '-' = stdout), import
loads such a file into a store that holds nothing under the prefix yet.
Stop krake-api first when the store is the embedded one (one process at a
time); an etcd store can be exported while the API runs.

Options:
  --store URL       sqlite://PATH or etcd://host:port[,host:port] (default sqlite://${defaultSqlitePath})
  --prefix PREFIX   key prefix (default /krake)
  -h, --help

Example, from the embedded store to etcd:
  krake-admin export --store sqlite://.data/krake.db krake.jsonl
  krake-admin import --store etcd://127.0.0.1:2379 krake.jsonl`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { store: { type: "string" }, prefix: { type: "string" }, help: { type: "boolean", short: "h" } },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const [command, file, ...rest] = positionals;
  if (command !== "export" && command !== "import") throw new UsageError(command ? `unknown command "${command}"` : "give export or import");
  if (!file || rest.length > 0) throw new UsageError(`${command} takes one FILE`);
  const prefix = values.prefix ?? "/krake";
  if (!/^\/[^/]/.test(prefix) || prefix.endsWith("/")) throw new UsageError(`--prefix must start with "/" and not end with "/", not "${prefix}"`);
  let location;
  try {
    location = parseStoreUrl(values.store ?? `sqlite://${defaultSqlitePath}`);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const store = await openStore(location);
  try {
    if (command === "export") {
      const out = file === "-" ? process.stdout : createWriteStream(file);
      let count = 0;
      for await (const line of exportObjects(store, prefix)) {
        if (!out.write(`${JSON.stringify(line)}\n`)) await once(out, "drain");
        count++;
      }
      if (out !== process.stdout) await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
      console.error(`exported ${count} objects from ${describeStoreLocation(location)} (prefix ${prefix})`);
    } else {
      const count = await importObjects(store, prefix, readLines(file));
      console.error(`imported ${count} objects into ${describeStoreLocation(location)} (prefix ${prefix})`);
    }
    return 0;
  } finally {
    await store.close();
  }
}

async function* readLines(file: string): AsyncGenerator<ExportLine> {
  const input = file === "-" ? process.stdin : createReadStream(file);
  let n = 0;
  for await (const text of createInterface({ input, crlfDelay: Infinity })) {
    n++;
    if (text.trim() === "") continue;
    try {
      yield JSON.parse(text) as ExportLine;
    } catch (err) {
      throw new Error(`${file}:${n}: not a line of krake-admin export: ${(err as Error).message}`);
    }
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    console.error(err instanceof UsageError ? `krake-admin: ${message}\n\n${usage}` : `krake-admin: ${message}`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
