/**
 * Prints one client class per service: a method per RPC with google.api.http
 * bindings, returning a Promise (unary) or an AsyncIterable (server stream).
 * Route data (bindings as literal path parts and fields) is emitted as data
 * for the shared runtime, which builds URLs and bodies.
 */
import type { DescField, DescMethod, DescService } from "@bufbuild/protobuf";
import type { GeneratedFile, Printable } from "@bufbuild/protoplugin";
import { commentOf, resolveFieldPath } from "../../protoc-gen-krake-openapi/src/shared/descriptors.js";
import type { HttpBinding } from "../../protoc-gen-krake-openapi/src/shared/http-rules.js";
import { openApiPath, pathFields } from "../../protoc-gen-krake-openapi/src/shared/path-template.js";
import type { MethodRoutes } from "../../protoc-gen-krake-openapi/src/shared/routes.js";
import { fieldType, runtimeImportPath, typeSymbol } from "./types.js";

function pathLiteral(binding: HttpBinding): string {
  const parts: string[] = [];
  let text = "";
  for (const segment of binding.template.segments) {
    text += "/";
    if (segment.kind === "literal") {
      text += segment.value;
    } else {
      parts.push(JSON.stringify(text), `{ field: ${JSON.stringify(segment.field)}, multi: ${segment.pattern !== "*"} }`);
      text = "";
    }
  }
  if (binding.template.verb) text += `:${binding.template.verb}`;
  if (text) parts.push(JSON.stringify(text));
  return `[${parts.join(", ")}]`;
}

function routeLiteral(route: MethodRoutes): string {
  const bindings = route.bindings.map(
    (b, i) =>
      `      { method: ${JSON.stringify(b.method)}, path: ${pathLiteral(b)}, body: ${JSON.stringify(b.body)}, watch: ${route.watchFlag[i] ?? false} },`,
  );
  return [`{`, `    name: ${JSON.stringify(`${route.service.typeName}/${route.method.name}`)},`, `    bindings: [`, ...bindings, `    ],`, `  }`].join("\n");
}

/** Top-level request fields that every binding puts in the path: the call's required keys. */
function requiredKeys(route: MethodRoutes): string[] {
  const [first, ...rest] = route.bindings.map((b) => pathFields(b.template).filter((f) => !f.includes(".")));
  return (first ?? []).filter((field) => rest.every((fields) => fields.includes(field)));
}

function responseType(f: GeneratedFile, route: MethodRoutes): Printable {
  const bodies = new Set(route.bindings.map((b) => b.responseBody));
  if (bodies.size > 1) throw new Error(`${route.method.parent.typeName}.${route.method.name}: bindings differ in response_body`);
  const [responseBody = ""] = bodies;
  if (responseBody === "") return typeSymbol(f, route.method.output);
  const field = resolveFieldPath(route.method.output, responseBody).pop() as DescField;
  return fieldType(f, field);
}

function methodDoc(method: DescMethod, route: MethodRoutes): string {
  const routes = route.bindings.map((b, i) => `\`${b.method} ${openApiPath(b.template)}${route.watchFlag[i] ? "?watch" : ""}\``);
  return [commentOf(method), routes.join(", or "), `@generated from rpc ${method.parent.typeName}.${method.name}`]
    .filter((d) => d !== undefined)
    .join("\n\n");
}

export function printService(f: GeneratedFile, service: DescService, routes: readonly MethodRoutes[]): void {
  const mine = routes.filter((r) => r.service === service);
  if (mine.length === 0) return;
  const rt = (name: string, typeOnly = false): Printable => f.import(name, runtimeImportPath, typeOnly);
  const className = `${service.name}Client`;
  const serviceDoc = [commentOf(service), `Calls the service over its REST gateway.`, `@generated from service ${service.typeName}`];
  f.print(f.jsDoc(serviceDoc.filter((d) => d !== undefined).join("\n\n")));
  f.print(f.export("class", className), " {");
  f.print("  static readonly #routes = {");
  for (const route of mine) f.print("    ", route.method.localName, ": ", routeLiteral(route).replace(/\n/g, "\n  "), ",");
  f.print("  } satisfies Record<string, ", rt("Route", true), ">;");
  f.print();
  f.print("  readonly #transport: ", rt("RestTransport"), ";");
  f.print();
  f.print("  /** Takes a transport to share between clients, or the options of a new one. */");
  f.print("  constructor(transport: ", rt("RestTransport"), " | ", rt("RestTransportOptions", true), ") {");
  f.print("    this.#transport = transport instanceof ", rt("RestTransport"), " ? transport : new ", rt("RestTransport"), "(transport);");
  f.print("  }");
  for (const route of mine) {
    const { method } = route;
    const keys = requiredKeys(route);
    const request: Printable[] = [rt("RestRequest", true), "<", typeSymbol(f, method.input)];
    if (keys.length > 0) request.push(", ", keys.map((k) => JSON.stringify(k)).join(" | "));
    request.push(">");
    f.print();
    f.print(f.jsDoc(methodDoc(method, route), "  "));
    if (method.methodKind === "server_streaming") {
      f.print("  ", method.localName, "(request: ", request, " & ", rt("WatchParameters", true), ", options?: ", rt("CallOptions", true), "): AsyncIterable<", typeSymbol(f, method.output), "> {");
      f.print("    return this.#transport.watch<", typeSymbol(f, method.output), ">(", className, ".#routes.", method.localName, ", request, options);");
    } else {
      const response = responseType(f, route);
      f.print("  ", method.localName, "(request: ", request, ", options?: ", rt("CallOptions", true), "): Promise<", response, "> {");
      f.print("    return this.#transport.unary<", response, ">(", className, ".#routes.", method.localName, ", request, options);");
    }
    f.print("  }");
  }
  f.print("}");
  f.print();
}
