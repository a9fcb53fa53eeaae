/**
 * scripts/krake-python.sh fails loudly, never silently: a missing interpreter or one on which Krake
 * 1.0.1 cannot run is an error naming the problem (the contract suite then fails, it is not skipped).
 */
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { krakePython } from "./krake-python.js";

async function refusal(env: NodeJS.ProcessEnv): Promise<string> {
  try {
    await krakePython(env);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error("krake-python.sh succeeded");
}

describe("compat: the Krake Python environment script", function () {
  this.timeout(30_000);

  it("refuses an interpreter that does not exist, naming it", async () => {
    const message = await refusal({ ...process.env, KRAKE_PYTHON: "/nonexistent/python3.10" });
    expect(message).to.match(/^Krake's Python client \(krake==1\.0\.1\) is not available: .*\/nonexistent\/python3\.10 not found/);
  });

  it("refuses CPython 3.11+, on which Krake 1.0.1 does not import", async () => {
    const python = execFileSync("bash", ["-c", "command -v python3.11 || command -v python3"], { encoding: "utf8" }).trim();
    const version = execFileSync(python, ["-c", "import sys; print(sys.version_info >= (3, 11))"], { encoding: "utf8" }).trim();
    expect(version, `${python} should be CPython 3.11+ for this test`).to.equal("True");
    const message = await refusal({ ...process.env, KRAKE_PYTHON: python });
    expect(message).to.contain("is CPython 3.11+, on which Krake 1.0.1 does not import");
  });
});
