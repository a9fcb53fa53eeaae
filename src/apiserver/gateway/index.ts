// The REST/JSON gateway: krake-api's HTTP transport.
export { Gateway } from "./gateway.js";
export type { GatewayOptions, HttpConfig } from "./gateway.js";
export { JsonEncoder } from "./json/encode.js";
export { JsonDecoder } from "./json/decode.js";
export { httpStatusOf, toProblem, HttpError } from "./problem.js";
export type { Problem } from "./problem.js";
export { defaultMaxBodyBytes } from "./request-body.js";
