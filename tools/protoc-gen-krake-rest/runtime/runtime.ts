/**
 * Runtime of the generated Krake REST clients: turns a request into a URL and
 * body by the method's google.api.http bindings, calls `fetch`, maps
 * application/problem+json answers to RestError, and reads watch streams
 * (application/x-ndjson) as async iterables.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export type JsonObject = { [key: string]: JsonValue };

/**
 * What the server accepts for a message type `T`: every field may be left out
 * or null. (Generated message types are interfaces, which never extend
 * JsonValue, so the recursion stops only at JSON and scalar types.)
 */
export type Input<T> = T extends JsonValue
  ? T
  : T extends readonly (infer U)[]
    ? Input<U>[]
    : T extends object
      ? { [K in keyof T]?: Input<T[K]> | null }
      : T;

/** A request message as a call takes it: the path parameters `K` that every binding needs are required. */
export type RestRequest<T, K extends keyof T = never> = Omit<Input<T>, K> & { [P in K]: NonNullable<T[P]> };

/** Query parameters of watch streams that the gateway adds; they are not request fields. */
export interface WatchParameters {
  /** Seconds between the server's empty keep-alive lines (server default 10, 0 = off). */
  heartbeat?: number;
}

/** One invalid field of a request. */
export interface FieldError {
  field: string;
  message: string;
}

/** An RFC 7807 problem with the gateway's extension members. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  /** The name of the gRPC status code: NOT_FOUND, INVALID_ARGUMENT, ... */
  code?: string;
  request_id?: string;
  errors?: FieldError[];
}

/** A call failed: the server answered with a problem (or something that is not a success). */
export class RestError extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string | undefined;
  readonly type: string;
  /** The name of the gRPC status code (NOT_FOUND, ...), when the server sent one. */
  readonly code: string | undefined;
  readonly requestId: string | undefined;
  readonly errors: FieldError[];
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(problem.detail ? `${problem.status} ${problem.title}: ${problem.detail}` : `${problem.status} ${problem.title}`);
    this.name = "RestError";
    this.problem = problem;
    this.status = problem.status;
    this.title = problem.title;
    this.detail = problem.detail;
    this.type = problem.type;
    this.code = problem.code;
    this.requestId = problem.request_id;
    this.errors = problem.errors ?? [];
  }
}

/** A path template as literal text and request fields (dotted paths). */
export type PathPart = string | { readonly field: string; readonly multi: boolean };

/** One google.api.http binding of a method. */
export interface Binding {
  readonly method: string;
  readonly path: readonly PathPart[];
  /** "" no body, "*" every field not in the path, else the request field the body carries. */
  readonly body: string;
  /** The stream shares its GET path with a unary method and is selected by `?watch`. */
  readonly watch: boolean;
}

export interface Route {
  /** `package.Service/Method`, for messages. */
  readonly name: string;
  /** Tried in order: the first one whose path fields are all set is used. */
  readonly bindings: readonly Binding[];
}

export interface HttpRequest {
  method: string;
  /** Path and query string. */
  url: string;
  body: string | undefined;
}

type Fields = { readonly [key: string]: unknown };

function isFields(value: unknown): value is Fields {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function lookup(request: Fields, path: string): unknown {
  let value: unknown = request;
  for (const key of path.split(".")) value = isFields(value) ? value[key] : undefined;
  return value;
}

function isSet(value: unknown): boolean {
  return value !== undefined && value !== null && value !== "";
}

/** A copy of `fields` without the dotted paths in `drop`. */
function without(fields: Fields, drop: ReadonlySet<string>, prefix = ""): Fields {
  const out: { [key: string]: unknown } = {};
  for (const [key, value] of Object.entries(fields)) {
    const path = prefix + key;
    if (drop.has(path)) continue;
    const nested = [...drop].some((d) => d.startsWith(`${path}.`));
    out[key] = nested && isFields(value) ? without(value, drop, `${path}.`) : value;
  }
  return out;
}

function queryValue(name: string, value: unknown): string {
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return String(value);
  throw new TypeError(`query parameter ${name}: a URL cannot carry ${JSON.stringify(value)}`);
}

function appendQuery(query: URLSearchParams, fields: Fields, skip: ReadonlySet<string>, prefix = ""): void {
  for (const [key, value] of Object.entries(fields)) {
    const name = prefix + key;
    if (skip.has(name) || value === undefined || value === null) continue;
    if (Array.isArray(value)) {
      for (const item of value) if (item !== undefined && item !== null) query.append(name, queryValue(name, item));
    } else if (isFields(value)) {
      appendQuery(query, value, skip, `${name}.`);
    } else {
      query.append(name, queryValue(name, value));
    }
  }
}

function encodePathValue(value: unknown, multi: boolean): string {
  const text = String(value);
  return multi ? text.split("/").map(encodeURIComponent).join("/") : encodeURIComponent(text);
}

/**
 * The HTTP request for a call, by the google.api.http rules: path variables
 * from request fields (URL-encoded), the body per the binding, and every other
 * set field as a query parameter (nested as `a.b`, repeated as `x=1&x=2`).
 */
export function buildHttpRequest(route: Route, request: object): HttpRequest {
  const fields = request as Fields;
  const binding = route.bindings.find((b) => b.path.every((p) => typeof p === "string" || isSet(lookup(fields, p.field))));
  if (!binding) {
    const needs = route.bindings.map((b) => b.path.flatMap((p) => (typeof p === "string" ? [] : [p.field])).join(" and "));
    throw new TypeError(`${route.name}: the request needs ${needs.join(", or ")}`);
  }
  // Path fields of the other bindings that are unset stay out of the query too (`namespace: ""` lists all namespaces).
  const inPath = new Set(
    route.bindings.flatMap((b) => b.path.flatMap((p) => (typeof p !== "string" && !isSet(lookup(fields, p.field)) ? [p.field] : []))),
  );
  let url = "";
  for (const part of binding.path) {
    if (typeof part === "string") {
      url += part;
    } else {
      inPath.add(part.field);
      url += encodePathValue(lookup(fields, part.field), part.multi);
    }
  }
  const query = new URLSearchParams();
  if (binding.watch) query.append("watch", "true");
  let body: string | undefined;
  if (binding.body === "*") {
    body = JSON.stringify(without(fields, inPath));
  } else {
    if (binding.body !== "") {
      const payload = lookup(fields, binding.body);
      if (payload !== undefined) body = JSON.stringify(payload);
      inPath.add(binding.body);
    }
    appendQuery(query, fields, inPath);
  }
  const search = query.toString();
  return { method: binding.method, url: search ? `${url}?${search}` : url, body };
}

export type HeadersSource = HeadersInit | (() => HeadersInit | Promise<HeadersInit>);

export interface RestTransportOptions {
  /** The gateway's origin and any path prefix, e.g. `http://localhost:8080`. */
  baseUrl: string;
  /** Sent with every call, e.g. `{ authorization: "Bearer …" }`; a function is called per call. */
  headers?: HeadersSource;
  /** Replaces the global fetch (for a proxy agent, tests, retries). */
  fetch?: typeof globalThis.fetch;
}

export interface CallOptions {
  /** Aborts the call; for a watch, also the stream (iteration then throws the abort reason). */
  signal?: AbortSignal;
  headers?: HeadersInit;
}

const problemMediaType = "application/problem+json";

function toProblem(value: unknown, status: number, fallbackTitle: string): Problem {
  const v = isFields(value) ? value : {};
  const problem: Problem = {
    type: typeof v.type === "string" ? v.type : "about:blank",
    title: typeof v.title === "string" ? v.title : fallbackTitle,
    status: typeof v.status === "number" ? v.status : status,
  };
  if (typeof v.detail === "string") problem.detail = v.detail;
  if (typeof v.instance === "string") problem.instance = v.instance;
  if (typeof v.code === "string") problem.code = v.code;
  if (typeof v.request_id === "string") problem.request_id = v.request_id;
  if (Array.isArray(v.errors)) {
    problem.errors = v.errors.filter(isFields).map((e) => ({ field: String(e.field ?? ""), message: String(e.message ?? "") }));
  }
  return problem;
}

async function errorFrom(response: Response): Promise<RestError> {
  const text = await response.text().catch(() => "");
  const fallbackTitle = response.statusText || `HTTP ${response.status}`;
  try {
    const parsed: unknown = JSON.parse(text);
    if (isFields(parsed)) return new RestError(toProblem(parsed, response.status, fallbackTitle));
  } catch {
    // not JSON: keep the text as the detail
  }
  const problem: Problem = { type: "about:blank", title: fallbackTitle, status: response.status };
  if (text) problem.detail = text.length > 1024 ? `${text.slice(0, 1024)}…` : text;
  return new RestError(problem);
}

function parseEvent<T>(line: string, status: number): T {
  let event: unknown;
  try {
    event = JSON.parse(line);
  } catch {
    event = undefined;
  }
  if (!isFields(event) || typeof event.type !== "string") {
    throw new RestError({ type: "about:blank", title: "Invalid watch event", status, detail: line.slice(0, 1024) });
  }
  if (event.type === "ERROR") throw new RestError(toProblem(event.object, 500, "Watch failed"));
  return event as T;
}

/** Calls a gateway; the generated service clients share one. */
export class RestTransport {
  readonly #baseUrl: string;
  readonly #headers: HeadersSource | undefined;
  readonly #fetch: typeof globalThis.fetch;

  constructor(options: RestTransportOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.#headers = options.headers;
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  async #send(route: Route, request: object, accept: string, options: CallOptions | undefined): Promise<Response> {
    const http = buildHttpRequest(route, request);
    const headers = new Headers(typeof this.#headers === "function" ? await this.#headers() : this.#headers);
    new Headers(options?.headers).forEach((value, key) => headers.set(key, value));
    if (!headers.has("accept")) headers.set("accept", `${accept}, ${problemMediaType}`);
    if (http.body !== undefined) headers.set("content-type", "application/json");
    const init: RequestInit = { method: http.method, headers };
    if (http.body !== undefined) init.body = http.body;
    if (options?.signal) init.signal = options.signal;
    return this.#fetch(this.#baseUrl + http.url, init);
  }

  /** One request, one JSON answer; a problem answer throws RestError. */
  async unary<T>(route: Route, request: object, options?: CallOptions): Promise<T> {
    const response = await this.#send(route, request, "application/json", options);
    if (!response.ok) throw await errorFrom(response);
    return (await response.json()) as T;
  }

  /**
   * A watch stream. The request starts with the first `next()`. Heartbeat
   * (empty) lines are skipped; an `ERROR` line throws RestError; leaving the
   * loop early closes the connection.
   */
  watch<T>(route: Route, request: object, options?: CallOptions): AsyncIterable<T> {
    return this.#events<T>(route, request, options);
  }

  async *#events<T>(route: Route, request: object, options: CallOptions | undefined): AsyncGenerator<T, void, undefined> {
    const response = await this.#send(route, request, "application/x-ndjson", options);
    if (!response.ok) throw await errorFrom(response);
    if (!response.body) return;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += value;
        let newline = buffer.indexOf("\n");
        while (newline >= 0) {
          const line = buffer.slice(0, newline).trim();
          buffer = buffer.slice(newline + 1);
          if (line !== "") yield parseEvent<T>(line, response.status);
          newline = buffer.indexOf("\n");
        }
      }
      const last = buffer.trim();
      if (last !== "") yield parseEvent<T>(last, response.status);
    } finally {
      await reader.cancel().catch(() => undefined);
    }
  }
}
