/**
 * krakectl as a program: help, exit codes of each error class, config file
 * discovery, completion scripts, `npx krakectl` and the spinner on a terminal.
 */
import { expect } from "chai";
import { execFile } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { createServer } from "node:net";
import { promisify } from "node:util";
import { startApi } from "../fixtures/api.js";
import type { ApiHarness } from "../fixtures/api.js";
import { startEtcd } from "../fixtures/etcd.js";
import type { EtcdProcess } from "../fixtures/etcd.js";
import { krakectlBin, repoRoot, runCli, show, Workdir } from "./harness.js";
import type { RunOptions, RunResult } from "./harness.js";

const exec = promisify(execFile);

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const manifest = `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}`;

describe("krakectl the program", function () {
  this.timeout(60_000);
  let etcd: EtcdProcess;
  let api: ApiHarness;
  let work: Workdir;
  let file: string;

  const cli = (args: string[], options: RunOptions = {}): Promise<RunResult> =>
    runCli(work, args, { ...options, env: { KRAKECTL_API_URL: api.address, ...options.env } });
  const expectExit = async (args: string[], code: number, stderr?: RegExp, options: RunOptions = {}): Promise<RunResult> => {
    const r = await cli(args, options);
    expect(r.code, show(r)).to.equal(code);
    if (stderr) expect(r.stderr, show(r)).to.match(stderr);
    if (code !== 0) expect(r.stderr.trimEnd().split("\n").filter((l) => /^\s+at /.test(l)), "no stack trace").to.deep.equal([]);
    return r;
  };

  before(async () => {
    etcd = await startEtcd();
    api = await startApi(etcd);
    work = await Workdir.create();
    file = await work.write("cm.json", manifest);
  });
  after(async () => {
    await api?.stop();
    await etcd?.remove();
    await work?.remove();
  });

  describe("help", () => {
    it("krakectl --help lists the command tree, the config and the exit codes", async () => {
      const r = await expectExit(["--help"], 0);
      expect(r.stdout).to.match(/^Usage: krakectl \[options\] \[command\]/);
      expect(r.stdout).to.match(/kubernetes\|kube/).and.match(/^\s+core\s/m).and.match(/^\s+apply /m).and.match(/^\s+completion <shell>/m);
      expect(r.stdout).to.contain("$XDG_CONFIG_HOME/krakectl.yaml").and.contain("Exit codes: 0 ok");
    });

    it("krakectl kube app --help lists the verbs, and each verb its flags", async () => {
      const r = await expectExit(["kube", "app", "--help"], 0);
      for (const verb of ["list|ls", "create", "get", "update", "delete|rm", "retry"]) expect(r.stdout).to.contain(`  ${verb} `);
      const create = await expectExit(["kubernetes", "application", "create", "--help"], 0);
      for (const flag of ["-f, --file", "-L, --cluster-label-constraint", "-M, --cluster-metric-constraint", "-R, --cluster-resource-constraint", "--hook-shutdown [timeout]", "--wait [state]", "-o, --output"]) {
        expect(create.stdout).to.contain(flag);
      }
    });

    it("npx krakectl works from the clone", async () => {
      const { stdout } = await exec("npx", ["--offline", "--no-install", "krakectl", "--help"], { cwd: repoRoot, timeout: 30_000 });
      expect(stdout).to.match(/^Usage: krakectl /);
    });
  });

  describe("exit codes", () => {
    it("2: usage errors, reported by the argument parser or by krakectl", async () => {
      await expectExit(["kube", "ap"], 2, /^error: unknown command 'ap'\n\(Did you mean app\?\)/);
      await expectExit(["kube", "app", "create"], 2, /^error: missing required argument 'name'$/m);
      await expectExit(["kube", "app", "create", "x"], 2, /^error: give the application's manifests with -f FILE/m);
      await expectExit(["kube", "app", "list", "-o", "xml"], 2, /argument 'xml' is invalid\. Allowed choices are table, json, yaml/);
      await expectExit(["kube", "app", "create", "x", "-f", file, "--backoff", "often"], 2, /'--backoff <n>' argument 'often' is invalid\. must be an integer/);
      await expectExit(["kube", "app", "create", "x", "-f", "missing.yaml"], 2, /^error: cannot read missing\.yaml: no such file$/m);
      await expectExit(["kube", "app", "create", "x", "-f", file, "--wait=sleeping"], 2, /^error: --wait: unknown state "sleeping" for Application/m);
      await expectExit(["kube", "cluster", "register"], 2, /required option '-k, --kubeconfig <file>' not specified/);
      await expectExit(["kube", "app", "list"], 2, /^error: api_url http:\/\/localhost:8080: the REST transport is not available/m, {
        env: { KRAKECTL_API_URL: "http://localhost:8080" },
      });
      await expectExit(["kube"], 2);
    });

    it("3: not found", async () => {
      await expectExit(["kube", "app", "get", "ghost", "-n", "team-x"], 3, /^error: 'Application' 'ghost' does not exist in namespace 'team-x'\n$/);
      await expectExit(["core", "role", "delete", "ghost"], 3);
    });

    it("4: already exists, and conflicts with the object's state", async () => {
      await expectExit(["kube", "app", "create", "twice", "-f", file, "-n", "team-x"], 0);
      await expectExit(["kube", "app", "create", "twice", "-f", file, "-n", "team-x"], 4, /^error: Application 'twice' already exists in namespace 'team-x'\n$/);
      await expectExit(["kube", "app", "delete", "twice", "-n", "team-x"], 0);
      // Only a DEGRADED Application can be retried (Krake's rule and message).
      await expectExit(["kube", "app", "retry", "twice", "-n", "team-x"], 4, /^error: Only a DEGRADED Application can be retried\.\n$/);
    });

    it("6: the API cannot be reached", async () => {
      const port = await closedPort();
      const r = await expectExit(["kube", "app", "list"], 6, new RegExp(`^error: cannot reach the Krake API at 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`), {
        env: { KRAKECTL_API_URL: `127.0.0.1:${port}` },
      });
      expect(r.stderr.split("\n").filter(Boolean)).to.have.length(1);
      const objects = await work.write("two.yaml", "api: core\nkind: Role\nmetadata: {name: a}\nrules: []\n---\napi: core\nkind: Role\nmetadata: {name: b}\nrules: []\n");
      const apply = await expectExit(["apply", "-f", objects], 6, /^error: cannot reach the Krake API/, { env: { KRAKECTL_API_URL: `127.0.0.1:${port}` } });
      expect(apply.stderr.split("\n").filter(Boolean), "stops at the first object").to.have.length(1);
    });

    it("7: an invalid object, from the server's validation or from the file", async () => {
      await expectExit(["kube", "app", "create", "Bad Name", "-f", file], 7, /^error: Application "Bad Name" is invalid: metadata\.name: /m);
      const noKind = await work.write("nokind.json", `{"apiVersion": "v1", "metadata": {"name": "x"}}`);
      await expectExit(["kube", "app", "create", "nokind", "-f", noKind], 7, /spec\.manifest\[0\]\.kind/);
      const notYaml = await work.write("broken.yaml", "a: [\n");
      await expectExit(["kube", "app", "create", "broken", "-f", notYaml], 7, /^error: \/.*\/broken\.yaml: not valid YAML or JSON: .* at line 2, column 1$/m);
    });
  });

  describe("configuration", () => {
    it("finds ./krakectl.yaml, else $XDG_CONFIG_HOME/krakectl.yaml; env and flags override it", async () => {
      const project = work.path("project");
      await mkdir(project, { recursive: true });
      await mkdir(work.path("xdg"), { recursive: true });
      const port = await closedPort();
      await work.write("xdg/krakectl.yaml", `api_url: ${api.address}\nuser: from-xdg\n`);
      // No KRAKECTL_API_URL: the address comes from the file.
      const xdg = await runCli(work, ["kube", "app", "create", "a", "-f", file], { cwd: project });
      expect(xdg.code, show(xdg)).to.equal(0);
      expect(xdg.stdout).to.match(/^namespace:\s+from-xdg$/m);
      await work.write("project/krakectl.yaml", `api_url: grpc://${api.address}\nuser: from-cwd\n`);
      const cwd = await runCli(work, ["kube", "app", "create", "a", "-f", file], { cwd: project });
      expect(cwd.code, show(cwd)).to.equal(0);
      expect(cwd.stdout).to.match(/^namespace:\s+from-cwd$/m);
      const env = await runCli(work, ["kube", "app", "list"], { cwd: project, env: { KRAKECTL_API_URL: `127.0.0.1:${port}` } });
      expect(env.code, show(env)).to.equal(6);
      const flag = await runCli(work, ["--api-url", api.address, "kube", "app", "list", "--user", "from-xdg"], {
        cwd: project,
        env: { KRAKECTL_API_URL: `127.0.0.1:${port}` },
      });
      expect(flag.code, show(flag)).to.equal(0);
      expect(flag.stdout).to.match(/^a\s+from-xdg\s/m);
      const explicit = await runCli(work, ["--config", work.path("xdg/krakectl.yaml"), "kube", "app", "list"], { cwd: project });
      expect(explicit.stdout).to.match(/^a\s+from-xdg\s/m);
    });

    it("exits 2 on a broken config file, naming it", async () => {
      const dir = work.path("broken-config");
      await mkdir(dir);
      await work.write("broken-config/krakectl.yaml", "api-url: x\n");
      const r = await runCli(work, ["kube", "app", "list"], { cwd: dir });
      expect(r.code, show(r)).to.equal(2);
      expect(r.stderr).to.equal(`error: config file ${dir}/krakectl.yaml: unknown key "api-url"\n`);
    });
  });

  describe("completion", () => {
    const complete = async (shell: string, words: string[]): Promise<string[]> => {
      const script = await work.write(`completion.${shell}`, (await expectExit(["completion", shell], 0)).stdout);
      const line = words.map((w) => JSON.stringify(w)).join(" ");
      const { stdout } = await exec("bash", ["-c", `source ${script}; COMP_WORDS=(${line}); COMP_CWORD=${words.length - 1}; _krakectl_completions; printf '%s\\n' "\${COMPREPLY[@]}"`]);
      return stdout.split("\n").filter(Boolean);
    };

    it("bash completes commands, aliases and options from the command tree", async () => {
      expect(await complete("bash", ["krakectl", ""])).to.include.members(["kubernetes", "kube", "core", "apply", "completion"]);
      expect(await complete("bash", ["krakectl", "kube", "a"])).to.deep.equal(["application", "app"]);
      expect(await complete("bash", ["krakectl", "kube", "app", "--no-tls", "cr"])).to.deep.equal(["create"]);
      expect(await complete("bash", ["krakectl", "core", "g"])).to.deep.equal(["globalmetric", "gmetric", "gm", "globalmetricsprovider", "gmp"]);
      const flags = await complete("bash", ["krakectl", "kube", "app", "create", "echo", "--hook-"]);
      expect(flags).to.deep.equal(["--hook-complete", "--hook-shutdown"]);
      expect(await complete("bash", ["krakectl", "kube", "cluster", "list", "--a"])).to.include.members(["--all-namespaces", "--api-url", "--auth-token"]);
    });

    it("zsh loads the same function through bashcompinit", async () => {
      const r = await expectExit(["completion", "zsh"], 0);
      expect(r.stdout).to.match(/^#compdef krakectl\n/).and.contain("bashcompinit").and.contain("complete -o default -F _krakectl_completions krakectl");
      await expectExit(["completion", "fish"], 2, /value 'fish' is invalid for argument 'shell'\. Allowed choices are bash, zsh/);
    });
  });

  describe("on a terminal", () => {
    it("--wait shows a spinner with the state and the elapsed time", async function () {
      try {
        await exec("script", ["--version"]);
      } catch {
        this.skip(); // util-linux `script` provides the pseudo-terminal
      }
      const command = [process.execPath, krakectlBin, "kube", "app", "create", "spun", "-f", file, "-n", "tty", "--wait", "--timeout", "1"]
        .map((a) => `'${a}'`)
        .join(" ");
      const r = await exec("script", ["-qec", command, "/dev/null"], {
        cwd: work.dir,
        env: { ...process.env, KRAKECTL_API_URL: api.address, HOME: work.dir, XDG_CONFIG_HOME: work.path("xdg") },
      }).then(
        () => ({ code: 0, stdout: "" }),
        (err: { code: number; stdout: string }) => ({ code: err.code, stdout: err.stdout }),
      );
      expect(r.code, r.stdout).to.equal(8);
      expect(r.stdout).to.match(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] waiting for Application 'spun' to be running: PENDING \(\d\.\d s\)/);
      expect(r.stdout).to.contain("timed out after 1 s");
    });
  });
});
