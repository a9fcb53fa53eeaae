/** krakectl's pure parts, in process: argv rewriting, api_url, config loading, documents, tables. */
import { expect } from "chai";
import { mkdir } from "node:fs/promises";
import { parseDocuments } from "../../src/cli/documents.js";
import { normalizeArgv } from "../../src/cli/argv.js";
import { configSearchPath, loadConfig } from "../../src/cli/config.js";
import { CliError, ExitCode, exitCodeOf } from "../../src/cli/errors.js";
import { ApiError, Status } from "../../src/errors/api-error.js";
import { viewTable } from "../../src/cli/commands/command-group.js";
import { defaultView } from "../../src/cli/output/views.js";
import { formatAge } from "../../src/cli/output/format-values.js";
import { renderDetail, renderTable } from "../../src/cli/output/table.js";
import { parseApiUrl } from "../../src/cli/transport/endpoint.js";
import { Workdir } from "./harness.js";
import { timestampFromMillis } from "../../src/kinds/timestamp.js";

function usageError(fn: () => unknown): CliError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(CliError);
    return err as CliError;
  }
  throw new Error("expected a CliError");
}

describe("krakectl units", () => {
  describe("exit codes", () => {
    it("maps every API status to its class, and anything else to 1", () => {
      const expected: [Status, number][] = [
        [Status.NOT_FOUND, ExitCode.notFound],
        [Status.ALREADY_EXISTS, ExitCode.conflict],
        [Status.ABORTED, ExitCode.conflict],
        [Status.FAILED_PRECONDITION, ExitCode.conflict],
        [Status.PERMISSION_DENIED, ExitCode.denied],
        [Status.UNAUTHENTICATED, ExitCode.denied],
        [Status.UNAVAILABLE, ExitCode.unavailable],
        [Status.DEADLINE_EXCEEDED, ExitCode.unavailable],
        [Status.INVALID_ARGUMENT, ExitCode.invalid],
        [Status.RESOURCE_EXHAUSTED, ExitCode.other],
        [Status.OUT_OF_RANGE, ExitCode.other],
        [Status.UNIMPLEMENTED, ExitCode.other],
        [Status.INTERNAL, ExitCode.other],
      ];
      for (const [code, exit] of expected) expect(exitCodeOf(new ApiError(code, "Internal", "message")), Status[code]).to.equal(exit);
      expect(exitCodeOf(new Error("a bug"))).to.equal(ExitCode.other);
      expect(exitCodeOf(new CliError("bad flag", ExitCode.usage))).to.equal(ExitCode.usage);
    });
  });

  describe("normalizeArgv", () => {
    const states = new Set(["RUNNING", "DELETED", "ONLINE"]);
    const cases: Array<[string, string[], string[]]> = [
      ["joins two-value options", ["-m", "heat", "0.5", "name"], ["-m", "heat=0.5", "name"]],
      ["keeps NAME=VALUE", ["--metric", "heat=0.5", "name"], ["--metric", "heat=0.5", "name"]],
      ["takes a negative weight", ["--global-metric", "load", "-1"], ["--global-metric", "load=-1"]],
      ["collects numbers", ["--allowed-values", "1", "2.5", "3", "name"], ["--allowed-values=1,2.5,3", "name"]],
      ["allows no numbers", ["--allowed-values", "name"], ["--allowed-values=", "name"]],
      ["takes a numeric timeout", ["--hook-shutdown", "30", "app"], ["--hook-shutdown=30", "app"]],
      ["leaves a name after --hook-shutdown", ["--hook-shutdown", "app"], ["--hook-shutdown=", "app"]],
      ["takes a state after --wait", ["--wait", "running", "app"], ["--wait=running", "app"]],
      ["leaves a name after --wait", ["--wait", "app"], ["--wait=", "app"]],
      ["bare --wait at the end", ["app", "--wait"], ["app", "--wait="]],
      ["Krake's underscore spellings", ["--backoff_delay", "3", "--backoff_limit=4"], ["--backoff-delay", "3", "--backoff-limit=4"]],
      ["Krake's --all", ["list", "--all"], ["list", "--all-namespaces"]],
      ["stops at --", ["--", "-m", "a", "b"], ["--", "-m", "a", "b"]],
    ];
    for (const [what, input, output] of cases) {
      it(what, () => expect(normalizeArgv(input, states)).to.deep.equal(output));
    }
  });

  describe("parseApiUrl", () => {
    const cases: Array<[string, boolean, string, boolean]> = [
      ["localhost:9090", false, "localhost:9090", false],
      ["localhost", false, "localhost:9090", false],
      ["grpc://10.0.0.1:7000", false, "10.0.0.1:7000", false],
      ["grpcs://api.example.com", false, "api.example.com:9090", true],
      ["api:9443", true, "api:9443", true],
      ["[::1]:9090", false, "[::1]:9090", false],
      ["[::1]", false, "[::1]:9090", false],
    ];
    for (const [url, tls, address, secure] of cases) {
      it(`${url}${tls ? " with tls.enabled" : ""}`, () => {
        const e = parseApiUrl(url, tls);
        expect([e.protocol, e.address, e.tls]).to.deep.equal(["grpc", address, secure]);
      });
    }
    it("warns when tls.enabled overrides grpc://", () => {
      expect(parseApiUrl("grpc://a:1", true).warning).to.match(/connecting with TLS/);
    });
    it("sends http(s) to the REST transport", () => {
      expect(parseApiUrl("http://localhost:8080", false)).to.include({ protocol: "rest", tls: false });
      expect(parseApiUrl("https://krake", false)).to.include({ protocol: "rest", tls: true });
    });
    it("rejects other schemes and paths", () => {
      expect(usageError(() => parseApiUrl("ftp://x", false)).message).to.match(/unknown scheme "ftp"/);
      expect(usageError(() => parseApiUrl("grpc://x/y", false)).message).to.match(/not host:port/);
    });
  });

  describe("loadConfig", () => {
    let work: Workdir;
    beforeEach(async () => {
      work = await Workdir.create();
      await mkdir(work.path("xdg"));
      await mkdir(work.path("cwd"));
    });
    afterEach(() => work.remove());
    const env = () => ({ HOME: work.dir, XDG_CONFIG_HOME: work.path("xdg") });

    it("uses Krake's defaults without a file", () => {
      const c = loadConfig({}, env(), work.path("cwd"));
      expect(c).to.deep.include({ apiUrl: "127.0.0.1:9090", user: "system:admin", tls: { enabled: false, clientCa: undefined, clientCert: undefined, clientKey: undefined } });
      expect(c.file).to.equal(undefined);
    });

    it("searches ./krakectl.yaml, then $XDG_CONFIG_HOME (default ~/.config), then /etc/krakectl", () => {
      expect(configSearchPath({ XDG_CONFIG_HOME: "/x" }, "/w")).to.deep.equal(["/w/krakectl.yaml", "/x/krakectl.yaml", "/etc/krakectl/krakectl.yaml"]);
      expect(configSearchPath({ HOME: "/home/u" }, "/w")[1]).to.equal("/home/u/.config/krakectl.yaml");
    });

    it("reads the first file found, with certificate paths relative to it", async () => {
      await work.write("xdg/krakectl.yaml", "api_url: xdg:1\nuser: xdg-user\n");
      expect(loadConfig({}, env(), work.path("cwd"))).to.include({ apiUrl: "xdg:1", user: "xdg-user" });
      await work.write("cwd/krakectl.yaml", "api_url: grpcs://cwd:2\ntoken: t0\ntls:\n  enabled: true\n  client_ca: certs/ca.pem\n  client_cert: /abs/me.pem\n  client_key: me.key\n");
      const c = loadConfig({}, env(), work.path("cwd"));
      expect(c).to.include({ apiUrl: "grpcs://cwd:2", user: "system:admin", token: "t0", file: work.path("cwd/krakectl.yaml") });
      expect(c.tls).to.deep.equal({ enabled: true, clientCa: work.path("cwd/certs/ca.pem"), clientCert: "/abs/me.pem", clientKey: work.path("cwd/me.key") });
    });

    it("lets the environment override the file and flags override both", async () => {
      await work.write("cwd/krakectl.yaml", "api_url: file:1\nuser: file-user\ntoken: file-token\n");
      const e = { ...env(), KRAKECTL_API_URL: "env:2", KRAKECTL_TOKEN: "env-token", KRAKECTL_TLS_ENABLED: "true" };
      expect(loadConfig({}, e, work.path("cwd"))).to.deep.include({ apiUrl: "env:2", user: "file-user", token: "env-token" });
      expect(loadConfig({}, e, work.path("cwd")).tls.enabled).to.equal(true);
      const c = loadConfig({ apiUrl: "flag:3", user: "flag-user", authToken: "flag-token", tls: false }, e, work.path("cwd"));
      expect(c).to.deep.include({ apiUrl: "flag:3", user: "flag-user", token: "flag-token" });
      expect(c.tls.enabled).to.equal(false);
    });

    it("reads --config or KRAKECTL_CONFIG instead of searching", async () => {
      await work.write("cwd/krakectl.yaml", "user: searched\n");
      await work.write("other.yaml", "user: explicit\n");
      expect(loadConfig({ config: "../other.yaml" }, env(), work.path("cwd")).user).to.equal("explicit");
      expect(loadConfig({}, { ...env(), KRAKECTL_CONFIG: work.path("other.yaml") }, work.path("cwd")).user).to.equal("explicit");
    });

    const bad: Array<[string, string, RegExp]> = [
      ["an unknown key", "api-url: x\n", /unknown key "api-url"/],
      ["an unknown tls key", "tls:\n  ca: x\n", /unknown key "tls.ca"/],
      ["a non-boolean tls.enabled", "tls:\n  enabled: yes please\n", /tls.enabled must be true or false/],
      ["a list", "- a\n", /expected a mapping/],
      ["broken YAML", "api_url: [\n", /is not valid YAML/],
      ["a certificate without its key", "tls:\n  client_cert: me.pem\n", /client_cert and tls.client_key must be given together/],
    ];
    for (const [what, text, message] of bad) {
      it(`rejects ${what} as a usage error`, async () => {
        await work.write("cwd/krakectl.yaml", text);
        const err = usageError(() => loadConfig({}, env(), work.path("cwd")));
        expect(err.exitCode).to.equal(2);
        expect(err.message).to.match(message);
      });
    }

    it("rejects a --config file that does not exist and a bad KRAKECTL_TLS_ENABLED", () => {
      expect(usageError(() => loadConfig({ config: "nope.yaml" }, env(), work.path("cwd"))).message).to.match(/cannot read config file .*nope\.yaml/);
      expect(usageError(() => loadConfig({}, { ...env(), KRAKECTL_TLS_ENABLED: "maybe" }, work.path("cwd"))).message).to.match(/KRAKECTL_TLS_ENABLED/);
    });
  });

  describe("parseDocuments", () => {
    it("splits YAML documents, spreads lists and skips empty documents", () => {
      const docs = parseDocuments("a: 1\n---\n---\n- b: 2\n- c: 3\n", "f.yaml");
      expect(docs).to.deep.equal([
        { source: "f.yaml#1", value: { a: 1 } },
        { source: "f.yaml#2", value: { b: 2 } },
        { source: "f.yaml#3", value: { c: 3 } },
      ]);
    });
    it("reads JSON and names a single document without a number", () => {
      expect(parseDocuments('{"kind": "Role"}', "r.json")).to.deep.equal([{ source: "r.json", value: { kind: "Role" } }]);
      expect(parseDocuments("# nothing\n", "e.yaml")).to.deep.equal([]);
    });
    it("fails on broken YAML with exit code 7", () => {
      const err = usageError(() => parseDocuments("a: [\n", "bad.yaml"));
      expect(err.exitCode).to.equal(7);
      expect(err.message).to.match(/^bad\.yaml: not valid YAML or JSON: /);
    });
  });

  describe("tables", () => {
    it("formats ages as kubectl does", () => {
      const now = new Date("2024-01-10T00:00:00Z");
      const ago = (s: number) => timestampFromMillis(now.getTime() - s * 1000);
      expect([5, 119, 120, 7199, 7200, 172_799, 172_800, 800 * 86_400].map((s) => formatAge(ago(s), now))).to.deep.equal([
        "5s", "119s", "2m", "119m", "2h", "47h", "2d", "2y",
      ]);
      expect(formatAge(undefined, now)).to.equal("<unknown>");
    });
    it("aligns columns three spaces apart and indents multi-line values", () => {
      expect(renderTable(["NAME", "STATE"], [["a", "RUNNING"], ["long-name", "X"]])).to.equal(
        "NAME        STATE\na           RUNNING\nlong-name   X\n",
      );
      expect(renderDetail([["name", "a"], ["metrics", "x\ny"]])).to.equal("name:      a\nmetrics:   x\n           y\n");
    });
    it("gathers the command groups' columns into one table, and refuses a kind two groups name", () => {
      const group = (views: object) => ({ commands: () => [], views });
      expect(Object.keys(viewTable([group({ Role: defaultView }), group({ Lease: defaultView }), { commands: () => [] }]))).to.deep.equal(["Role", "Lease"]);
      expect(() => viewTable([group({ Role: defaultView }), group({ Role: defaultView })])).to.throw(/two command groups name the kind Role/);
    });
  });
});
