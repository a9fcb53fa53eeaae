/**
 * The REST surface of a set of services: every http binding becomes an
 * operation (HTTP method + path). A server-streaming method whose GET binding
 * has the same path as a unary GET (Watch next to List) does not get its own
 * operation: it is selected on the unary one by the `watch` query flag.
 */
import type { DescExtension, DescMethod, DescService } from "@bufbuild/protobuf";
import { resolveFieldPath } from "./descriptors.js";
import { httpBindings } from "./http-rules.js";
import type { HttpBinding } from "./http-rules.js";
import { openApiPath, pathFields } from "./path-template.js";
import { wellKnownMessage } from "./well-known.js";

/** One binding of one method. */
export interface BoundMethod {
  readonly method: DescMethod;
  readonly binding: HttpBinding;
  /** Position in the method's bindings: 0 for the rule itself. */
  readonly index: number;
}

export interface Operation {
  /** Upper-case HTTP method. */
  readonly httpMethod: string;
  /** OpenAPI path: `/kubernetes/namespaces/{namespace}/applications`. */
  readonly path: string;
  /** The unary method served here, if any. */
  readonly unary?: BoundMethod;
  /** The server-streaming method served here: with `?watch` when `unary` is set, else always. */
  readonly stream?: BoundMethod;
}

export interface MethodRoutes {
  readonly service: DescService;
  readonly method: DescMethod;
  readonly bindings: readonly HttpBinding[];
  /** Per binding: the server-streaming method shares the path with a unary GET, so `watch` selects it. */
  readonly watchFlag: readonly boolean[];
}

export interface RouteTable {
  readonly operations: readonly Operation[];
  /** Methods with at least one binding, in declaration order. */
  readonly methods: readonly MethodRoutes[];
}

function describe(m: DescMethod): string {
  return `${m.parent.typeName}.${m.name}`;
}

/** Path variables must name singular scalar fields of the request; body and response_body must name fields. */
function checkBinding(method: DescMethod, binding: HttpBinding): void {
  for (const path of pathFields(binding.template)) {
    const field = resolveFieldPath(method.input, path).pop();
    const scalar =
      field?.fieldKind === "scalar" ||
      field?.fieldKind === "enum" ||
      (field?.fieldKind === "message" && ["wrapper", "timestamp", "duration", "field-mask"].includes(wellKnownMessage(field.message)?.kind ?? ""));
    if (!scalar) throw new Error(`${describe(method)}: path variable "${path}" must be a scalar field`);
  }
  if (binding.body !== "" && binding.body !== "*") resolveFieldPath(method.input, binding.body);
  if (binding.responseBody !== "") resolveFieldPath(method.output, binding.responseBody);
}

export function buildRouteTable(services: readonly DescService[], extension: DescExtension | undefined): RouteTable {
  const operations = new Map<string, { httpMethod: string; path: string; unary?: BoundMethod; stream?: BoundMethod }>();
  const bound: { service: DescService; method: DescMethod; bindings: HttpBinding[] }[] = [];
  for (const service of services) {
    for (const method of service.methods) {
      const bindings = httpBindings(method, extension);
      if (bindings.length === 0) continue;
      if (method.methodKind !== "unary" && method.methodKind !== "server_streaming") {
        throw new Error(`${describe(method)}: ${method.methodKind} methods have no REST mapping; remove its google.api.http rule`);
      }
      for (const binding of bindings) checkBinding(method, binding);
      bound.push({ service, method, bindings });
    }
  }
  const key = (b: HttpBinding): string => `${b.method} ${openApiPath(b.template)}`;
  // Unary methods first, so a Watch declared before its List still pairs with it.
  for (const { method, bindings } of bound) {
    if (method.methodKind !== "unary") continue;
    bindings.forEach((binding, index) => {
      const k = key(binding);
      const taken = operations.get(k);
      if (taken?.unary) throw new Error(`${describe(method)}: route ${k} is already taken by ${describe(taken.unary.method)}`);
      operations.set(k, { httpMethod: binding.method, path: openApiPath(binding.template), unary: { method, binding, index } });
    });
  }
  const methods: MethodRoutes[] = [];
  for (const { service, method, bindings } of bound) {
    const watchFlag = bindings.map((binding, index) => {
      if (method.methodKind !== "server_streaming") return false;
      const k = key(binding);
      const taken = operations.get(k);
      if (taken?.stream) throw new Error(`${describe(method)}: route ${k} is already taken by ${describe(taken.stream.method)}`);
      if (taken && binding.method !== "GET") {
        throw new Error(`${describe(method)}: only a GET stream can share a route with a unary method (${k})`);
      }
      const stream = { method, binding, index };
      if (taken) taken.stream = stream;
      else operations.set(k, { httpMethod: binding.method, path: openApiPath(binding.template), stream });
      return taken !== undefined;
    });
    methods.push({ service, method, bindings, watchFlag });
  }
  return { operations: [...operations.values()], methods };
}
