/**
 * How Krake asks an application to shut down: `PUT http://<host:port>/shutdown`
 * on the address the application's Service named `shutdown` exposes
 * (`status.services["shutdown"]`, KubernetesClient.shutdown in Krake). The
 * application answers at once and, when it has cleaned up, calls the
 * `shutdown` subresource of its Application with its token.
 */
import type { Application } from "../../../../gen/krake/kubernetes/v1/application.js";

/** The Service whose address receives the shutdown call. */
export const SHUTDOWN_SERVICE = "shutdown";

/** Sends the shutdown request; resolves when the application answered 2xx, rejects saying why otherwise. */
export type ShutdownCall = (url: string, signal: AbortSignal) => Promise<void>;

/** The URL to call, or undefined when the application exposes no `shutdown` Service. */
export function shutdownUrl(app: Application): string | undefined {
  const address = app.status?.services?.[SHUTDOWN_SERVICE];
  if (!address || address.includes("<pending>")) return undefined;
  return `http://${address}/shutdown`;
}

/** The default ShutdownCall: an HTTP PUT without body, within the signal's time. */
export const httpShutdownCall: ShutdownCall = async (url, signal) => {
  let res: Response;
  try {
    res = await fetch(url, { method: "PUT", signal });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`PUT ${url} failed: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
  }
  await res.body?.cancel();
  if (res.status < 200 || res.status > 299) throw new Error(`PUT ${url} answered ${res.status}`);
};
