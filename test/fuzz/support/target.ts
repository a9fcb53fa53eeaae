/**
 * The system under fuzz: ONE real etcd and ONE real krake-api child process
 * (bin/krake-api.js), shared by every fuzz family of a mocha run. Requests go
 * out raw: node:http with a path and body exactly as given, and gRPC through
 * @grpc/grpc-js with pass-through (de)serializers so that any bytes can be
 * sent. When a case kills the process, the next case starts a new one on the
 * same etcd and key prefix (shrinking needs a live server).
 */
import { request as httpRequest } from "node:http";
import type { IncomingHttpHeaders } from "node:http";
import { Client, credentials, Metadata } from "@grpc/grpc-js";
import type { ServiceError } from "@grpc/grpc-js";
import { Etcd3 } from "etcd3";
import { uniquePrefix } from "../../fixtures/api.js";
import { startApiProcess } from "../../fixtures/api-process.js";
import type { ApiProcess, LogLine } from "../../fixtures/api-process.js";
import { startEtcd } from "../../fixtures/etcd.js";
import type { EtcdProcess } from "../../fixtures/etcd.js";

/** krake-api's request body limit (config http.max_body_bytes, Krake's 1.5 MiB). */
export const MAX_BODY_BYTES = 1_572_864;
/** Short, so that a `blocking=` create ends (504) long before a case's deadline. */
const BLOCKING_TIMEOUT_MS = 200;
/** A REST request that has not answered by then has hung. */
export const REQUEST_TIMEOUT_MS = 15_000;
/** A unary gRPC call that has not ended by then has hung (or its connection did). */
export const GRPC_TIMEOUT_MS = 5_000;
/** A watch must at least start (REST: send its headers) by then. */
export const WATCH_START_TIMEOUT_MS = 5_000;
/** A gRPC watch stream runs this long at most (its deadline): a silent stream is fine. */
export const GRPC_WATCH_DEADLINE_MS = 100;
const PROBE_TIMEOUT_MS = 5_000;
/** How long to wait for the error log line of a failed request. */
const LOG_WAIT_MS = 2_000;
/** After a dropped connection: how long to wait for the process to finish dying. */
const EXIT_WAIT_MS = 5_000;

export interface HttpCall {
  method: string;
  /** Path and query, already percent-encoded as they go on the wire. */
  path: string;
  headers?: Record<string, string>;
  body?: Buffer;
  /** Transfer-Encoding: chunked instead of a Content-Length. */
  chunked?: boolean;
}

export type HttpOutcome =
  | {
      kind: "response";
      status: number;
      headers: IncomingHttpHeaders;
      /** The body (at most 64 KiB of it); for a watch stream, what arrived before we closed it. */
      body: string;
      /** An application/x-ndjson watch stream. */
      watch: boolean;
      /** The response started but broke off before its end (not for watches, which we close). */
      truncated: boolean;
    }
  | { kind: "error"; code: string; message: string; uploadedBytes: number }
  | { kind: "timeout"; headers: boolean };

export interface GrpcOutcome {
  code: number;
  details: string;
  /** Messages received (a watch is cancelled after its first). */
  messages: number;
  /** The status came from our side: the deadline or our cancel after the first message. */
  local: "deadline" | "cancelled" | undefined;
  requestId: string | undefined;
}

export type Liveness = { alive: true } | { alive: false; why: string };

const BODY_KEEP = 64 * 1024;

/** Stderr's last lines: where Node prints the uncaught exception that killed the process. */
function stderrTail(text: string, lines = 25): string {
  return text.split("\n").filter((l) => l.trim() !== "").slice(-lines).join("\n");
}

export class Target {
  private constructor(
    readonly etcd: EtcdProcess,
    readonly prefix: string,
    private api: ApiProcess,
    private restPort: number,
    readonly raw: Etcd3,
  ) {}

  /** Processes started so far, the first included. */
  starts = 1;
  /** Why each restart was needed. */
  readonly deaths: string[] = [];

  static async start(): Promise<Target> {
    const etcd = await startEtcd();
    const prefix = uniquePrefix();
    const { api, restPort } = await Target.spawn(etcd, prefix);
    return new Target(etcd, prefix, api, restPort, new Etcd3({ hosts: etcd.endpoint }));
  }

  private static async spawn(etcd: EtcdProcess, prefix: string): Promise<{ api: ApiProcess; restPort: number }> {
    // The default configuration: the static provider makes every caller system:admin, authorization always-allow,
    // so fuzzed requests reach the registry, not a 401/403.
    const api = await startApiProcess({ etcd, prefix, args: ["--blocking-timeout-ms", String(BLOCKING_TIMEOUT_MS)] });
    const line = api.logs.find((l) => l.msg === "REST API listening");
    const restPort = Number(String(line?.address).split(":").pop());
    if (!restPort) throw new Error(`krake-api logged no REST port: ${JSON.stringify(line)}`);
    return { api, restPort };
  }

  /**
   * A gRPC client of its own for one call: its own connection (a local
   * subchannel pool), so that a connection one case broke (a GOAWAY, a reset)
   * cannot fail the next case. Default limits otherwise, as krakectl and the
   * controllers have them; no retries, so a case sees exactly what the server did.
   */
  private grpcClient(): Client {
    return new Client(this.api.address, credentials.createInsecure(), {
      "grpc.max_send_message_length": -1,
      "grpc.use_local_subchannel_pool": 1,
      "grpc.enable_retries": 0,
    });
  }

  /** `http://127.0.0.1:PORT` of the REST API (changes when the process is replaced). */
  get restBase(): string {
    return `http://127.0.0.1:${this.restPort}`;
  }

  get pid(): number {
    return this.api.pid;
  }

  /** Has the child exited (for whatever reason)? */
  get exited(): boolean {
    return this.api.child.exitCode !== null || this.api.child.signalCode !== null;
  }

  /**
   * The server's own account of a failed request: its error log line (the
   * "internal error" line with the cause) for this request id, waited for
   * briefly, as the line may reach us after the response does.
   */
  async serverError(requestId: string | undefined): Promise<{ message: string | undefined; text: string }> {
    if (!requestId) return { message: undefined, text: "(no request id)" };
    const match = (l: LogLine) => l.requestId === requestId && (l.level ?? 0) >= 50;
    try {
      await this.api.waitForLog(match, LOG_WAIT_MS);
    } catch {
      return { message: undefined, text: "(no error logged for this request)" };
    }
    const lines = this.api.logs.filter(match);
    const err = lines.map((l) => l.err).find((e): e is { message?: string; stack?: string; type?: string } => typeof e === "object" && e !== null);
    if (!err) return { message: undefined, text: JSON.stringify(lines[0]).slice(0, 800) };
    const stack = (err.stack ?? "").split("\n").slice(0, 8).join("\n");
    return { message: `${err.type ?? "Error"}: ${err.message ?? ""}`, text: stack || `${err.type}: ${err.message}` };
  }

  /** The log lines gathered since the last call; forgets them (long runs would keep every line otherwise). */
  drainLogs(): LogLine[] {
    return this.api.logs.splice(0, this.api.logs.length);
  }

  /** Alive and answering: the child has not exited and GET /livez answers 200. */
  async liveness(): Promise<Liveness> {
    if (this.exited) return { alive: false, why: await this.deathNote() };
    const probe = await this.http({ method: "GET", path: "/livez" }, PROBE_TIMEOUT_MS);
    if (probe.kind === "response" && probe.status === 200 && !probe.truncated) return { alive: true };
    // A dropped connection: the process is most likely on its way out. Wait for its exit, bounded.
    const exited = await Promise.race([
      this.api.exited.then(() => true),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), EXIT_WAIT_MS).unref()),
    ]);
    if (exited) return { alive: false, why: await this.deathNote() };
    const got = probe.kind === "response" ? `HTTP ${probe.status}` : probe.kind === "timeout" ? "no answer" : `${probe.code}: ${probe.message}`;
    return { alive: false, why: `krake-api (pid ${this.pid}) is running but does not serve: GET /livez gave ${got}` };
  }

  private async deathNote(): Promise<string> {
    const exit = await this.api.exited;
    return `krake-api (pid ${this.pid}) exited with ${exit.signal ?? `code ${exit.code}`}; stderr:\n${stderrTail(exit.stderr)}`;
  }

  /** Replaces a dead or hung process with a new one on the same etcd and prefix. */
  async restart(why: string): Promise<void> {
    this.deaths.push(why);
    if (!this.exited) await this.api.kill();
    const next = await Target.spawn(this.etcd, this.prefix);
    this.api = next.api;
    this.restPort = next.restPort;
    this.starts++;
  }

  async stop(): Promise<void> {
    this.raw.close();
    try {
      if (!this.exited) await this.api.stop();
    } finally {
      await this.etcd.remove();
    }
  }

  /** etcd's current revision (it moves with every write) and its number of keys (it drops with a delete). */
  async storeState(): Promise<{ revision: number; keys: number }> {
    const res = await this.raw.getAll().count();
    const revision = await this.raw.get("\u0000").exec();
    return { revision: Number(revision.header.revision), keys: res };
  }

  /** The keys written after `revision` (created or changed), with their versions. */
  async writtenSince(revision: number): Promise<string[]> {
    const res = await this.raw.getAll().exec();
    return res.kvs
      .filter((kv) => Number(kv.mod_revision) > revision)
      .map((kv) => `${kv.key.toString()} (mod_revision ${kv.mod_revision}, version ${kv.version})`);
  }

  // -------------------------------------------------------------------------
  // REST

  /**
   * One HTTP request on a fresh connection. A watch stream (200
   * application/x-ndjson) is read until `whileWatching` settles, then closed.
   */
  http(call: HttpCall, timeoutMs = REQUEST_TIMEOUT_MS, whileWatching?: () => Promise<unknown>): Promise<HttpOutcome> {
    return new Promise<HttpOutcome>((resolve) => {
      let settled = false;
      let uploaded = 0;
      let gotHeaders = false;
      const finish = (o: HttpOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(o);
      };
      const headers: Record<string, string> = { ...call.headers };
      if (call.body && !call.chunked) headers["content-length"] = String(call.body.length);
      // node:http chunks a body by default only for some methods (not GET, DELETE, …): say so, or the body
      // would go out unframed and the server would read it as a second, malformed request
      if (call.body && call.chunked) headers["transfer-encoding"] = "chunked";
      let req;
      try {
        req = httpRequest({
          host: "127.0.0.1",
          port: this.restPort,
          method: call.method,
          path: call.path,
          headers,
          agent: false,
          // a node client refuses to send some paths and headers; the fuzz generators avoid those
        });
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        throw new Error(`the fuzzer built a request node:http cannot send (${e.code}: ${e.message}): ${call.method} ${call.path.slice(0, 200)}`);
      }
      const timer = setTimeout(() => {
        finish({ kind: "timeout", headers: gotHeaders });
        req.destroy();
      }, timeoutMs);
      req.on("error", (err: NodeJS.ErrnoException) => finish({ kind: "error", code: err.code ?? "ERROR", message: err.message, uploadedBytes: uploaded }));
      req.on("response", (res) => {
        gotHeaders = true;
        const chunks: Buffer[] = [];
        let kept = 0;
        const watch = res.statusCode === 200 && String(res.headers["content-type"] ?? "").startsWith("application/x-ndjson");
        let ended = false;
        const done = (truncated: boolean) =>
          finish({
            kind: "response",
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
            watch,
            truncated,
          });
        res.on("data", (chunk: Buffer) => {
          if (kept < BODY_KEEP) {
            chunks.push(chunk);
            kept += chunk.length;
          }
        });
        res.on("end", () => {
          ended = true;
          done(false);
        });
        res.on("aborted", () => done(!watch));
        res.on("error", () => done(!watch));
        res.on("close", () => {
          if (!ended) done(!watch);
        });
        if (watch) {
          // The watch has started (its headers are out): read it while the caller checks the process, then hang up.
          void (whileWatching?.() ?? Promise.resolve()).finally(() => {
            done(false);
            req.destroy();
          });
        }
      });
      if (call.body) {
        // in pieces, so that an early answer (413) is seen while uploading
        const piece = 256 * 1024;
        const writeFrom = (offset: number): void => {
          while (offset < call.body!.length) {
            const slice = call.body!.subarray(offset, offset + piece);
            offset += slice.length;
            uploaded = offset;
            if (!req.write(slice)) {
              req.once("drain", () => writeFrom(offset));
              return;
            }
          }
          req.end();
        };
        writeFrom(0);
      } else {
        req.end();
      }
    });
  }

  // -------------------------------------------------------------------------
  // gRPC

  /** A unary call with these exact request bytes. */
  unary(path: string, bytes: Buffer, timeoutMs = GRPC_TIMEOUT_MS): Promise<GrpcOutcome> {
    const client = this.grpcClient();
    return new Promise<GrpcOutcome>((resolve) => {
      let requestId: string | undefined;
      const call = client.makeUnaryRequest<Buffer, Buffer>(
        path,
        (b) => b,
        (b) => b,
        bytes,
        new Metadata(),
        { deadline: Date.now() + timeoutMs },
        (err: ServiceError | null) => {
          if (!err) return resolve({ code: 0, details: "", messages: 1, local: undefined, requestId });
          requestId ??= metadataText(err.metadata, "krake-request-id");
          const local = err.code === 4 && /^Deadline exceeded/.test(err.details) ? "deadline" : undefined;
          resolve({ code: err.code, details: err.details, messages: 0, local, requestId });
        },
      );
      call.on("status", (s) => {
        requestId ??= metadataText(s.metadata, "krake-request-id");
      });
    }).finally(() => client.close());
  }

  /** A server-streaming call (a watch): cancelled after its first message; its deadline ends a silent one. */
  stream(path: string, bytes: Buffer, deadlineMs = GRPC_WATCH_DEADLINE_MS): Promise<GrpcOutcome> {
    const client = this.grpcClient();
    return new Promise<GrpcOutcome>((resolve) => {
      let messages = 0;
      let cancelled = false;
      const call = client.makeServerStreamRequest<Buffer, Buffer>(path, (b) => b, (b) => b, bytes, new Metadata(), {
        deadline: Date.now() + deadlineMs,
      });
      call.on("data", () => {
        messages++;
        if (!cancelled) {
          cancelled = true;
          call.cancel();
        }
      });
      call.on("error", () => {
        // the status event below has everything
      });
      call.on("status", (s) => {
        let local: GrpcOutcome["local"];
        if (s.code === 1 && cancelled) local = "cancelled";
        else if (s.code === 4 && /^Deadline exceeded/.test(s.details)) local = "deadline";
        resolve({ code: s.code, details: s.details, messages, local, requestId: metadataText(s.metadata, "krake-request-id") });
      });
    }).finally(() => client.close());
  }
}

function metadataText(md: Metadata | undefined, key: string): string | undefined {
  const v = md?.get(key)[0];
  if (v === undefined) return undefined;
  const text = typeof v === "string" ? v : v.toString("utf8");
  // the server sends it JSON-quoted (asciiJsonText)
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === "string" ? parsed : text;
  } catch {
    return text;
  }
}

let shared: Promise<Target> | undefined;

/** The one target of this mocha run, started on first use. */
export function sharedTarget(): Promise<Target> {
  shared ??= Target.start();
  return shared;
}

let users = 0;

/**
 * For a fuzz file's top-level describe, at definition time: the target is
 * stopped when the last describe that uses it has finished (its `after`),
 * not at the end of the whole mocha run.
 */
export function useSharedTarget(): () => Promise<void> {
  users++;
  return async () => {
    users--;
    if (users === 0) await stopSharedTarget();
  };
}

/** Stops the shared target if it was started (also a root-level `after` hook: the safety net under --grep). */
export async function stopSharedTarget(): Promise<void> {
  const t = shared;
  shared = undefined;
  if (t) await (await t).stop();
}
