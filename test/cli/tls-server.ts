/**
 * For krakectl's TLS and error-code tests while krake-api does not serve TLS
 * or authenticate: a real grpc-js server over TLS that requires a client
 * certificate and serves ApplicationService.ListApplications only (every
 * other method answers UNIMPLEMENTED). It records who called (the client
 * certificate's CN and the authorization header); a bearer token "deny" or
 * "nobody" makes it answer PERMISSION_DENIED or UNAUTHENTICATED.
 * Certificates come from the machine's openssl.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { Server, ServerCredentials, status } from "@grpc/grpc-js";
import type { sendUnaryData, ServerUnaryCall, UntypedServiceImplementation } from "@grpc/grpc-js";
import {
  ApplicationServiceService,
  ListApplicationsResponse,
} from "../../gen/krake/kubernetes/v1/application.js";
import type { ListApplicationsRequest } from "../../gen/krake/kubernetes/v1/application.js";
import type { Workdir } from "./harness.js";

export function haveOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export interface Pki {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A CA that signed nothing here: trusting only it must fail. */
  otherCa: string;
}

/** A CA, a server certificate for localhost/127.0.0.1 and a client certificate for `clientCn`, in `work`. */
export function makePki(work: Workdir, clientCn: string): Pki {
  const run = (...args: string[]) => execFileSync("openssl", args, { cwd: work.dir, stdio: ["ignore", "ignore", "pipe"] });
  const key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  run("req", "-x509", ...key, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=krakectl-test-ca");
  run("req", "-x509", ...key, "-keyout", "other-ca.key", "-out", "other-ca.pem", "-days", "2", "-subj", "/CN=other-ca");
  const issue = (name: string, cn: string, ext: string) => {
    run("req", ...key, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${cn}`);
    writeFileSync(work.path(`${name}.ext`), `${ext}\n`);
    run("x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", `${name}.pem`, "-days", "2", "-extfile", `${name}.ext`);
  };
  issue("server", "localhost", "subjectAltName=DNS:localhost,IP:127.0.0.1");
  issue("client", clientCn, "extendedKeyUsage=clientAuth");
  return {
    ca: work.path("ca.pem"),
    serverCert: work.path("server.pem"),
    serverKey: work.path("server.key"),
    clientCert: work.path("client.pem"),
    clientKey: work.path("client.key"),
    otherCa: work.path("other-ca.pem"),
  };
}

export interface SeenCall {
  commonName: string | undefined;
  authorization: string | undefined;
  namespace: string;
}

export interface TlsListServer {
  port: number;
  calls: SeenCall[];
  stop(): Promise<void>;
}

export async function startTlsListServer(pki: Pki): Promise<TlsListServer> {
  const calls: SeenCall[] = [];
  const server = new Server();
  const impl = {
    listApplications(call: ServerUnaryCall<ListApplicationsRequest, ListApplicationsResponse>, done: sendUnaryData<ListApplicationsResponse>) {
      const subject = call.getAuthContext()?.sslPeerCertificate?.subject as { CN?: string } | undefined;
      const authorization = call.metadata.get("authorization")[0] as string | undefined;
      calls.push({ commonName: subject?.CN, authorization, namespace: call.request.namespace });
      if (authorization === "Bearer deny") return done({ code: status.PERMISSION_DENIED, details: "alice may not list applications in team-a" });
      if (authorization === "Bearer nobody") return done({ code: status.UNAUTHENTICATED, details: "invalid bearer token" });
      done(
        null,
        ListApplicationsResponse.fromPartial({
          api: "kubernetes",
          kind: "ApplicationList",
          metadata: { resourceVersion: "7" },
          items: [{ api: "kubernetes", kind: "Application", metadata: { name: "over-tls", namespace: call.request.namespace } }],
        }),
      );
    },
  };
  server.addService(ApplicationServiceService, impl as unknown as UntypedServiceImplementation);
  const credentials = ServerCredentials.createSsl(
    readFileSync(pki.ca),
    [{ private_key: readFileSync(pki.serverKey), cert_chain: readFileSync(pki.serverCert) }],
    true,
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", credentials, (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    port,
    calls,
    stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
