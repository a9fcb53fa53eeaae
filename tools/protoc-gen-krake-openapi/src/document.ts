/** Builds the OpenAPI 3.1 document of the REST surface from the services' google.api.http rules. */
import type { DescFile, DescMessage, DescService } from "@bufbuild/protobuf";
import { commentOf, resolveFieldPath } from "./shared/descriptors.js";
import { findHttpExtension } from "./shared/http-rules.js";
import type { HttpBinding } from "./shared/http-rules.js";
import { pathFields } from "./shared/path-template.js";
import { buildRouteTable } from "./shared/routes.js";
import type { BoundMethod, Operation } from "./shared/routes.js";
import { compact } from "./json.js";
import type { JsonObject } from "./json.js";
import { pathParameters, queryParameters } from "./parameters.js";
import { addProblemSchemas, errorResponseComponents, errorResponseRefs } from "./problem.js";
import { ComponentSchemas } from "./schemas.js";

export interface DocumentOptions {
  title: string;
  version: string;
}

const openApiMethods = new Set(["GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"]);

export const ndjsonMediaType = "application/x-ndjson";
export const mergePatchMediaType = "application/merge-patch+json";

/** Gateway query parameters of every watch stream; they are not request fields. */
const heartbeatParameter: JsonObject = {
  name: "heartbeat",
  in: "query",
  description: "Seconds between empty keep-alive lines in the stream; 0 turns them off.",
  schema: { type: "integer", minimum: 0, default: 10 },
};

function watchFlagParameter(stream: BoundMethod): JsonObject {
  return {
    name: "watch",
    in: "query",
    description: `Stream changes (${stream.method.name}) as ${ndjsonMediaType} instead of answering with the list. The flag alone (\`?watch\`) counts.`,
    schema: { type: "boolean" },
  };
}

class DocumentBuilder {
  readonly schemas = new ComponentSchemas();
  readonly #problem = addProblemSchemas(this.schemas);
  readonly #operationIds = new Set<string>();
  readonly #tags = new Map<DescService, string>();

  tagOf(service: DescService): string {
    let tag = this.#tags.get(service);
    if (!tag) {
      const taken = [...this.#tags.values()].includes(service.name);
      tag = taken ? service.typeName : service.name;
      this.#tags.set(service, tag);
    }
    return tag;
  }

  tags(): JsonObject[] {
    return [...this.#tags.entries()].map(([service, name]) => compact({ name, description: commentOf(service) }));
  }

  #operationId(bound: BoundMethod, name = bound.method.name): string {
    const suffix = bound.index > 0 ? `_${bound.index + 1}` : "";
    const short = `${bound.method.parent.name}_${name}${suffix}`;
    const id = this.#operationIds.has(short) ? `${bound.method.parent.typeName.replace(/\./g, "_")}_${name}${suffix}` : short;
    if (this.#operationIds.has(id)) throw new Error(`operationId ${id} is not unique`);
    this.#operationIds.add(id);
    return id;
  }

  #requestBody(request: DescMessage, binding: HttpBinding): JsonObject | undefined {
    if (binding.body === "") return undefined;
    if (binding.body === "*") {
      const bound = new Set(pathFields(binding.template));
      const schema =
        bound.size === 0
          ? this.schemas.typeSchema(request, "input")
          : compact({
              type: "object",
              description: commentOf(request),
              properties: Object.fromEntries(
                request.fields.filter((f) => !bound.has(f.name)).map((f) => [f.name, this.schemas.fieldSchema(f, "input")]),
              ),
            });
      return { required: false, content: { "application/json": { schema } } };
    }
    const [field] = resolveFieldPath(request, binding.body);
    if (!field) throw new Error(`${request.typeName}: no body field ${binding.body}`);
    return compact({
      required: true,
      description: commentOf(field),
      content: { "application/json": { schema: this.schemas.valueSchema(field, "input") } },
    });
  }

  #responseSchema(output: DescMessage, binding: HttpBinding): JsonObject {
    if (binding.responseBody === "") return this.schemas.typeSchema(output, "output");
    const [field] = resolveFieldPath(output, binding.responseBody);
    if (!field) throw new Error(`${output.typeName}: no response field ${binding.responseBody}`);
    return this.schemas.valueSchema(field, "output");
  }

  #streamContent(stream: BoundMethod): JsonObject {
    return {
      [ndjsonMediaType]: {
        schema: {
          description: `One JSON object per line, flushed per event; empty lines are heartbeats. A failed stream ends with an \`ERROR\` line.`,
          anyOf: [this.#responseSchema(stream.method.output, stream.binding), this.#problem.watchError],
        },
      },
    };
  }

  operation(op: Operation): JsonObject {
    const main = (op.unary ?? op.stream) as BoundMethod;
    const { method, binding } = main;
    const parameters = [...pathParameters(method.input, binding, this.schemas), ...queryParameters(method.input, binding, this.schemas)];
    const descriptions = [commentOf(method)];
    const content: JsonObject = {};
    if (op.unary) content["application/json"] = { schema: this.#responseSchema(method.output, binding) };
    if (op.stream) {
      if (op.unary) {
        const names = new Set(parameters.map((p) => p.name));
        parameters.push(watchFlagParameter(op.stream));
        for (const p of queryParameters(op.stream.method.input, op.stream.binding, this.schemas)) {
          if (names.has(p.name)) continue;
          const note = `Only with \`watch\`.`;
          parameters.push({ ...p, description: typeof p.description === "string" ? `${p.description}\n\n${note}` : note });
        }
        const watchDoc = commentOf(op.stream.method);
        descriptions.push(`With \`watch\`: ${op.stream.method.name}, a ${ndjsonMediaType} stream of events.${watchDoc ? ` ${watchDoc}` : ""}`);
      }
      parameters.push(heartbeatParameter);
      Object.assign(content, this.#streamContent(op.stream));
    }
    return compact({
      operationId: this.#operationId(main),
      tags: [this.tagOf(method.parent)],
      summary: method.name,
      description: descriptions.filter((d) => d !== undefined).join("\n\n") || undefined,
      "x-grpc-method": `${method.parent.typeName}/${method.name}`,
      "x-grpc-watch-method": op.unary && op.stream ? `${op.stream.method.parent.typeName}/${op.stream.method.name}` : undefined,
      parameters,
      requestBody: this.#requestBody(method.input, binding),
      responses: { "200": { description: `${method.output.name}`, content }, ...errorResponseRefs() },
    });
  }

  /** PATCH with a JSON merge patch, which the gateway serves where a Get and an Update of one object share a path. */
  mergePatchOperation(get: BoundMethod, update: BoundMethod): JsonObject {
    const { method, binding } = update;
    const object = this.schemas.typeSchema(get.method.output, "output");
    const name = method.name.startsWith("Update") ? `Patch${method.name.slice("Update".length)}` : `${method.name}MergePatch`;
    return {
      operationId: this.#operationId({ method, binding, index: update.index }, name),
      tags: [this.tagOf(method.parent)],
      summary: name,
      description:
        `Applies a JSON merge patch (RFC 7386) to the current ${get.method.output.name} on the server: ` +
        `reads it (${get.method.name}), merges the patch (\`null\` resets a field) and writes it back (${method.name}) ` +
        `with the version it read as precondition, starting over when a concurrent write gets in between. ` +
        `A \`metadata.resource_version\` in the patch is the caller's own precondition: a conflict is then answered with 409. ` +
        `A patch that changes nothing answers with the object. No query parameters.`,
      "x-grpc-method": `${method.parent.typeName}/${method.name}`,
      parameters: pathParameters(method.input, binding, this.schemas),
      requestBody: {
        required: true,
        content: { [mergePatchMediaType]: { schema: this.schemas.typeSchema(get.method.output, "input") } },
      },
      responses: { "200": { description: get.method.output.name, content: { "application/json": { schema: object } } }, ...errorResponseRefs() },
    };
  }

  errorResponses(): JsonObject {
    return errorResponseComponents(this.#problem.problem);
  }
}

/**
 * Paths where the gateway adds PATCH: a unary GET and a unary PUT on one path,
 * the PUT's body being the very message the GET answers with, and no PATCH
 * rule of its own.
 */
function mergePatchRoutes(operations: readonly Operation[]): { path: string; get: BoundMethod; update: BoundMethod }[] {
  const byPath = new Map<string, Map<string, Operation>>();
  for (const op of operations) {
    let verbs = byPath.get(op.path);
    if (!verbs) byPath.set(op.path, (verbs = new Map()));
    verbs.set(op.httpMethod, op);
  }
  const out: { path: string; get: BoundMethod; update: BoundMethod }[] = [];
  for (const [path, verbs] of byPath) {
    const get = verbs.get("GET")?.unary;
    const update = verbs.get("PUT")?.unary;
    if (!get || !update || verbs.has("PATCH")) continue;
    const body = update.binding.body;
    if (body === "" || body === "*") continue;
    const field = resolveFieldPath(update.method.input, body).pop();
    if (field?.fieldKind === "message" && field.message.typeName === get.method.output.typeName) out.push({ path, get, update });
  }
  return out;
}

export function buildOpenApi(files: readonly DescFile[], allFiles: readonly DescFile[], options: DocumentOptions): JsonObject {
  const services = files.flatMap((f) => f.services);
  const table = buildRouteTable(services, findHttpExtension(allFiles));
  const builder = new DocumentBuilder();
  const paths: { [path: string]: JsonObject } = {};
  for (const op of table.operations) {
    if (!openApiMethods.has(op.httpMethod)) {
      throw new Error(`${op.httpMethod} ${op.path}: OpenAPI has no HTTP method ${op.httpMethod}`);
    }
    const item = (paths[op.path] ??= {});
    item[op.httpMethod.toLowerCase()] = builder.operation(op);
  }
  for (const { path, get, update } of mergePatchRoutes(table.operations)) {
    (paths[path] as JsonObject).patch = builder.mergePatchOperation(get, update);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: options.title,
      version: options.version,
      description:
        "Krake's REST API, transcoded from the gRPC services by their google.api.http rules. " +
        "Objects use proto3 JSON with proto (snake_case) field names; responses carry every field, defaults included. " +
        "Errors are application/problem+json.",
    },
    tags: builder.tags(),
    paths,
    components: { schemas: builder.schemas.toJson(), responses: builder.errorResponses() },
  };
}
