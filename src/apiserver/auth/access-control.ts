import type { ApiError } from "../../errors/api-error.js";
import type { StoreCache } from "../watchcache/store-cache.js";
import type { MethodAccess, ResourceAttributes } from "./attributes.js";
import type { AuthenticationChain } from "./authenticator.js";
import type { Authorizer } from "./authorizer.js";
import type { Credentials } from "./credentials.js";
import type { RbacIndex } from "./rbac-index.js";
import type { UserInfo } from "./user.js";

/** The answer of `GET /me` (Krake's `{user, roles}`, plus the groups). */
export interface WhoAmI {
  user: string;
  groups: string[];
  /** Names of the Roles bound to the user directly or through its groups. */
  roles: string[];
}

/** A request that passed the gate. */
export interface Admission {
  user: UserInfo;
  attrs: ResourceAttributes;
  /** For a watch: ask on every event; an error means "close the stream with it". */
  guard: () => ApiError | undefined;
}

/**
 * The one gate every request passes, whatever its transport: authenticate
 * the credentials, then authorize what the request does, before any handler
 * runs. Long-running requests (watch) ask `watchGuard` again on each event.
 */
export class AccessControl {
  readonly authentication: AuthenticationChain;
  readonly authorizer: Authorizer;
  private readonly index: RbacIndex;
  private readonly cache: StoreCache;
  /** The newest Role/RoleBinding write this process made; decisions wait until the cache has it. */
  private rbacWriteRevision = 0;

  constructor(authentication: AuthenticationChain, authorizer: Authorizer, index: RbacIndex, cache: StoreCache) {
    this.authentication = authentication;
    this.authorizer = authorizer;
    this.index = index;
    this.cache = cache;
  }

  /**
   * Authenticates and authorizes one call of a kind's method, before any of
   * its work: a caller who may not read a namespace gets PERMISSION_DENIED
   * whether the object exists or not.
   */
  async admit(creds: Credentials, method: MethodAccess, request: Record<string, unknown>): Promise<Admission> {
    const user = await this.authenticate(creds);
    const attrs = method.attributes(request);
    await this.authorize(user, attrs);
    return { user, attrs, guard: method.verb === "watch" ? this.watchGuard(user, attrs) : noGuard };
  }

  /** The caller's identity; throws UNAUTHENTICATED (or UNAVAILABLE when an identity service is down). */
  authenticate(creds: Credentials): Promise<UserInfo> {
    return this.authentication.authenticate(creds);
  }

  /**
   * Throws PERMISSION_DENIED/UNAUTHENTICATED unless `user` may do `attrs`.
   * A Role or RoleBinding written through this process counts from the next
   * request on: the decision waits, if need be, until the watch cache has it.
   */
  async authorize(user: UserInfo, attrs: ResourceAttributes): Promise<void> {
    if (this.rbacWriteRevision > this.cache.revision) await this.cache.waitFor(this.rbacWriteRevision);
    this.authorizer.authorize(user, attrs);
  }

  /**
   * For an open watch that was authorized: returns the error to close it with
   * once `user` may no longer do `attrs`. O(1) while no Role or RoleBinding
   * changed; after a change, one decision (cached for every other watch).
   */
  watchGuard(user: UserInfo, attrs: ResourceAttributes): () => ApiError | undefined {
    let checkedAt = this.authorizer.version;
    let denied: ApiError | undefined;
    return () => {
      if (denied || this.authorizer.version === checkedAt) return denied;
      checkedAt = this.authorizer.version;
      try {
        this.authorizer.authorize(user, attrs);
      } catch (err) {
        denied = err as ApiError;
      }
      return denied;
    };
  }

  /** A Role/RoleBinding write at `revision` (see observeRbacWrites): later decisions wait until the cache has it. */
  noteRbacWrite(revision: number): void {
    if (revision > this.rbacWriteRevision) this.rbacWriteRevision = revision;
  }

  whoami(user: UserInfo): WhoAmI {
    return { user: user.name, groups: user.groups, roles: this.index.rolesOf(user.name, user.groups) };
  }
}

const noGuard = (): undefined => undefined;
