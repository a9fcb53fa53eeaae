/**
 * A stand-in for OpenStack Keystone that speaks its v3 token API on loopback
 * (we cannot run Keystone here): POST /v3/auth/tokens issues a token for a
 * password identity (201, token in X-Subject-Token), GET validates one (the
 * caller's X-Auth-Token must be valid, the X-Subject-Token is described: 200,
 * 401 or 404 as Keystone answers), DELETE revokes one.
 */
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface KeystoneServer {
  endpoint: string;
  /** GET /v3/auth/tokens requests served. */
  validations: number;
  /** Answers every request with this status instead (simulating an outage), when set. */
  failWith: number | undefined;
  issue(user: string, password: string, lifetimeMs?: number): Promise<string>;
  revoke(token: string): void;
  stop(): Promise<void>;
}

interface Token {
  user: { id: string; name: string };
  issuedAt: Date;
  expiresAt: Date;
}

export async function startKeystone(users: Record<string, string>): Promise<KeystoneServer> {
  const tokens = new Map<string, Token>();
  const state: KeystoneServer = {
    endpoint: "",
    validations: 0,
    failWith: undefined,
    issue: async () => "",
    revoke: (token) => tokens.delete(token),
    stop: async () => {},
  };
  const error = (res: ServerResponse, code: number, title: string, message: string) => {
    res.writeHead(code, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: { code, title, message } }));
  };
  const valid = (token: string | string[] | undefined): Token | undefined => {
    const t = typeof token === "string" ? tokens.get(token) : undefined;
    return t && t.expiresAt.getTime() > Date.now() ? t : undefined;
  };
  const lifetimes = new Map<string, number>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = "";
    req.setEncoding("utf8").on("data", (c: string) => (body += c)).on("end", () => {
      if (state.failWith) return error(res, state.failWith, "Service Unavailable", "try later");
      if (req.url !== "/v3/auth/tokens") return error(res, 404, "Not Found", "no such route");
      if (req.method === "POST") {
        const auth = (JSON.parse(body || "{}") as { auth?: { identity?: { password?: { user?: { name?: string; password?: string } } } } }).auth;
        const u = auth?.identity?.password?.user;
        if (!u?.name || users[u.name] === undefined || users[u.name] !== u.password) {
          return error(res, 401, "Unauthorized", "The request you have made requires authentication.");
        }
        const id = `gAAAAA${randomBytes(24).toString("base64url")}`;
        const now = new Date();
        const token: Token = { user: { id: `id-${u.name}`, name: u.name }, issuedAt: now, expiresAt: new Date(now.getTime() + (lifetimes.get(u.name) ?? 3_600_000)) };
        tokens.set(id, token);
        res.writeHead(201, { "content-type": "application/json", "x-subject-token": id });
        return res.end(JSON.stringify(describe(token)));
      }
      if (req.method === "GET") {
        state.validations++;
        if (!valid(req.headers["x-auth-token"])) return error(res, 401, "Unauthorized", "The request you have made requires authentication.");
        const subject = req.headers["x-subject-token"];
        const token = valid(subject);
        if (!token) return error(res, 404, "Not Found", `Could not find token: ${String(subject)}.`);
        res.writeHead(200, { "content-type": "application/json", "x-subject-token": String(subject) });
        return res.end(JSON.stringify(describe(token)));
      }
      if (req.method === "DELETE") {
        tokens.delete(String(req.headers["x-subject-token"]));
        res.writeHead(204);
        return res.end();
      }
      error(res, 405, "Method Not Allowed", "");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v3`;
  state.issue = async (user, password, lifetimeMs) => {
    if (lifetimeMs !== undefined) lifetimes.set(user, lifetimeMs);
    const res = await fetch(`${state.endpoint}/auth/tokens`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ auth: { identity: { methods: ["password"], password: { user: { name: user, domain: { name: "Default" }, password } } } } }),
    });
    lifetimes.delete(user);
    const token = res.headers.get("x-subject-token");
    await res.body?.cancel();
    if (res.status !== 201 || !token) throw new Error(`keystone refused to issue a token: ${res.status}`);
    return token;
  };
  state.stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return state;
}

function describe(t: Token) {
  return {
    token: {
      methods: ["password"],
      user: { domain: { id: "default", name: "Default" }, id: t.user.id, name: t.user.name, password_expires_at: null },
      audit_ids: [randomBytes(8).toString("base64url")],
      expires_at: t.expiresAt.toISOString(),
      issued_at: t.issuedAt.toISOString(),
    },
  };
}
