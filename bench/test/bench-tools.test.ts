/**
 * The measuring instruments of bench/: real h2load and wrk against small
 * local servers that check what they receive, the CPU meter against real
 * processes, the figure convention the runner reads, and the profile reader.
 *
 *   npx mocha bench/test/bench-tools.test.ts
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { createServer as createH2Server } from "node:http2";
import type { Http2Server } from "node:http2";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { CpuMeter } from "../lib/cpu.js";
import { summarizeProfile } from "../lib/cpu-profile.js";
import { figure, notAvailable, parseFigure } from "../lib/figures.js";
import { grpcFrame, unaryOnce } from "../lib/grpc-wire.js";
import { h2load, parseH2load, parseWrk, wrk, wrkPostScript } from "../lib/load-tools.js";
import { formatTable, likelyLimit } from "../lib/table.js";

const tmp = mkdtempSync(join(tmpdir(), "krake-bench-test-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

function listen<S extends Server | Http2Server>(server: S): Promise<number> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
}

describe("figures (the convention bench/run.ts merges)", () => {
  it("computes met from the bound, and null without a target or a value", () => {
    expect(figure("a", 7000, "x/s", { target: { atLeast: 6000 } })).to.include({ target: ">= 6000", met: true });
    expect(figure("a", 300, "ms", { target: { atMost: 250 } })).to.include({ target: "<= 250", met: false });
    expect(figure("a", 1, "ms")).to.include({ target: null, met: null });
    expect(notAvailable("a", "ms", "why", { atMost: 1 })).to.include({ value: null, met: null, note: "why" });
  });

  it("reads figure lines of other scripts and ignores other output", () => {
    expect(parseFigure('{"name":"gc.cascade","value":1.5,"unit":"s","target":"<= 10","met":true}')).to.deep.equal({
      name: "gc.cascade", value: 1.5, unit: "s", target: "<= 10", met: true,
    });
    expect(parseFigure('{"name":"n","value":2,"unit":"u","target":5,"met":false,"cpu":{"krake-api":90,"x":"bad"}}')).to.deep.equal({
      name: "n", value: 2, unit: "u", target: "5", met: false, cpu: { "krake-api": 90 },
    });
    expect(parseFigure("starting benchmark...")).to.equal(undefined);
    expect(parseFigure("{not json")).to.equal(undefined);
    expect(parseFigure('{"name":"n","value":"fast","unit":"u"}')).to.equal(undefined);
    expect(parseFigure('{"level":30,"msg":"log line"}')).to.equal(undefined);
  });

  it("prints n/a rows and names the likely limit", () => {
    expect(likelyLimit({ "krake-api": 99, etcd: 30, other: 5 })).to.equal("krake-api CPU");
    expect(likelyLimit({ "krake-api": 70, etcd: 60, other: 60 })).to.equal("cores shared (other 60%)");
    expect(likelyLimit({ "krake-api": 80, etcd: 80, other: 25 })).to.equal("both cores busy");
    expect(likelyLimit({ "krake-api": 40, other: 10 })).to.equal("");
    const table = formatTable([notAvailable("rest.get.ratio", "REST/gRPC", "no gateway", { atLeast: 1 })]);
    expect(table).to.match(/rest\.get\.ratio\s+n\/a\s+>= 1\s+n\/a/).and.to.include("no gateway");
  });
});

describe("h2load against a gRPC endpoint", function () {
  this.timeout(30_000);
  let server: Http2Server;
  let origin: string;
  const request = Buffer.from("a request message");
  let seen = 0;
  let badRequests = 0;

  before(async () => {
    server = createH2Server();
    server.on("stream", (stream, headers) => {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const body = Buffer.concat(chunks);
        const ok = headers["content-type"] === "application/grpc" && headers.te === "trailers" && body.equals(grpcFrame(request));
        if (!ok) badRequests++;
        seen++;
        stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
        // NOT_FOUND still answers HTTP 200: what h2load cannot tell apart
        const status = headers[":path"] === "/pkg.Svc/Missing" ? "5" : "0";
        stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": status, "grpc-message": status === "5" ? "not%20found" : "" }));
        stream.end(status === "0" ? grpcFrame(Buffer.from("the answer")) : undefined);
      });
    });
    origin = `http://127.0.0.1:${await listen(server)}`;
  });
  after(() => server.close());

  it("sends the framed request file with gRPC headers and counts the answers", async () => {
    const file = join(tmp, "req.bin");
    writeFileSync(file, grpcFrame(request));
    seen = 0;
    const r = await h2load({ url: `${origin}/pkg.Svc/Get`, dataFile: file, requests: 300, streams: 16 });
    expect(r).to.include({ total: 300, succeeded: 300, failed: 0, errored: 0, status2xx: 300 });
    expect(seen).to.equal(300);
    expect(badRequests).to.equal(0);
  });

  it("counts a 200 with grpc-status NOT_FOUND as success, which a unary probe catches", async () => {
    const file = join(tmp, "req.bin");
    writeFileSync(file, grpcFrame(request));
    const r = await h2load({ url: `${origin}/pkg.Svc/Missing`, dataFile: file, requests: 20 });
    expect(r.succeeded).to.equal(20);
    const probe = await unaryOnce(origin, "/pkg.Svc/Missing", grpcFrame(request));
    expect(probe).to.include({ httpStatus: 200, grpcStatus: 5, grpcMessage: "not found" });
    const good = await unaryOnce(origin, "/pkg.Svc/Get", grpcFrame(request));
    expect(good.grpcStatus).to.equal(0);
    expect(good.message.toString()).to.equal("the answer");
  });

  it("measures a timed run after its warm-up, with the CPU of h2load", async () => {
    const file = join(tmp, "req.bin");
    writeFileSync(file, grpcFrame(request));
    const r = await h2load({ url: `${origin}/pkg.Svc/Get`, dataFile: file, durationS: 1, warmupS: 0.5 });
    expect(r.rate).to.be.greaterThan(0);
    expect(r.cpu).to.have.property("h2load").that.is.a("number");
    expect(r.cpu).to.have.property("other");
  });

  it("refuses output it cannot read", () => {
    expect(() => parseH2load("something else")).to.throw(/could not parse h2load/);
    expect(() => parseWrk("something else")).to.throw(/could not parse wrk/);
  });
});

describe("wrk with the POST script", function () {
  this.timeout(30_000);
  let server: Server;
  let url: string;
  let good = 0;
  let bad = 0;
  const body = JSON.stringify({ metadata: { generate_name: "x-" }, text: "a ]] and ]=] inside" });

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const ok = req.method === "POST" && req.headers["content-type"] === "application/json" && Buffer.concat(chunks).toString() === body;
        if (ok) good++;
        else bad++;
        // every fifth answer fails, so that non-2xx counting is exercised
        res.writeHead((good + bad) % 5 === 0 ? 500 : 200, { "content-type": "application/json" }).end("{}");
      });
    });
    url = `http://127.0.0.1:${await listen(server)}/things`;
  });
  after(() => server.close());

  it("posts the exact body and reports non-2xx answers", async () => {
    const script = join(tmp, "post.lua");
    writeFileSync(script, wrkPostScript(body));
    let warmedUp = 0;
    const r = await wrk({ url, script, connections: 4, durationS: 1, warmupS: 0.5, onMeasureStart: async () => void (warmedUp = good + bad) });
    expect(bad).to.equal(0);
    expect(r.requests).to.be.greaterThan(10);
    // wrk stops with requests in flight: the server may have seen a few more than wrk counted
    expect(good - warmedUp).to.be.within(r.requests, r.requests + 4);
    expect(r.non2xx).to.be.within(Math.floor(r.requests / 5) - 2, Math.ceil(r.requests / 5) + 2);
  });
});

describe("CpuMeter", function () {
  this.timeout(20_000);
  const children: ChildProcess[] = [];
  after(() => children.forEach((c) => c.kill("SIGKILL")));

  function nodeChild(code: string): Promise<ChildProcess> {
    const child = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "ignore"] });
    children.push(child);
    return new Promise((resolve) => child.stdout!.once("data", () => resolve(child)));
  }

  it("tells a busy process from an idle one, over several windows", async () => {
    const busy = await nodeChild("console.log('go'); const end = Date.now() + 5000; while (Date.now() < end) {}");
    const idle = await nodeChild("console.log('go'); setTimeout(() => {}, 5000)");
    const meter = new CpuMeter([
      { name: "busy", pids: [busy.pid!] },
      { name: "idle", pids: [idle.pid!] },
    ]);
    for (let i = 0; i < 2; i++) {
      meter.start();
      await new Promise((r) => setTimeout(r, 500));
      meter.pause();
      await new Promise((r) => setTimeout(r, 100));
    }
    const cpu = meter.stop();
    // a shared machine may starve the busy loop; it still stands far above the idle one
    expect(cpu.busy).to.be.greaterThan(cpu.idle + 15);
    expect(cpu.idle).to.be.lessThan(10);
    expect(cpu).to.have.property("other");
  });
});

describe("summarizeProfile", function () {
  this.timeout(20_000);
  it("ranks a hot function first by self time", async () => {
    const dir = join(tmp, "prof");
    const code = "function spinHere() { const end = Date.now() + 400; let x = 0; while (Date.now() < end) x++; return x; } spinHere();";
    await new Promise<void>((resolve, reject) =>
      spawn(process.execPath, ["--cpu-prof", `--cpu-prof-dir=${dir}`, "-e", code], { stdio: "ignore" })
        .once("error", reject)
        .once("close", () => resolve()),
    );
    const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
    expect(file).to.be.a("string");
    const s = summarizeProfile(join(dir, file!));
    expect(s.busyMs).to.be.greaterThan(100);
    const hot = s.functions.find((f) => f.what.startsWith("spinHere"));
    expect(hot?.pct).to.be.greaterThan(30);
  });
});
