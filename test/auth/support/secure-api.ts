/**
 * krake-api with TLS, client certificates and RBAC, for the auth tests: a
 * development PKI made by scripts/certs.sh (the same script as `make certs`),
 * typed gRPC clients and an HTTPS client per user, and base roles loaded with
 * krake-bootstrap's loader.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { Agent, request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { credentials } from "@grpc/grpc-js";
import type { ChannelCredentials } from "@grpc/grpc-js";
import type { ClientCertMode } from "../../../src/apiserver/auth/tls.js";
import type { ProviderConfig } from "../../../src/apiserver/auth/config.js";
import { parseDocuments, prepareResources } from "../../../src/apiserver/bootstrap/documents.js";
import { loadResources } from "../../../src/apiserver/bootstrap/load.js";
import { krakeClients } from "../../../src/client/clients.js";
import type { KrakeClients } from "../../../src/client/clients.js";
import { EtcdStore } from "../../../src/store/etcd-store.js";
import { startApi, uniquePrefix } from "../../fixtures/api.js";
import type { ApiHarness } from "../../fixtures/api.js";
import type { EtcdProcess } from "../../fixtures/etcd.js";

export interface Identity {
  cert: Buffer;
  key: Buffer;
}

/** A CA with a server certificate and client certificates, plus a second, unrelated CA. */
export interface Pki {
  dir: string;
  ca: Buffer;
  serverCert: string;
  serverKey: string;
  caPath: string;
  /** A client certificate of the main CA: CN = user, O = groups (made on first use). */
  user(name: string, ...groups: string[]): Identity;
  /** A client certificate from the other CA (same CN). */
  stranger(name: string): Identity;
  remove(): void;
}

const script = new URL("../../../scripts/certs.sh", import.meta.url).pathname;

export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), "krake-pki-"));
  const main = join(dir, "main");
  const other = join(dir, "other");
  execFileSync(script, [main], { stdio: "ignore" });
  execFileSync(script, [other], { stdio: "ignore" });
  const issue = (base: string, name: string, groups: string[]): Identity => {
    const path = execFileSync(script, [base, "client", name, ...groups], { encoding: "utf8" }).trim();
    return { cert: readFileSync(path), key: readFileSync(path.replace(/\.pem$/, "-key.pem")) };
  };
  const cache = new Map<string, Identity>();
  return {
    dir,
    ca: readFileSync(join(main, "ca.pem")),
    caPath: join(main, "ca.pem"),
    serverCert: join(main, "server.pem"),
    serverKey: join(main, "server-key.pem"),
    user(name, ...groups) {
      let id = cache.get(name);
      if (!id) cache.set(name, (id = issue(main, name, groups)));
      return id;
    },
    stranger(name) {
      return issue(other, name, []);
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface SecureApiOptions {
  clientCert: ClientCertMode;
  authorization: string;
  allowAnonymous?: boolean;
  providers?: ProviderConfig[];
  prefix?: string;
}

export interface SecureApi {
  api: ApiHarness;
  /** The CA that signed the server's certificate. */
  ca: Buffer;
  grpcAddress: string;
  restPort: number;
  /** gRPC clients presenting `id` (none: no client certificate). */
  clients(id?: Identity, metadata?: Record<string, string>): KrakeClients;
  channel(id?: Identity): ChannelCredentials;
  /** One HTTPS request presenting `id`. */
  rest(id: Identity | undefined, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<RestAnswer>;
  stop(): Promise<void>;
}

export interface RestAnswer {
  status: number;
  text: string;
  json: Record<string, unknown>;
}

/** gRPC channel options: verify the server as "localhost" (its certificate's name) when dialling 127.0.0.1. */
export const channelOptions = { "grpc.ssl_target_name_override": "localhost" };

export async function startSecureApi(etcd: EtcdProcess, pki: Pki, opts: SecureApiOptions): Promise<SecureApi> {
  const tls = { cert: pki.serverCert, key: pki.serverKey, client_ca: opts.clientCert === "none" ? "" : pki.caPath, client_cert: opts.clientCert };
  const api = await startApi(etcd, {
    grpc: { tls } as never,
    http: { tls } as never,
    authentication: { allowAnonymous: opts.allowAnonymous ?? false, providers: opts.providers ?? [{ type: "tls" }] } as never,
    authorization: opts.authorization,
  }, opts.prefix ?? uniquePrefix());
  const grpcAddress = `127.0.0.1:${api.server.grpcPort}`;
  const open: KrakeClients[] = [];
  const agents = new Map<Identity | undefined, Agent>();
  const channel = (id?: Identity) => (id ? credentials.createSsl(pki.ca, id.key, id.cert) : credentials.createSsl(pki.ca));
  return {
    api,
    ca: pki.ca,
    grpcAddress,
    restPort: api.server.httpPort,
    channel,
    clients(id) {
      const c = krakeClients(grpcAddress, channel(id), channelOptions);
      open.push(c);
      return c;
    },
    rest(id, method, path, body, headers = {}) {
      let agent = agents.get(id);
      if (!agent) agents.set(id, (agent = new Agent({ ca: pki.ca, cert: id?.cert, key: id?.key, keepAlive: true, servername: "localhost" })));
      return new Promise<RestAnswer>((resolve, reject) => {
        const payload = body === undefined ? undefined : JSON.stringify(body);
        const req = request({
          host: "127.0.0.1",
          port: api.server.httpPort,
          method,
          path,
          agent,
          headers: { ...(payload ? { "content-type": "application/json" } : {}), ...headers },
        }, (res) => {
          let text = "";
          res.setEncoding("utf8").on("data", (c: string) => (text += c)).on("end", () => {
            let json: Record<string, unknown> = {};
            try {
              json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
            } catch {
              // NDJSON or text
            }
            resolve({ status: res.statusCode ?? 0, text, json });
          });
        });
        req.on("error", reject);
        req.end(payload);
      });
    },
    async stop() {
      for (const c of open) c.close();
      for (const a of agents.values()) a.destroy();
      await api.stop();
    },
  };
}

/** Loads YAML resources straight into the store (krake-bootstrap's loader), e.g. config/base-roles.yaml. */
export async function bootstrapInto(etcd: EtcdProcess, prefix: string, ...texts: string[]): Promise<void> {
  const store = new EtcdStore({ endpoints: [etcd.endpoint] });
  try {
    const docs = texts.flatMap((t, i) => parseDocuments(t, `input-${i}`));
    await loadResources(store, prepareResources(docs, prefix), "fail");
  } finally {
    await store.close();
  }
}

export const baseRoles = readFileSync(new URL("../../../config/base-roles.yaml", import.meta.url), "utf8");
