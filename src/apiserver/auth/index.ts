// Authentication and authorization of krake-api, for both transports.
export { AccessControl } from "./access-control.js";
export type { WhoAmI } from "./access-control.js";
export { describeAttributes, methodAccess, methodAccessOf } from "./attributes.js";
export type { MethodAccess, ResourceAttributes, Verb } from "./attributes.js";
export { AuthenticationChain } from "./authenticator.js";
export type { Authenticator, AuthResult } from "./authenticator.js";
export { AlwaysAllow, AlwaysDeny, AUTHORIZATION_MODES } from "./authorizer.js";
export type { AuthorizationMode, Authorizer } from "./authorizer.js";
export {
  buildAuthenticators,
  checkSecurityConfig,
  createAccessControl,
  defaultAuthentication,
  defaultAuthorization,
  isLoopback,
} from "./config.js";
export type { AuthenticationConfig, ListenerConfig, ProviderConfig, SecurityConfig } from "./config.js";
export { bearerToken, presentsCredentials } from "./credentials.js";
export type { ClientCertificate, Credentials } from "./credentials.js";
export { GrpcTlsListener } from "./grpc-tls-listener.js";
export { RbacAuthorizer, ruleAllows } from "./rbac.js";
export { RbacIndex } from "./rbac-index.js";
export { clientCertificateOf, CLIENT_CERT_MODES, defaultTlsConfig, serverTlsOptions, tlsEnabled } from "./tls.js";
export type { ClientCertMode, TlsListenerConfig } from "./tls.js";
export { ANONYMOUS_USER, anonymousUser, isAnonymous, userOf } from "./user.js";
export type { UserInfo } from "./user.js";
export type { Admission } from "./access-control.js";
export { grpcCredentials, httpCredentials } from "./transport-credentials.js";
export { observeRbacWrites } from "./rbac-writes.js";
