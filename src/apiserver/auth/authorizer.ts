import { ApiError } from "../../errors/api-error.js";
import type { ResourceAttributes } from "./attributes.js";
import { describeAttributes } from "./attributes.js";
import type { UserInfo } from "./user.js";

export type AuthorizationMode = "always-allow" | "always-deny" | "rbac";

export const AUTHORIZATION_MODES: readonly AuthorizationMode[] = ["always-allow", "always-deny", "rbac"];

/**
 * Decides whether a user may do what a request asks. Synchronous and cheap:
 * it runs before every call and again on every event of an open watch.
 */
export interface Authorizer {
  readonly mode: AuthorizationMode;
  /** Moves whenever an earlier decision may have changed (e.g. a Role was edited). */
  readonly version: number;
  /** Returns when allowed; throws PERMISSION_DENIED, or UNAUTHENTICATED when the user must authenticate first. */
  authorize(user: UserInfo, attrs: ResourceAttributes): void;
}

export class AlwaysAllow implements Authorizer {
  readonly mode = "always-allow";
  readonly version = 0;

  authorize(): void {}
}

export class AlwaysDeny implements Authorizer {
  readonly mode = "always-deny";
  readonly version = 0;

  authorize(user: UserInfo, attrs: ResourceAttributes): void {
    throw forbidden(user, attrs, "every request is denied (authorization: always-deny)");
  }
}

export function forbidden(user: UserInfo, attrs: ResourceAttributes, why?: string): ApiError {
  return ApiError.forbidden(`User "${user.name}" may not ${describeAttributes(attrs)}${why ? `: ${why}` : ""}`);
}
