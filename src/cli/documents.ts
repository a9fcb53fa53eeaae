import { readFile } from "node:fs/promises";
import { parseAllDocuments } from "yaml";
import { CliError } from "./errors.js";

/** One YAML/JSON document and where it came from ("app.yaml#2", "stdin#1"). */
export interface SourceDocument {
  source: string;
  value: unknown;
}

/**
 * Reads YAML or JSON files (`-` is standard input). A file may hold several
 * YAML documents (`---`), and a document that is a list stands for its items;
 * empty documents are skipped.
 */
export async function readDocuments(paths: string[], stdin: NodeJS.ReadableStream = process.stdin): Promise<SourceDocument[]> {
  const out: SourceDocument[] = [];
  for (const path of paths) {
    const name = path === "-" ? "stdin" : path;
    const text = path === "-" ? await readStream(stdin) : await readText(path);
    out.push(...parseDocuments(text, name));
  }
  return out;
}

export function parseDocuments(text: string, name: string): SourceDocument[] {
  const values: unknown[] = [];
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) return []; // nothing but comments
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error) throw CliError.invalid(`${name}: not valid YAML or JSON: ${error.message.split("\n")[0].replace(/:$/, "")}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    values.push(...(Array.isArray(value) ? value : [value]));
  }
  return values.map((value, i) => ({ source: values.length > 1 ? `${name}#${i + 1}` : name, value }));
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    throw CliError.usage(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message}`);
  }
}

async function readStream(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}
