/**
 * Krake's own Python client library (PyPI krake==1.0.1) for the contract suite: the interpreter of the
 * project-local virtualenv that scripts/krake-python.sh creates (once, cached) and the driver script run
 * with it. No Python, no venv module or a failed install is an error of the test, never a skip.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../..", import.meta.url));

/** Creates the virtualenv when needed (first run ~1 min) and returns its python. */
export async function krakePython(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  try {
    const { stdout } = await run("scripts/krake-python.sh", [], { cwd: root, env, timeout: 600_000, maxBuffer: 1 << 20 });
    return stdout.trim();
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`Krake's Python client (krake==1.0.1) is not available: ${e.stderr?.trim() || e.message}`);
  }
}

export interface DriverCheck {
  name: string;
  ok: boolean;
  error?: string;
  detail?: unknown;
}

/** Runs test/compat/krake_driver.py against `apiUrl` and returns its checks. */
export async function runKrakeDriver(python: string, apiUrl: string, namespace: string): Promise<DriverCheck[]> {
  const { stdout } = await run(python, ["test/compat/krake_driver.py", apiUrl, "test/fixtures/krake", namespace], {
    cwd: root,
    timeout: 120_000,
    maxBuffer: 16 << 20,
  });
  return (JSON.parse(stdout) as { checks: DriverCheck[] }).checks;
}
