import { createServer } from "node:tls";
import type { Server as TlsServer, TLSSocket } from "node:tls";
import { ServerCredentials } from "@grpc/grpc-js";
import type { Server } from "@grpc/grpc-js";
import type { ClientCertificate } from "./credentials.js";
import type { TlsListenerConfig } from "./tls.js";
import { clientCertificateOf, serverTlsOptions } from "./tls.js";

/**
 * The gRPC listener when TLS is on. We terminate TLS ourselves and hand each
 * established connection to grpc-js (`createConnectionInjector`), because
 * grpc-js only reports a peer certificate it verified: with optional client
 * certificates an unverified one would look like none and could slip through
 * as anonymous. Here every call can see the certificate and its verdict.
 */
export class GrpcTlsListener {
  readonly port: number;
  private readonly tls: TlsServer;
  private readonly injector: ReturnType<Server["createConnectionInjector"]>;
  private readonly peers = new Map<string, ClientCertificate | undefined>();
  private readonly sockets = new Set<TLSSocket>();
  private closed: Promise<void> | undefined;

  private constructor(tls: TlsServer, injector: ReturnType<Server["createConnectionInjector"]>, port: number) {
    this.tls = tls;
    this.injector = injector;
    this.port = port;
  }

  static async listen(server: Server, host: string, port: number, cfg: TlsListenerConfig): Promise<GrpcTlsListener> {
    const injector = server.createConnectionInjector(ServerCredentials.createInsecure());
    const tls = createServer({ ...serverTlsOptions(cfg), ALPNProtocols: ["h2"] });
    const bound = await new Promise<number>((resolve, reject) => {
      tls.once("error", reject);
      tls.listen(port, host, () => {
        tls.off("error", reject);
        resolve((tls.address() as { port: number }).port);
      });
    });
    const listener = new GrpcTlsListener(tls, injector, bound);
    const requestsCert = cfg.clientCert !== "none";
    tls.on("secureConnection", (socket: TLSSocket) => {
      const key = peerKey(socket);
      if (requestsCert) listener.peers.set(key, clientCertificateOf(socket));
      listener.sockets.add(socket);
      socket.once("close", () => {
        listener.peers.delete(key);
        listener.sockets.delete(socket);
      });
      injector.injectConnection(socket);
    });
    // Failed handshakes (wrong CA, no certificate where required) end there; nothing to serve.
    tls.on("tlsClientError", () => {});
    return listener;
  }

  /** The client certificate of the connection a call arrived on, by the call's `getPeer()` ("address:port"). */
  clientCertificate(peer: string): ClientCertificate | undefined {
    return this.peers.get(peer);
  }

  /**
   * Refuses new connections; the open ones stay until `close()`. Called when
   * shutdown starts: a client that keeps reconnecting would otherwise keep
   * grpc-js from ever finishing its drain.
   */
  stopAccepting(): void {
    if (this.closed) return;
    this.closed = new Promise<void>((resolve) => this.tls.close(() => resolve()));
  }

  /** Stops accepting connections and drops the open ones (after grpc-js has drained its calls). */
  close(): Promise<void> {
    this.stopAccepting();
    this.injector.destroy();
    for (const socket of this.sockets) socket.destroy();
    return this.closed!;
  }
}

function peerKey(socket: TLSSocket): string {
  // The form of grpc-js' call.getPeer().
  return `${socket.remoteAddress}:${socket.remotePort}`;
}
