/** The gateway's own routes (/, /me, probes, /metrics, /openapi.json), CORS and request ids, on a real krake-api. */
import { existsSync, readFileSync } from "node:fs";
import { expect } from "chai";
import { pino } from "pino";
import { Gateway } from "../../src/apiserver/gateway/index.js";
import { defaultConfig } from "../../src/apiserver/config.js";
import { startApi, useApi } from "../fixtures/api.js";
import type { ApiHarness } from "../fixtures/api.js";
import type { EtcdProcess } from "../fixtures/etcd.js";
import { baseUrl, expectProblem, fixture, rest } from "./helpers.js";
import type { Json } from "./helpers.js";

const version = (JSON.parse(readFileSync("package.json", "utf8")) as { version: string }).version;

describe("gateway server", function () {
  this.timeout(30_000);
  let etcd: EtcdProcess;
  let api: ApiHarness;

  useApi((started) => ({ etcd, api } = started));

  it("GET / answers Krake's {version}", async () => {
    const res = await rest(api, "GET", "/");
    expect(res.status).to.equal(200);
    expect(res.json).to.deep.equal({ version });
  });

  it("GET /me answers {user, groups, roles} (the default static provider names every caller system:admin)", async () => {
    const res = await rest(api, "GET", "/me");
    expect(res.status).to.equal(200);
    expect(res.json).to.deep.equal({ user: "system:admin", groups: [], roles: [] });
  });

  it("GET /release answers 202 with an empty body, as Krake's", async () => {
    const res = await rest(api, "GET", "/release");
    expect(res.status).to.equal(202);
    expect(res.text).to.equal("");
  });

  it("/livez and /readyz", async () => {
    expect((await rest(api, "GET", "/livez")).json).to.deep.equal({ status: "ok" });
    const ready = await rest(api, "GET", "/readyz");
    expect(ready.status).to.equal(200);
    expect(ready.json).to.deep.equal({ status: "ok", checks: { cache: "ok", store: "ok" } });
    const head = await fetch(`${baseUrl(api)}/livez`, { method: "HEAD" });
    expect(head.status).to.equal(200);
    expect(await head.text()).to.equal("");
  });

  it("/metrics: requests by method/route/code, latency, open watches, cache sizes, store latency", async () => {
    await rest(api, "POST", "/core/roles", fixture("role.yaml"));
    await rest(api, "GET", "/core/roles/app-operator");
    await rest(api, "GET", "/core/roles/missing");
    const res = await rest(api, "GET", "/metrics");
    expect(res.status).to.equal(200);
    expect(res.headers.get("content-type")).to.match(/^text\/plain/);
    const lines = res.text.split("\n");
    const value = (prefix: string) => {
      const line = lines.find((l) => l.startsWith(prefix));
      expect(line, prefix).to.exist;
      return Number(line!.slice(line!.lastIndexOf(" ") + 1));
    };
    expect(value('krake_http_requests_total{method="GET",route="/core/roles/{name}",code="200"}')).to.equal(1);
    expect(value('krake_http_requests_total{method="GET",route="/core/roles/{name}",code="404"}')).to.equal(1);
    expect(value('krake_http_requests_total{method="POST",route="/core/roles",code="200"}')).to.equal(1);
    expect(value('krake_http_request_duration_seconds_count{method="GET",route="/core/roles/{name}",code="200"}')).to.equal(1);
    expect(value('krake_watches_open{transport="http"}')).to.equal(0);
    expect(value('krake_watches_open{transport="grpc"}')).to.equal(0);
    expect(value('krake_cache_objects{kind="core/roles"}')).to.equal(1);
    expect(value('krake_store_request_duration_seconds_count{op="create",outcome="ok"}')).to.be.at.least(1);
    expect(value('krake_store_request_duration_seconds_count{op="current_revision",outcome="ok"}')).to.be.at.least(1);
  });

  it("/openapi.json serves the generated document when there is one", async () => {
    const path = "gen/openapi.json";
    const res = await rest(api, "GET", "/openapi.json");
    if (existsSync(path)) {
      expect(res.status).to.equal(200);
      expect(res.text).to.equal(readFileSync(path, "utf8"));
    } else {
      expectProblem(res, 404, "NOT_FOUND");
    }
    const gateway = new Gateway({
      http: { port: 0 }, registries: api.server.registries.values(), cache: api.server.cache, log: pino({ level: "silent" }),
      metrics: api.server.metrics, maxPendingEvents: 10, maxUpdateAttempts: 1, openapiPath: "/nonexistent/openapi.json",
    });
    const port = await gateway.listen();
    try {
      const missing = await fetch(`http://127.0.0.1:${port}/openapi.json`);
      expect(missing.status).to.equal(404);
      expect(((await missing.json()) as Json).detail).to.match(/no OpenAPI document/);
    } finally {
      await gateway.close();
    }
  });

  it("echoes a client's x-request-id, and makes one otherwise", async () => {
    const given = await rest(api, "GET", "/core/roles/missing", undefined, { "x-request-id": "trace-123" });
    expect(given.headers.get("x-request-id")).to.equal("trace-123");
    expect(given.json.request_id).to.equal("trace-123");
    const made = await rest(api, "GET", "/");
    expect(made.headers.get("x-request-id")).to.match(/^[0-9a-f-]{36}$/);
  });

  it("OPTIONS without CORS lists the allowed methods", async () => {
    const res = await rest(api, "OPTIONS", "/core/roles/app-operator");
    expect(res.status).to.equal(204);
    expect(res.headers.get("allow")!.split(", ").sort()).to.deep.equal(["DELETE", "GET", "OPTIONS", "PATCH", "PUT"]);
  });

  describe("CORS", () => {
    it("allows any origin by default, on answers and on errors", async () => {
      for (const path of ["/core/roles/app-operator", "/core/roles/missing"]) {
        const res = await rest(api, "GET", path, undefined, { origin: "https://ui.example" });
        expect(res.headers.get("access-control-allow-origin")).to.equal("*");
        expect(res.headers.get("access-control-expose-headers")).to.equal("x-request-id");
      }
      const none = await rest(api, "GET", "/core/roles/app-operator");
      expect(none.headers.get("access-control-allow-origin")).to.equal(null);
    });

    it("answers a preflight with the route's methods and the requested headers", async () => {
      const res = await rest(api, "OPTIONS", "/core/roles/app-operator", undefined, {
        origin: "https://ui.example", "access-control-request-method": "PUT", "access-control-request-headers": "content-type, x-request-id",
      });
      expect(res.status).to.equal(204);
      expect(res.headers.get("access-control-allow-origin")).to.equal("*");
      expect(res.headers.get("access-control-allow-methods")!.split(", ").sort()).to.deep.equal(["DELETE", "GET", "OPTIONS", "PATCH", "PUT"]);
      expect(res.headers.get("access-control-allow-headers")).to.equal("content-type, x-request-id");
      expect(res.headers.get("access-control-max-age")).to.equal("600");
      const unknown = await rest(api, "OPTIONS", "/nowhere", undefined, { origin: "https://ui.example", "access-control-request-method": "GET" });
      expectProblem(unknown, 404, "NOT_FOUND");
    });

    it("allows only the configured origins when configured", async () => {
      const strict = await startApi(etcd, { http: { ...defaultConfig.http, port: 0, corsOrigin: "https://ui.example, https://admin.example" } });
      try {
        const ok = await rest(strict, "GET", "/", undefined, { origin: "https://admin.example" });
        expect(ok.headers.get("access-control-allow-origin")).to.equal("https://admin.example");
        expect(ok.headers.get("access-control-allow-credentials")).to.equal("true");
        expect(ok.headers.get("vary")).to.equal("Origin");
        const other = await rest(strict, "GET", "/", undefined, { origin: "https://evil.example" });
        expect(other.status).to.equal(200);
        expect(other.headers.get("access-control-allow-origin")).to.equal(null);
        const preflight = await rest(strict, "OPTIONS", "/core/roles", undefined, { origin: "https://evil.example", "access-control-request-method": "POST" });
        expect(preflight.status).to.equal(204);
        expect(preflight.headers.get("access-control-allow-origin")).to.equal(null);
      } finally {
        await strict.stop();
      }
    });
  });
});
