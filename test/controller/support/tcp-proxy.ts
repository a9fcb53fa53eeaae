/**
 * A TCP proxy on loopback in front of a server, to cut a client off the way
 * a network failure does (connections reset, new ones refused) and to let it
 * back in, while the server itself keeps running.
 */
import { createConnection, createServer } from "node:net";
import type { Socket } from "node:net";
import type { AddressInfo } from "node:net";

export interface TcpProxy {
  /** `127.0.0.1:PORT`. */
  readonly address: string;
  /** Resets every open connection and refuses new ones until `restore()`. */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const [host, portText] = [target.slice(0, target.lastIndexOf(":")), target.slice(target.lastIndexOf(":") + 1)];
  const sockets = new Set<Socket>();
  let blocked = false;
  const server = createServer((client) => {
    if (blocked) {
      client.resetAndDestroy();
      return;
    }
    const upstream = createConnection({ host, port: Number(portText) });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    address: `127.0.0.1:${port}`,
    cut() {
      blocked = true;
      for (const s of sockets) s.resetAndDestroy();
    },
    restore() {
      blocked = false;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
