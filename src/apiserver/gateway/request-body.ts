import type { IncomingMessage } from "node:http";
import { Status } from "../../errors/api-error.js";
import { HttpError } from "./problem.js";

/** Krake's limit on request bodies. */
export const defaultMaxBodyBytes = 1.5 * 1024 * 1024;

/**
 * How deep a JSON body may nest (objects and arrays). Checked right after
 * parsing, before anything recursive (the decoder, merge patches) touches the
 * body. Far above what an object can hold anyway (request-limits.ts: about 30
 * levels of a free-form manifest), so only hostile input meets it.
 */
export const maxJsonDepth = 100;

/** The media type of a request without parameters, lower-cased; "" when absent. */
export function mediaType(req: IncomingMessage): string {
  const header = req.headers["content-type"];
  if (!header) return "";
  const semi = header.indexOf(";");
  return (semi < 0 ? header : header.slice(0, semi)).trim().toLowerCase();
}

export function isJsonMediaType(type: string): boolean {
  return type === "application/json" || type.endsWith("+json");
}

/**
 * Reads and parses a JSON request body of at most `maxBytes`. Undefined when
 * the request has no body. 413 over the limit (the connection is then closed,
 * as the rest of the upload is not read), 415 for a media type that is not
 * JSON (`accept` decides), 400 for malformed JSON with the position.
 */
export async function readJsonBody(req: IncomingMessage, maxBytes: number, accept: (type: string) => boolean): Promise<unknown> {
  const declared = Number(req.headers["content-length"] ?? NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  if (declared === 0 || (Number.isNaN(declared) && req.headers["transfer-encoding"] === undefined)) return undefined;
  const type = mediaType(req);
  if (type && !accept(type)) {
    throw new HttpError(415, Status.INVALID_ARGUMENT, "BadRequest", `the body must be JSON, not ${type}`);
  }
  const text = await readText(req, maxBytes);
  if (!text.trim()) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, Status.INVALID_ARGUMENT, "BadRequest", malformed(text, (err as Error).message));
  }
  if (jsonDepth(body, maxJsonDepth) > maxJsonDepth) {
    throw new HttpError(400, Status.INVALID_ARGUMENT, "BadRequest", `the JSON body nests deeper than ${maxJsonDepth} levels`);
  }
  return body;
}

/** The nesting depth of a parsed JSON value (a scalar is 0), counted up to just past `stopAbove`; iterative. */
export function jsonDepth(value: unknown, stopAbove: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== "object" || v === null) continue;
    const d = depth + 1;
    if (d > deepest) deepest = d;
    if (d > stopAbove) return d;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === "object" && child !== null) stack.push([child, d]);
    }
  }
  return deepest;
}

/**
 * Reads the body as UTF-8 text. Past the limit the rest is discarded, not
 * destroyed, so that the 413 still reaches the client (which then gets
 * `Connection: close`).
 */
function readText(req: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) {
        chunks.push(chunk);
        return;
      }
      cleanUp();
      req.resume();
      reject(tooLarge(maxBytes));
    };
    const onEnd = () => {
      cleanUp();
      resolve(chunks.length === 1 ? chunks[0].toString("utf8") : Buffer.concat(chunks).toString("utf8"));
    };
    const onError = (err: Error) => {
      cleanUp();
      reject(err);
    };
    const cleanUp = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });
}

function tooLarge(maxBytes: number): HttpError {
  return new HttpError(413, Status.RESOURCE_EXHAUSTED, "BadRequest", `the body is larger than ${maxBytes} bytes`);
}

/** V8 reports a character position; people want line and column too. */
function malformed(text: string, message: string): string {
  const m = /position (\d+)/.exec(message);
  if (!m) return `malformed JSON: ${message}`;
  const pos = Number(m[1]);
  const before = text.slice(0, pos);
  const line = before.split("\n").length;
  const column = pos - before.lastIndexOf("\n");
  return `malformed JSON at line ${line}, column ${column} (position ${pos}): ${message}`;
}
