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
