/**
 * The generated REST client, the generators and the typed uses in the tests
 * compile under the project's strict compiler options.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import ts from "typescript";
import { root } from "./descriptors.js";

function tsFilesUnder(dir: string): string[] {
  const path = fileURLToPath(new URL(dir, root));
  return readdirSync(path, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => join(path, f));
}

describe("codegen: strict compilation", function () {
  this.timeout(120_000);

  it("compiles gen/rest, both generators and these tests with no diagnostics", () => {
    const configFile = fileURLToPath(new URL("tsconfig.json", root));
    const parsed = ts.getParsedCommandLineOfConfigFile(configFile, { noEmit: true }, {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
      },
    });
    if (!parsed) throw new Error("tsconfig.json did not parse");
    expect(parsed.options.strict).to.equal(true);
    const files = [
      ...tsFilesUnder("gen/rest/"),
      ...tsFilesUnder("tools/protoc-gen-krake-openapi/src/"),
      ...tsFilesUnder("tools/protoc-gen-krake-rest/"),
      ...tsFilesUnder("test/codegen/"),
    ];
    expect(files.some((f) => f.endsWith("gen/rest/runtime.ts"))).to.equal(true);
    const program = ts.createProgram(files, parsed.options);
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file && d.start !== undefined ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: ` : "";
      return where + ts.flattenDiagnosticMessageText(d.messageText, "\n");
    });
    expect(diagnostics).to.deep.equal([]);
  });
});
