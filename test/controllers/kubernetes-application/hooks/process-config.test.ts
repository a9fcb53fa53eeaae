/** The hooks' settings as the process reads them: a bad `hooks:` value stops krake-controller-kubernetes-application at start (exit 2, the key named). */
import { expect } from "chai";
import { spawnNodeProcess } from "../../../fixtures/node-process.js";

const bin = "bin/krake-controller-kubernetes-application.js";
const base = ["--config", "config/kubernetes-application.yaml", "--lease.enabled", "false", "--http.enabled", "false"];

describe("krake-controller-kubernetes-application: hooks settings at start", function () {
  this.timeout(30_000);

  const cases: Array<[string, string[], RegExp]> = [
    ["an unknown failure strategy", ["--hooks.shutdown.failure_strategy", "ignore"], /hooks.shutdown.failure_strategy: must be "delete" or "give_up"/],
    ["an api_endpoint that is no http(s) URL", ["--hooks.api_endpoint", "127.0.0.1:8080"], /hooks.api_endpoint/],
    ["an intermediate CA that cannot be read", ["--hooks.complete.intermediate_src", "/nonexistent.pem", "--hooks.complete.intermediate_key_src", "/nonexistent.key"], /hooks.complete: .*ENOENT/],
    ["an unknown hooks key", ["--hooks.complete.colour", "blue"], /unknown flag --hooks.complete.colour/],
  ];
  for (const [what, args, message] of cases) {
    it(`${what}: exit 2 naming it`, async () => {
      const proc = spawnNodeProcess(bin, [...base, ...args]);
      const exit = await proc.exited;
      expect(exit.code, exit.stderr).to.equal(2);
      expect(exit.stderr).to.match(message);
    });
  }
});
