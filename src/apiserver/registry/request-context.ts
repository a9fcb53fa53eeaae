/** Who is calling, and for which request; built by the transport before any handler runs. */
export interface RequestContext {
  /** The authenticated user, "system:anonymous" when there is none. */
  user: string;
  /** The user's groups (certificate O entries, a token's groups claim), when authenticated. */
  groups?: string[];
  /** For logs and error responses. */
  requestId: string;
  /** Aborted when the client goes away. */
  signal?: AbortSignal;
}

const clientRequestId = /^[\x21-\x7e]{1,128}$/;

/**
 * The request id a client sent (`x-request-id`), when it is one we may echo
 * in headers and trailers (printable ASCII, at most 128 characters); a fresh
 * one otherwise.
 */
export function requestIdFrom(sent: unknown, fresh: () => string): string {
  return typeof sent === "string" && clientRequestId.test(sent) ? sent : fresh();
}
