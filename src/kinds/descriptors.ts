import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createFileRegistry, fromBinary, getOption, hasOption, toJson } from "@bufbuild/protobuf";
import type { DescExtension, DescMessage, DescMethod, FileRegistry } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { HttpRule } from "../../gen/google/api/http.js";

/** The descriptor set that `make gen` writes next to the generated code. */
export const descriptorSetPath = fileURLToPath(new URL("../../gen/krake.binpb", import.meta.url));

/**
 * Krake's protos as descriptors: the source of the gateway's routes (each
 * method's google.api.http rule) and of its JSON codec.
 */
export class Descriptors {
  readonly registry: FileRegistry;
  private readonly http: DescExtension;
  private readonly rule: DescMessage;

  constructor(descriptorSet: Uint8Array = readFileSync(descriptorSetPath)) {
    this.registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, descriptorSet));
    const http = this.registry.getExtension("google.api.http");
    if (http?.fieldKind !== "message") throw new Error("the descriptor set lacks google/api/annotations.proto (the google.api.http option)");
    this.http = http;
    this.rule = http.message;
  }

  /** The method behind a grpc-js path ("/krake.core.v1.RoleService/GetRole"). */
  method(grpcPath: string): DescMethod {
    const [, service, name] = grpcPath.split("/");
    const desc = this.registry.getService(service)?.methods.find((m) => m.name === name);
    if (!desc) throw new Error(`${grpcPath}: not in the descriptor set (run make gen)`);
    return desc;
  }

  /** The method's google.api.http rule as ts-proto's HttpRule, undefined when it has none. */
  httpRule(method: DescMethod): HttpRule | undefined {
    if (!hasOption(method, this.http)) return undefined;
    const rule = getOption(method, this.http);
    return HttpRule.fromJSON(toJson(this.rule, rule as never, { registry: this.registry }));
  }
}
