/**
 * krake-api's configuration as a user meets it: a YAML file, flags that win
 * over it, and a clear message with exit code 2 for anything it does not
 * understand (exit code 1 when a sound config cannot start).
 */
import { expect } from "chai";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import type { Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Etcd3 } from "etcd3";
import { krakeClients } from "../../src/client/clients.js";
import { listening, runApiProcess, spawnApiProcess, synced } from "../fixtures/api-process.js";
import { startEtcd } from "../fixtures/etcd.js";
import type { EtcdProcess } from "../fixtures/etcd.js";
import { app } from "./support/applications.js";

/** A port that is taken for as long as the returned server listens. */
function occupiedPort(): Promise<{ port: number; server: Server }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const addr = server.address();
      resolve({ port: typeof addr === "object" && addr ? addr.port : 0, server });
    });
  });
}

describe("krake-api configuration", function () {
  this.timeout(120_000);
  let dir: string;
  let etcd: EtcdProcess;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "krake-config-"));
    etcd = await startEtcd();
  });
  after(async () => {
    await etcd?.remove();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function file(name: string, text: string): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  }

  /** Runs krake-api until it serves; returns its port, the prefix it uses, and a way to stop it. */
  async function serve(args: string[]) {
    const p = spawnApiProcess(args);
    try {
      const [listen, start] = await Promise.all([p.waitForLog(listening), p.waitForLog((l) => l.msg === "krake-api starting")]);
      await p.waitForLog(synced);
      return {
        port: Number(String(listen.address).split(":").pop()),
        prefix: String(start.prefix),
        async stop() {
          p.child.kill("SIGTERM");
          expect((await p.exited).code).to.equal(0);
        },
      };
    } catch (err) {
      p.child.kill("SIGKILL");
      await p.exited;
      throw err;
    }
  }

  it("reads the YAML file, and flags win over it whatever their order", async () => {
    const { port: yamlPort, server } = await occupiedPort();
    await new Promise((r) => server.close(r)); // free again, for krake-api to take
    const config = await file(
      "api.yaml",
      [
        "grpc:",
        "  host: 127.0.0.1",
        `  port: ${yamlPort}`,
        "http:",
        "  port: 0",
        "etcd:",
        `  endpoints: [${etcd.endpoint}]`,
        "  prefix: /from-yaml",
        "  dial_timeout_ms: 4000",
        "watch:",
        "  window_size: 500",
      ].join("\n"),
    );
    const fromFile = await serve(["--config", config]);
    expect(fromFile.port).to.equal(yamlPort);
    expect(fromFile.prefix).to.equal("/from-yaml");
    await fromFile.stop();

    const flagged = await serve(["--etcd.prefix", "/from-flag", "--config", config, "--grpc.port=0"]);
    try {
      expect(flagged.port).to.not.equal(yamlPort);
      expect(flagged.prefix).to.equal("/from-flag");
      // and the flag's prefix is what the process really writes under
      const clients = krakeClients(`127.0.0.1:${flagged.port}`);
      try {
        await clients.applications.createApplication({
          namespace: "cfg", blocking: "",
          application: app("cfg", "where"),
        });
      } finally {
        clients.close();
      }
      const raw = new Etcd3({ hosts: etcd.endpoint });
      try {
        expect(await raw.get("/from-flag/kubernetes/applications/cfg/where").exists()).to.equal(true);
        expect(await raw.get("/from-yaml/kubernetes/applications/cfg/where").exists()).to.equal(false);
      } finally {
        raw.close();
      }
    } finally {
      await flagged.stop();
    }
  });

  it("accepts flags as camelCase, kebab-case and snake_case, with a space or '='", async () => {
    const p = await serve([
      "--etcd.endpoints", etcd.endpoint, "--grpc.port", "0", "--http.port=0",
      "--etcd.dial-timeout-ms", "3000", "--watch.window_size=100", "--watch.bookmarkIntervalMs", "5000", "--etcd.prefix", "/spellings",
    ]);
    expect(p.prefix).to.equal("/spellings");
    await p.stop();
  });

  const rejected: { name: string; args: () => Promise<string[]>; message: RegExp }[] = [
    { name: "an unknown key in the file", args: async () => ["--config", await file("a.yaml", "grpcc:\n  port: 1\n")], message: /unknown key grpcc/ },
    { name: "an unknown nested key", args: async () => ["--config", await file("b.yaml", "etcd:\n  endpoint: http://x:1\n")], message: /unknown key etcd\.endpoint\b/ },
    { name: "a value of the wrong type", args: async () => ["--config", await file("c.yaml", "grpc:\n  port: high\n")], message: /grpc\.port must be a number/ },
    { name: "a section that is not a mapping", args: async () => ["--config", await file("d.yaml", "etcd: 5\n")], message: /etcd must be a mapping/ },
    { name: "a file that is not YAML", args: async () => ["--config", await file("e.yaml", "grpc: [unclosed\n")], message: /is not valid YAML/ },
    { name: "a config file that does not exist", args: async () => ["--config", join(dir, "missing.yaml")], message: /cannot read the config file.*missing\.yaml/ },
    { name: "an unknown flag", args: async () => ["--grpc.prot", "1"], message: /Unknown option '--grpc\.prot'/ },
    { name: "a flag without its value", args: async () => ["--etcd.prefix"], message: /'--etcd\.prefix <value>' argument missing/ },
    { name: "a flag followed by another flag instead of a value", args: async () => ["--etcd.prefix", "--grpc.port", "1"], message: /'--etcd\.prefix' argument is ambiguous/ },
    { name: "a number flag that is not a number", args: async () => ["--grpc.port", "ninety"], message: /--grpc\.port: "ninety" is not a number/ },
    { name: "a boolean flag that is not true/false", args: async () => ["--http.public-metrics", "yes"], message: /"yes" is not true or false/ },
    { name: "a stray argument", args: async () => ["serve"], message: /Unexpected argument 'serve'/ },
    { name: "a port out of range", args: async () => ["--grpc.port", "70000"], message: /grpc\.port must be a port number/ },
    { name: "a malformed key prefix", args: async () => ["--etcd.prefix", "krake/"], message: /etcd\.prefix must start with "\/"/ },
    { name: "an unknown log level", args: async () => ["--log.level", "loud"], message: /log\.level must be one of/ },
    { name: "a max_object_bytes that is not positive", args: async () => ["--max-object-bytes", "0"], message: /max_object_bytes must be a positive number of bytes/ },
  ];
  for (const { name, args, message } of rejected) {
    it(`exits with code 2 and says why for ${name}`, async () => {
      const exit = await runApiProcess(await args());
      expect(exit.code, exit.stderr).to.equal(2);
      expect(exit.stderr).to.match(message);
      expect(exit.stderr).to.match(/^krake-api: /);
      expect(exit.stdout, "it never started listening").to.not.match(/listening/);
    });
  }

  it("exits with code 1 (not 2) when a sound config cannot start: the port is taken", async () => {
    const { port, server } = await occupiedPort();
    try {
      const exit = await runApiProcess(["--grpc.port", String(port), "--http.port", "0", "--etcd.endpoints", etcd.endpoint]);
      expect(exit.code, exit.stderr).to.equal(1);
      expect(exit.stderr).to.match(/cannot start/);
    } finally {
      server.close();
    }
  });

  it("prints the settings for --help and exits 0", async () => {
    const exit = await runApiProcess(["--help"]);
    expect(exit.code).to.equal(0);
    expect(exit.stdout).to.match(/Usage: krake-api/);
    expect(exit.stdout).to.include("etcd.endpoints").and.include("grpc.port");
  });
});
