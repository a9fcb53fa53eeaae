/**
 * protoc-gen-krake-kinds: the kind table (`kinds.ts`), derived from the
 * service definitions and their google.api.http rules (see kinds.ts), for the
 * TypeScript that ts-proto generates next to it. Run it with `strategy: all`
 * so that one invocation sees every file, and with the same out directory as
 * ts-proto.
 *
 * Options: `target=ts` (required by protoplugin), `file=…` (default kinds.ts),
 * `import_suffix=…` (ts-proto's importSuffix; default `.js`).
 */
import type { DescFile } from "@bufbuild/protobuf";
import { createEcmaScriptPlugin } from "@bufbuild/protoplugin";
import { findHttpExtension } from "../../protoc-gen-krake-openapi/src/shared/http-rules.js";
import { findKinds } from "./kinds.js";
import { printKindsFile } from "./print.js";

const name = "protoc-gen-krake-kinds";
const version = "v0.1.0";

interface Options {
  file: string;
  importSuffix: string;
}

function parseOptions(raw: { key: string; value: string }[]): Options {
  const options: Options = { file: "kinds.ts", importSuffix: ".js" };
  for (const { key, value } of raw) {
    if (key === "file") {
      if (value === "") throw new Error(`option "file" needs a value`);
      options.file = value;
    } else if (key === "import_suffix") {
      options.importSuffix = value;
    } else {
      throw new Error(`unknown option "${key}"`);
    }
  }
  return options;
}

/** By file name, so that the table does not depend on the order in which buf sends the files. */
function byName(files: readonly DescFile[]): DescFile[] {
  return [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export const kindsPlugin = createEcmaScriptPlugin<Options>({
  name,
  version,
  parseOptions,
  generateTs(schema) {
    const kinds = findKinds(
      byName(schema.files).flatMap((f) => f.services),
      findHttpExtension(schema.allFiles),
    );
    schema.generateFile(schema.options.file).print(printKindsFile(kinds, { plugin: name, version, importSuffix: schema.options.importSuffix }));
  },
});
