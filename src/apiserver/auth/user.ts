/** Who made a request, as the authentication chain established it. */
export interface UserInfo {
  /** The user name RoleBindings refer to: a certificate's CN, a token's claim, the static name. */
  name: string;
  /** Group names (a certificate's O entries, a token's groups claim); RoleBindings may bind them. */
  groups: string[];
  /** The provider that established the identity: "static", "tls", "oidc", "keystone", "anonymous". */
  provider: string;
}

/** The user of a request without credentials, when anonymous access is allowed. */
export const ANONYMOUS_USER = "system:anonymous";

export const anonymousUser: UserInfo = Object.freeze({ name: ANONYMOUS_USER, groups: [], provider: "anonymous" }) as UserInfo;

/** By name, so that a context that kept only the name still tells. */
export function isAnonymous(user: Pick<UserInfo, "name">): boolean {
  return user.name === ANONYMOUS_USER;
}

/** The user of a request context (transports keep the name and groups). */
export function userOf(ctx: { user: string; groups?: string[] }): UserInfo {
  return { name: ctx.user, groups: ctx.groups ?? [], provider: "" };
}
