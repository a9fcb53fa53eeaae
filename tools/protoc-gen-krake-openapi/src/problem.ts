/** The problem+json error body (RFC 7807) and the error responses that carry it. */
import type { JsonObject } from "./json.js";
import type { ComponentSchemas } from "./schemas.js";

export const problemMediaType = "application/problem+json";

const grpcCodeNames = [
  "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE",
  "DATA_LOSS", "UNAUTHENTICATED",
];

/** HTTP status → component name and meaning, for every error status the gateway answers with. */
export const errorResponses: readonly (readonly [number, string, string])[] = [
  [400, "BadRequest", "Malformed request: bad JSON (with its position), an unknown field, an update that changes nothing or an immutable field."],
  [401, "Unauthorized", "No valid identity (UNAUTHENTICATED)."],
  [403, "Forbidden", "The identity may not do this (PERMISSION_DENIED)."],
  [404, "NotFound", "No such object (NOT_FOUND), or no such route."],
  [405, "MethodNotAllowed", "The route exists but not for this HTTP method; the Allow header lists the methods it has."],
  [409, "Conflict", "The object exists (ALREADY_EXISTS) or the write lost a race or a stale resource_version precondition (ABORTED)."],
  [410, "Gone", "The resource_version or continue token is older than the history kept: list again. A watch reports it as its only, ERROR line."],
  [413, "PayloadTooLarge", "The request body is larger than the gateway accepts."],
  [415, "UnsupportedMediaType", "The request body is not JSON."],
  [422, "UnprocessableEntity", "Field validation failed; `errors` names each field."],
  [429, "TooManyRequests", "Too many requests (RESOURCE_EXHAUSTED)."],
  [500, "InternalServerError", "An internal error; `request_id` finds it in the server log."],
  [503, "ServiceUnavailable", "The API or its store is unavailable (UNAVAILABLE); retry later."],
  [504, "GatewayTimeout", "The call did not finish in time (DEADLINE_EXCEEDED)."],
];

export function addProblemSchemas(schemas: ComponentSchemas): { problem: JsonObject; watchError: JsonObject } {
  const fieldError = schemas.add("ProblemFieldError", {
    type: "object",
    description: "One invalid field of the request.",
    properties: {
      field: { type: "string", description: "Dotted path from the object's root, e.g. `metadata.name`." },
      message: { type: "string" },
    },
    required: ["field", "message"],
  });
  const problem = schemas.add("Problem", {
    type: "object",
    description: "An error, as RFC 7807 problem details with Krake's and gRPC's extension members.",
    properties: {
      type: { type: "string", format: "uri-reference", description: "Identifies the kind of problem; `about:blank` when the title says it all." },
      title: { type: "string", description: "Short summary of the kind of problem." },
      status: { type: "integer", format: "int32", description: "The HTTP status code." },
      detail: { type: "string", description: "Explanation of this occurrence." },
      instance: { type: "string", format: "uri-reference", description: "The request path this occurrence is about." },
      code: { type: "string", enum: grpcCodeNames, description: "The name of the gRPC status code the call failed with." },
      request_id: { type: "string", description: "Identifies the request in the server log." },
      errors: { type: "array", items: fieldError, description: "Per-field messages of a validation failure." },
    },
    required: ["type", "title", "status"],
  });
  const watchError = schemas.add("WatchErrorEvent", {
    type: "object",
    description: "The last line of a watch stream that failed; the stream ends after it.",
    properties: { type: { const: "ERROR" }, object: problem },
    required: ["type", "object"],
  });
  return { problem, watchError };
}

export function errorResponseComponents(problem: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [status, name, description] of errorResponses) {
    out[name] = {
      description,
      ...(status === 405 ? { headers: { Allow: { description: "The methods the route has.", schema: { type: "string" } } } } : {}),
      content: { [problemMediaType]: { schema: problem } },
    };
  }
  return out;
}

export function errorResponseRefs(): JsonObject {
  const out: JsonObject = {};
  for (const [status, name] of errorResponses) out[String(status)] = { $ref: `#/components/responses/${name}` };
  return out;
}
