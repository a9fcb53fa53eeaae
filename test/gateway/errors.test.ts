/**
 * Every error status the REST API answers, each with its problem+json body,
 * against a real krake-api over a real etcd; and the gRPC → HTTP mapping as a
 * table.
 */
import { expect } from "chai";
import { ApiError, Status } from "../../src/errors/api-error.js";
import type { ErrorReason } from "../../src/errors/api-error.js";
import { HttpError, httpStatusOf, toProblem } from "../../src/apiserver/gateway/problem.js";
import { startApi } from "../fixtures/api.js";
import type { ApiHarness } from "../fixtures/api.js";
import { startEtcd } from "../fixtures/etcd.js";
import type { EtcdProcess } from "../fixtures/etcd.js";
import { baseUrl, expectProblem, fixture, rest } from "./helpers.js";
import type { Json } from "./helpers.js";

const APPS = "/kubernetes/namespaces/gw-errors/applications";
const krakeType = /^https:\/\/.+#/;

describe("gateway errors", function () {
  this.timeout(30_000);
  let etcd: EtcdProcess;
  let api: ApiHarness;

  before(async () => {
    etcd = await startEtcd();
    api = await startApi(etcd);
    const res = await rest(api, "POST", APPS, fixture("application.json"));
    expect(res.status, res.text).to.equal(200);
  });
  after(async () => {
    await api?.stop();
    await etcd?.remove();
  });

  describe("400 Bad Request", () => {
    it("malformed JSON, with line, column and position", async () => {
      const p = expectProblem(await rest(api, "POST", APPS, '{\n  "api": "kubernetes",\n  "kind" "Application"\n}'), 400, "INVALID_ARGUMENT");
      expect(p.title).to.equal("Bad Request");
      expect(p.type).to.equal("about:blank");
      expect(p.detail).to.match(/^malformed JSON at line 3, column 10 \(position 34\)/);
    });

    it("a query parameter of the wrong type, naming it", async () => {
      const p = expectProblem(await rest(api, "DELETE", `${APPS}/echo?force=maybe`), 400, "INVALID_ARGUMENT");
      expect(p.errors).to.deep.equal([{ field: "force", message: "expected true or false (True, False, 1, 0)" }]);
    });

    it("not an unknown query parameter: ignored as Krake ignores it, with a Warning naming it", async () => {
      const res = await rest(api, "GET", `${APPS}?labelSelector=a%3Db&colour=blue`);
      expect(res.status, res.text).to.equal(200);
      expect(res.headers.get("warning")).to.equal('299 - "unknown query parameter: colour"');
    });

    it("a bad value in a nested parameter of a known field, naming it", async () => {
      const p = expectProblem(await rest(api, "GET", `${APPS}?labelSelector.x=1`), 400, "INVALID_ARGUMENT");
      expect(p.errors).to.have.length(1);
      expect((p.errors as Json[])[0]).to.include({ field: "labelSelector" });
    });

    it("a query parameter that the body sets", async () => {
      const p = expectProblem(await rest(api, "POST", `${APPS}?application.metadata.name=x`, fixture("application.json")), 400, "INVALID_ARGUMENT");
      expect(p.errors).to.deep.equal([{ field: "application.metadata.name", message: "set by the request body" }]);
    });

    it("an update that changes nothing (Krake's UPDATE_ERROR)", async () => {
      const current = await rest(api, "GET", `${APPS}/echo`);
      const p = expectProblem(await rest(api, "PUT", `${APPS}/echo`, current.json), 400, "INVALID_ARGUMENT");
      expect(p.title).to.equal("UPDATE_ERROR");
      expect(p.type).to.match(krakeType).and.match(/#update-error$/);
      expect(p.detail).to.equal("The body contained no update.");
    });

    it("an update of an immutable field", async () => {
      const current = await rest(api, "GET", `${APPS}/echo`);
      const body = { ...current.json, metadata: { ...(current.json.metadata as Json), name: "renamed" } };
      const p = expectProblem(await rest(api, "PUT", `${APPS}/echo`, body), 400, "INVALID_ARGUMENT");
      expect(p.title).to.equal("UPDATE_ERROR");
      expect(p.detail).to.equal("Trying to update an immutable field: metadata.name");
      expect(p.errors).to.deep.equal([{ field: "metadata.name", message: "field is immutable" }]);
    });

    it("malformed percent-encoding in the path", async () => {
      expectProblem(await rest(api, "GET", `${APPS}/%E0%A4%A`), 400, "INVALID_ARGUMENT");
    });

    it("a heartbeat that is not a number", async () => {
      const p = expectProblem(await rest(api, "GET", `${APPS}?watch&heartbeat=often`), 400, "INVALID_ARGUMENT");
      expect(p.errors).to.deep.equal([{ field: "heartbeat", message: "expected a number from 0 to 3600" }]);
    });
  });

  it("401 Unauthorized: a wrong hook token", async () => {
    const p = expectProblem(await rest(api, "PUT", `${APPS}/echo/complete`, { token: "wrong" }), 401, "UNAUTHENTICATED");
    expect(p.detail).to.equal("The complete hook token is invalid.");
  });

  describe("404 Not Found", () => {
    it("an object that does not exist (Krake's NOT_FOUND_ERROR)", async () => {
      const p = expectProblem(await rest(api, "GET", `${APPS}/nope`), 404, "NOT_FOUND");
      expect(p.title).to.equal("NOT_FOUND_ERROR");
      expect(p.type).to.match(/#not-found-error$/);
      expect(p.detail).to.match(/'nope' does not exist in namespace 'gw-errors'$/);
      expect(p.instance).to.equal(`${APPS}/nope`);
    });

    it("a path no route serves", async () => {
      for (const path of ["/nope", "/kubernetes/namespaces/gw-errors/gadgets", `${APPS}/echo/colour`, `${APPS}/`]) {
        const p = expectProblem(await rest(api, "GET", path), 404, "NOT_FOUND");
        expect(p.detail).to.equal(`no route for ${path}`);
      }
    });
  });

  it("405 Method Not Allowed with Allow", async () => {
    let res = await rest(api, "DELETE", APPS);
    expectProblem(res, 405, "UNIMPLEMENTED");
    expect(res.headers.get("allow")).to.equal("POST, GET, OPTIONS");
    res = await rest(api, "POST", `${APPS}/echo`, {});
    expectProblem(res, 405, "UNIMPLEMENTED");
    expect(res.headers.get("allow")!.split(", ").sort()).to.deep.equal(["DELETE", "GET", "OPTIONS", "PATCH", "PUT"]);
    res = await rest(api, "POST", "/livez");
    expectProblem(res, 405, "UNIMPLEMENTED");
    expect(res.headers.get("allow")).to.equal("GET, HEAD, OPTIONS");
  });

  describe("409 Conflict", () => {
    it("an object that exists already (Krake's RESOURCE_ALREADY_EXISTS)", async () => {
      const p = expectProblem(await rest(api, "POST", APPS, fixture("application.json")), 409, "ALREADY_EXISTS");
      expect(p.title).to.equal("RESOURCE_ALREADY_EXISTS");
      expect(p.type).to.match(/#resource-already-exists$/);
    });

    it("a stale resource_version (Krake's TRANSACTION_ERROR)", async () => {
      const current = await rest(api, "GET", `${APPS}/echo`);
      const meta = current.json.metadata as Json;
      const body = { ...current.json, metadata: { ...meta, labels: { stale: "yes" }, resource_version: "1" } };
      const p = expectProblem(await rest(api, "PUT", `${APPS}/echo`, body), 409, "ABORTED");
      expect(p.title).to.equal("TRANSACTION_ERROR");
      expect(p.detail).to.match(/not at resource version 1/);
    });

    it("adding a finalizer while in deletion (Krake's 409)", async () => {
      const app = { ...fixture("application.json"), metadata: { name: "doomed" } };
      expect((await rest(api, "POST", APPS, app)).status).to.equal(200);
      const deleted = await rest(api, "DELETE", `${APPS}/doomed`);
      expect(deleted.status, deleted.text).to.equal(200);
      const meta = deleted.json.metadata as Json;
      const body = { ...deleted.json, metadata: { ...meta, finalizers: [...(meta.finalizers as string[]), "extra"] } };
      const p = expectProblem(await rest(api, "PUT", `${APPS}/doomed`, body), 409, "FAILED_PRECONDITION");
      expect(p.title).to.equal("UPDATE_ERROR");
      expect(p.detail).to.equal("Finalizers can only be removed if a deletion is in progress (added: extra).");
    });
  });

  it("410 Gone: a continue token whose snapshot was compacted", async () => {
    const roles = "/core/roles";
    for (const name of ["r1", "r2", "r3"]) {
      const res = await rest(api, "POST", roles, { ...fixture("role.yaml"), metadata: { name } });
      expect(res.status, res.text).to.equal(200);
    }
    const page = await rest(api, "GET", `${roles}?limit=1`);
    const token = (page.json.metadata as Json).continue as string;
    expect(token).to.be.a("string").and.not.empty;
    expect((await rest(api, "POST", roles, { ...fixture("role.yaml"), metadata: { name: "r4" } })).status).to.equal(200);
    await api.store.compact(await api.store.currentRevision());
    const p = expectProblem(await rest(api, "GET", `${roles}?limit=1&continue=${encodeURIComponent(token)}`), 410, "OUT_OF_RANGE");
    expect(p.title).to.equal("Gone");
  });

  describe("413 Payload Too Large", () => {
    const big = JSON.stringify({ ...fixture("application.json"), padding: "x".repeat(1.6 * 1024 * 1024) });

    it("a declared length over 1.5 MiB", async () => {
      const res = await rest(api, "POST", APPS, big);
      expectProblem(res, 413, "RESOURCE_EXHAUSTED");
      expect(res.headers.get("connection")).to.equal("close");
    });

    it("a chunked body that grows over 1.5 MiB", async () => {
      const bytes = new TextEncoder().encode(big);
      const body = new ReadableStream<Uint8Array>({
        start(c) {
          for (let i = 0; i < bytes.length; i += 64 * 1024) c.enqueue(bytes.subarray(i, i + 64 * 1024));
          c.close();
        },
      });
      const res = await fetch(`${baseUrl(api)}${APPS}`, {
        method: "POST", body, headers: { "content-type": "application/json" }, duplex: "half",
      } as RequestInit);
      expect(res.status).to.equal(413);
      expect(((await res.json()) as Json).code).to.equal("RESOURCE_EXHAUSTED");
    });
  });

  it("415 Unsupported Media Type: a body that is not JSON", async () => {
    const p = expectProblem(await rest(api, "POST", APPS, "name=echo", { "content-type": "application/x-www-form-urlencoded" }), 415, "INVALID_ARGUMENT");
    expect(p.detail).to.equal("the body must be JSON, not application/x-www-form-urlencoded");
    const patch = await rest(api, "PATCH", `${APPS}/echo`, { metadata: {} }, { "content-type": "application/json" });
    expectProblem(patch, 415, "INVALID_ARGUMENT");
  });

  describe("422 Unprocessable Entity", () => {
    it("field validation, a message per field", async () => {
      const app = fixture("application.json");
      const body = { ...app, metadata: { name: "bad name!", labels: { "-x": "y" } } };
      const p = expectProblem(await rest(api, "POST", APPS, body), 422, "INVALID_ARGUMENT");
      expect(p.title).to.equal("Unprocessable Entity");
      const fields = (p.errors as Json[]).map((e) => e.field);
      expect(fields).to.include("metadata.name");
      expect(fields.some((f) => String(f).startsWith("metadata.labels"))).to.equal(true);
      for (const e of p.errors as Json[]) expect(p.detail).to.include(`${e.field as string}: ${e.message as string}`);
    });

    it("unknown fields and wrong types in the body, with their paths", async () => {
      const app = fixture("application.json");
      const body = { ...app, colour: "blue", spec: { ...(app.spec as Json), backoff: "soon", constraints: { migration: "yes" } } };
      const p = expectProblem(await rest(api, "POST", APPS, body), 422, "INVALID_ARGUMENT");
      // in document order: `spec` keeps the fixture's place, `colour` comes after it
      expect(p.errors).to.deep.equal([
        { field: "spec.constraints.migration", message: "expected true or false" },
        { field: "spec.backoff", message: "expected an integer (int32)" },
        { field: "colour", message: "unknown field" },
      ]);
    });

    it("a body-less create", async () => {
      const p = expectProblem(await rest(api, "POST", APPS), 422, "INVALID_ARGUMENT");
      expect(p.errors).to.deep.equal([{ field: "", message: "the object is required" }]);
    });
  });

  it("503 Service Unavailable while the store is down, and /readyz says so", async () => {
    await etcd.stop();
    try {
      expectProblem(await rest(api, "GET", `${APPS}/echo`), 503, "UNAVAILABLE");
      const ready = await rest(api, "GET", "/readyz");
      expect(ready.status).to.equal(503);
      expect((ready.json.checks as Json).store).to.match(/^unreachable/);
    } finally {
      await etcd.restart();
    }
    const deadline = Date.now() + 20_000;
    while ((await rest(api, "GET", "/readyz")).status !== 200) {
      if (Date.now() > deadline) throw new Error("/readyz did not recover");
      await new Promise((r) => setTimeout(r, 100));
    }
  });
});

describe("gateway status mapping", () => {
  const byCode: [Status, number][] = [
    [Status.CANCELLED, 499], [Status.UNKNOWN, 500], [Status.INVALID_ARGUMENT, 400], [Status.DEADLINE_EXCEEDED, 504],
    [Status.NOT_FOUND, 404], [Status.ALREADY_EXISTS, 409], [Status.PERMISSION_DENIED, 403], [Status.RESOURCE_EXHAUSTED, 429],
    [Status.FAILED_PRECONDITION, 400], [Status.ABORTED, 409], [Status.OUT_OF_RANGE, 400], [Status.UNIMPLEMENTED, 501],
    [Status.INTERNAL, 500], [Status.UNAVAILABLE, 503], [Status.DATA_LOSS, 500], [Status.UNAUTHENTICATED, 401],
  ];
  for (const [code, http] of byCode) {
    it(`${Status[code]} → ${http} (grpc-gateway)`, () => {
      expect(httpStatusOf(new ApiError(code, "BadRequest", "x"))).to.equal(http);
    });
  }
  const byReason: [Status, ErrorReason, number][] = [
    [Status.INVALID_ARGUMENT, "Invalid", 422],
    [Status.INVALID_ARGUMENT, "NoUpdate", 400],
    [Status.INVALID_ARGUMENT, "Immutable", 400],
    [Status.FAILED_PRECONDITION, "Deleting", 409],
    [Status.OUT_OF_RANGE, "Expired", 410],
  ];
  for (const [code, reason, http] of byReason) {
    it(`${Status[code]}/${reason} → ${http} (Krake)`, () => {
      expect(httpStatusOf(new ApiError(code, reason, "x"))).to.equal(http);
    });
  }
  it("an HTTP-only error keeps its own status", () => {
    expect(httpStatusOf(new HttpError(415, Status.INVALID_ARGUMENT, "BadRequest", "x"))).to.equal(415);
  });

  it("an internal error is logged with the request id and answered 500 without its stack", () => {
    const logged: Record<string, unknown>[] = [];
    const boom = new Error("secret detail at /etc/passwd");
    const p = toProblem(boom, "/x", "req-1", "https://docs.example/problem", { error: (fields) => logged.push(fields) });
    expect(p).to.deep.equal({
      type: "about:blank", title: "Internal Server Error", status: 500, detail: "internal error (request id req-1)",
      instance: "/x", code: "INTERNAL", request_id: "req-1",
    });
    expect(logged).to.have.length(1);
    expect(logged[0].err).to.equal(boom);
    expect(logged[0].requestId).to.equal("req-1");
  });
});
