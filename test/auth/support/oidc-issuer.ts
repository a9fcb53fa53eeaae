/**
 * A real OpenID provider (the `oidc-provider` package) on loopback, issuing
 * real JWT access tokens through the client_credentials grant with a resource
 * indicator, plus the signing key so tests can forge tokens that differ from a
 * valid one in exactly one respect.
 */
import { createServer, request } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair } from "jose";
import type { CryptoKey, JWK } from "jose";
import Provider from "oidc-provider";

export const AUDIENCE = "krake";

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

export async function newSigningKey(kid: string): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(privateKey)), kid, alg: "RS256", use: "sig" } };
}

export interface Issuer {
  issuer: string;
  port: number;
  /** A real access token for a client (its id is the preferred_username claim). */
  token(clientId: string, resource?: string): Promise<string>;
  /** Starts the same issuer (same URL) again with other keys; the first key signs. */
  restart(keys: SigningKey[]): Promise<void>;
  stop(): Promise<void>;
}

export const CLIENTS = ["alice", "bob", "system:admin"];
const SECRET = "s3cret-for-tests";

export async function startIssuer(keys: SigningKey[], port = 0): Promise<Issuer> {
  let server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const bound = (server.address() as AddressInfo).port;
  const issuer = `http://127.0.0.1:${bound}`;
  const attach = (s: Server, signing: SigningKey[]) => {
    const provider = new Provider(issuer, {
      clients: CLIENTS.map((id) => ({
        client_id: id,
        client_secret: SECRET,
        grant_types: ["client_credentials"],
        redirect_uris: [],
        response_types: [],
      })),
      jwks: { keys: signing.map((k) => k.jwk) as never },
      ttl: { ClientCredentials: 300 },
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => "urn:krake:api",
          useGrantedResource: () => true,
          getResourceServerInfo: (_ctx, resource) => ({
            scope: "api",
            audience: resource === "urn:other:api" ? "other" : AUDIENCE,
            accessTokenFormat: "jwt",
            accessTokenTTL: 300,
            jwt: { sign: { alg: "RS256" } },
          }),
        },
      },
      extraTokenClaims: (_ctx, token) => ({ preferred_username: (token as unknown as { clientId: string }).clientId }),
    });
    s.on("request", provider.callback());
  };
  attach(server, keys);
  // node:http without keep-alive, so a restarted issuer never meets a stale pooled connection.
  const token = (clientId: string, resource = "urn:krake:api") =>
    new Promise<string>((resolve, reject) => {
      const form = new URLSearchParams({ grant_type: "client_credentials", resource, scope: "api" }).toString();
      const req = request(`${issuer}/token`, {
        method: "POST",
        agent: false,
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${SECRET}`).toString("base64")}`,
        },
      }, (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (c: string) => (text += c)).on("end", () => {
          const body = JSON.parse(text) as { access_token?: string };
          if (res.statusCode !== 200 || !body.access_token) reject(new Error(`token request failed: ${res.statusCode} ${text}`));
          else resolve(body.access_token);
        });
      });
      req.on("error", reject);
      req.end(form);
    });
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return {
    issuer,
    port: bound,
    token,
    async restart(signing) {
      await close();
      server = createServer();
      await new Promise<void>((resolve) => server.listen(bound, "127.0.0.1", resolve));
      attach(server, signing);
    },
    stop: close,
  };
}
