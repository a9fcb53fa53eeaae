/**
 * `krakectl apply -f FILE…`: creates each object of the files, or updates it
 * when it exists. Documents are Krake's wire shape (`{api, kind, metadata,
 * ...}`, proto JSON names); all are read and checked before anything is
 * written. An update merges the document into the current object (nested
 * messages field by field; lists, maps and manifests replaced), keeps what
 * the server and controllers own (uid, finalizers, owners, status), and sends
 * the resource version read just before as precondition.
 */
import { Command } from "commander";
import { ApiError, Status } from "../../errors/api-error.js";
import { action } from "../context.js";
import type { CliContext } from "../context.js";
import { readDocuments } from "../documents.js";
import { CliError, describeError, ExitCode, exitCodeOf } from "../errors.js";
import { allKinds, kindByName } from "../kinds.js";
import type { KindInfo, KrakeObject } from "../kinds.js";
import { fromWire, mergeWire, toWire } from "../wire-json.js";
import type { JsonObject } from "../wire-json.js";
import { addNamespace, addOutput, collect } from "./options.js";
import type { NamespaceOptions, OutputOptions } from "./options.js";

interface ApplyOptions extends NamespaceOptions, OutputOptions {
  file: string[];
}

interface Planned {
  source: string;
  kind: KindInfo;
  namespace: string;
  name: string;
  document: JsonObject;
  object: KrakeObject;
}

const conflictRetries = 3;

export function applyCommand(): Command {
  const cmd = new Command("apply")
    .description("create or update objects of any kind from YAML or JSON documents")
    .requiredOption("-f, --file <file>", "YAML or JSON file, several documents allowed; - reads stdin (repeatable)", collect);
  addNamespace(cmd);
  return addOutput(cmd).action(
    action<ApplyOptions>(async (ctx, opts) => {
      const plan = (await readDocuments(opts.file)).map((d) => planOne(ctx, d.source, d.value, opts.namespace));
      const results: JsonObject[] = [];
      const failures: unknown[] = [];
      for (const p of plan) {
        try {
          const [object, verb] = await applyOne(ctx, p);
          results.push(toWire(p.kind, object));
          if (opts.output === "table") ctx.stdout.write(`${p.kind.kind} ${p.kind.namespaced ? `${p.namespace}/` : ""}${p.name} ${verb}\n`);
        } catch (err) {
          if (exitCodeOf(err) === ExitCode.unavailable) throw err; // the rest would fail the same way
          failures.push(err);
          ctx.stderr.write(`error: ${p.source}: ${describeError(err)}\n`);
        }
      }
      if (opts.output !== "table") ctx.printer(opts.output).documents(results);
      if (failures.length) {
        throw new CliError(`${failures.length} of ${plan.length} objects were not applied`, exitCodeOf(failures[0]));
      }
    }),
  );
}

function planOne(ctx: CliContext, source: string, value: unknown, namespaceFlag: string | undefined): Planned {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw CliError.invalid(`${source}: expected an object`);
  const doc = { ...(value as JsonObject) };
  const kindName = doc.kind;
  if (typeof kindName !== "string" || !kindName) throw CliError.invalid(`${source}: the document has no kind`);
  const kind = kindByName(typeof doc.api === "string" ? doc.api : undefined, kindName);
  if (!kind) {
    throw CliError.invalid(`${source}: unknown kind ${doc.api ? `${String(doc.api)}/` : ""}${kindName} (known: ${allKinds.map((k) => k.kind).join(", ")})`);
  }
  delete doc.status; // owned by the server and controllers
  doc.api = kind.api;
  const metadata = (typeof doc.metadata === "object" && doc.metadata !== null ? doc.metadata : {}) as JsonObject;
  const name = metadata.name;
  if (typeof name !== "string" || !name) throw CliError.invalid(`${source}: metadata.name is missing`);
  const fromDoc = typeof metadata.namespace === "string" ? metadata.namespace : "";
  const namespace = kind.namespaced ? fromDoc || ctx.namespace(namespaceFlag) : "";
  doc.metadata = { ...metadata, namespace };
  return { source, kind, namespace, name, document: doc, object: fromWire(kind, doc, source) };
}

async function applyOne(ctx: CliContext, p: Planned): Promise<[KrakeObject, string]> {
  const client = ctx.transport.resource(p.kind);
  try {
    return [await client.create(p.namespace, p.object), "created"];
  } catch (err) {
    if (!(err instanceof ApiError && err.code === Status.ALREADY_EXISTS)) throw err;
  }
  for (let attempt = 1; ; attempt++) {
    const current = await client.get(p.namespace, p.name);
    const merged = fromWire(p.kind, mergeWire(p.kind, toWire(p.kind, current), ownedBySpec(p.document)), p.source);
    try {
      return [await client.update(p.namespace, p.name, merged), "configured"];
    } catch (err) {
      if (err instanceof ApiError && err.reason === "NoUpdate") return [current, "unchanged"];
      if (err instanceof ApiError && err.code === Status.ABORTED && attempt < conflictRetries) continue;
      throw err;
    }
  }
}

/** The document without what the server and controllers own (metadata other than labels; status is gone already). */
function ownedBySpec(doc: JsonObject): JsonObject {
  const { metadata, ...rest } = doc;
  const meta = metadata as JsonObject;
  const keep: JsonObject = {};
  for (const key of ["labels", "inherit_labels", "inheritLabels"]) if (key in meta) keep[key] = meta[key];
  return { ...rest, metadata: keep };
}
