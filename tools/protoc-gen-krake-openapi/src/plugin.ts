/**
 * protoc-gen-krake-openapi: one OpenAPI 3.1 document for every service with
 * google.api.http rules in the request. Run it with `strategy: all` so that
 * one invocation sees every file.
 *
 * Options: `target=ts` (required by protoplugin; the output is JSON either
 * way), `title=…`, `version=…`, `file=…` (default openapi.json).
 */
import { createEcmaScriptPlugin } from "@bufbuild/protoplugin";
import { buildOpenApi } from "./document.js";

interface Options {
  title: string;
  version: string;
  file: string;
}

function parseOptions(raw: { key: string; value: string }[]): Options {
  const options: Options = { title: "Krake API", version: "v1", file: "openapi.json" };
  for (const { key, value } of raw) {
    if (key !== "title" && key !== "version" && key !== "file") throw new Error(`unknown option "${key}"`);
    if (value === "") throw new Error(`option "${key}" needs a value`);
    options[key] = value;
  }
  return options;
}

export const openApiPlugin = createEcmaScriptPlugin<Options>({
  name: "protoc-gen-krake-openapi",
  version: "v0.1.0",
  parseOptions,
  generateTs(schema) {
    const { title, version, file } = schema.options;
    const document = buildOpenApi(schema.files, schema.allFiles, { title, version });
    schema.generateFile(file).print(JSON.stringify(document, null, 2));
  },
});
