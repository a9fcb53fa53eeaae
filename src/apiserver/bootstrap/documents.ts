import { parseAllDocuments } from "yaml";
import type { FieldError } from "../../errors/api-error.js";
import { allKinds } from "../kinds/index.js";
import type { AnyKind, KrakeObject } from "../objects/kind.js";
import { prepareNewObject } from "../registry/create-preparation.js";
import { objectKey } from "../../store/keys.js";
import { timestampNow } from "../../kinds/timestamp.js";
import type { Timestamp } from "../../kinds/timestamp.js";

/** One resource to load: where it came from, its kind, key and object. */
export interface Resource {
  /** "roles.yaml#2" (1-based document number), for messages. */
  source: string;
  kind: AnyKind;
  key: string;
  object: KrakeObject;
}

/** Problems found in the input, each naming its file and document. */
export class BootstrapInputError extends Error {
  readonly problems: string[];

  constructor(problems: string[]) {
    super(`bootstrap: the input is not valid:\n  - ${problems.join("\n  - ")}`);
    this.name = "BootstrapInputError";
    this.problems = problems;
  }
}

/** The YAML (or JSON) documents of one input; empty documents are skipped. */
export function parseDocuments(text: string, name: string): { source: string; value: unknown }[] {
  const out: { source: string; value: unknown }[] = [];
  parseAllDocuments(text).forEach((doc, i) => {
    const source = `${name}#${i + 1}`;
    if (doc.errors.length) throw new BootstrapInputError([`${source}: ${doc.errors[0].message}`]);
    const value: unknown = doc.toJS();
    if (value !== null && value !== undefined) out.push({ source, value });
  });
  return out;
}

/**
 * Turns documents into storable objects the way the API's create does:
 * server-set metadata (uid, created, modified, generation), status reset,
 * the kind's defaults, then the kind's validation. Collects every problem
 * (unknown kinds, invalid fields, the same object twice) before failing.
 */
export function prepareResources(docs: { source: string; value: unknown }[], prefix: string, now: Timestamp = timestampNow()): Resource[] {
  const problems: string[] = [];
  const out: Resource[] = [];
  const seen = new Map<string, string>();
  for (const { source, value } of docs) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      problems.push(`${source}: a resource must be a mapping with api, kind and metadata`);
      continue;
    }
    const doc = value as Record<string, unknown>;
    const kind = allKinds.find((k) => k.api === doc.api && k.kind === doc.kind);
    if (!kind) {
      problems.push(`${source}: unknown resource ${JSON.stringify(doc.api)}/${JSON.stringify(doc.kind)}`);
      continue;
    }
    const object = kind.codec.fromJSON(doc);
    const errors = prepare(kind, object, now);
    if (errors.length) {
      problems.push(...errors.map((e) => `${source} (${kind.kind} "${object.metadata?.name ?? ""}"): ${e.field}: ${e.message}`));
      continue;
    }
    const meta = object.metadata!;
    const key = objectKey(prefix, kind.api, kind.plural, kind.namespaced ? meta.namespace : "", meta.name);
    const first = seen.get(key);
    if (first) {
      problems.push(`${source}: ${kind.kind} "${meta.name}" is also defined in ${first}`);
      continue;
    }
    seen.set(key, source);
    out.push({ source, kind, key, object });
  }
  if (problems.length) throw new BootstrapInputError(problems);
  return out;
}

function prepare(kind: AnyKind, obj: KrakeObject, now: Timestamp): FieldError[] {
  const meta = obj.metadata;
  if (!meta?.name) return [{ field: "metadata.name", message: "is required" }];
  if (kind.namespaced && !meta.namespace) return [{ field: "metadata.namespace", message: "is required" }];
  if (!kind.namespaced && meta.namespace) return [{ field: "metadata.namespace", message: `must be empty: ${kind.kind} is global` }];
  prepareNewObject(kind, obj, now);
  return kind.validate(obj);
}

/** Keeps the identity of an object being overwritten (`--force`), so references to its uid stay valid. */
export function keepIdentity(next: KrakeObject, existing: KrakeObject): void {
  const meta = next.metadata!;
  const old = existing.metadata;
  if (!old) return;
  meta.uid = old.uid || meta.uid;
  meta.created = old.created ?? meta.created;
  meta.generation = (old.generation || 0) + 1;
}
