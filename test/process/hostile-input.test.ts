/**
 * One request must never take krake-api down: every row of the hostile-input
 * report (issue 9) against the real process. Each case checks the answer, that
 * the process is still running and answering, and that stored data did not
 * change when the request failed.
 */
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { expect } from "chai";
import { Client, credentials, Metadata } from "@grpc/grpc-js";
import type { ServiceError } from "@grpc/grpc-js";
import type { ClusterStatus_State } from "../../gen/krake/kubernetes/v1/cluster.js";
import { Status } from "../../src/errors/api-error.js";
import { startApiProcess } from "../fixtures/api-process.js";
import type { ApiProcess } from "../fixtures/api-process.js";
import { startEtcd } from "../fixtures/etcd.js";
import type { EtcdProcess } from "../fixtures/etcd.js";

/** A kubeconfig that Cluster validation accepts (Krake's example). */
const kubeconfig = (JSON.parse(readFileSync("test/fixtures/krake/cluster.json", "utf8")) as { spec: { kubeconfig: object } }).spec.kubeconfig;

interface Answer {
  status: number;
  json: Record<string, unknown>;
  text: string;
}

/** Raw protobuf writing, for frames no generated encoder would produce. */
const tag = (field: number, wire: number) => Buffer.from([(field << 3) | wire]);
function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}
const bytesField = (field: number, value: Buffer) => Buffer.concat([tag(field, 2), varint(value.length), value]);

/** A google.protobuf.Value nesting `levels` Structs `{"a": {"a": ...}}`, built inside out (no recursion). */
function deepValue(levels: number): Buffer {
  let value = bytesField(3, Buffer.from("leaf")); // Value.string_value
  for (let i = 0; i < levels; i++) {
    const entry = Buffer.concat([bytesField(1, Buffer.from("a")), bytesField(2, value)]);
    value = bytesField(5, bytesField(1, entry)); // Value.struct_value { fields: entry }
  }
  return value;
}

describe("krake-api under hostile input (issue 9)", function () {
  this.timeout(60_000);
  let etcd: EtcdProcess;
  let api: ApiProcess;
  let raw: Client;
  const ns = "hostile";

  const rest = async (method: string, path: string, body?: string, type = "application/json"): Promise<Answer> => {
    const init: RequestInit = { method, headers: body === undefined ? {} : { "content-type": type } };
    if (body !== undefined) init.body = body;
    const res = await fetch(`http://127.0.0.1:${api.httpPort}${path}`, init);
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // watch streams and empty bodies
    }
    return { status: res.status, json, text };
  };

  const unary = (path: string, body: Buffer) =>
    new Promise<{ err: ServiceError | null; bytes?: Buffer }>((resolve) => {
      raw.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, body, new Metadata(), { deadline: Date.now() + 15_000 }, (err, bytes) =>
        resolve({ err: err as ServiceError | null, bytes }));
    });

  /** The process still runs and answers on both transports. */
  const alive = async () => {
    expect(api.child.exitCode, "krake-api exited").to.equal(null);
    expect((await rest("GET", "/readyz")).status).to.equal(200);
    const list = await api.clients.clusters.listClusters({ namespace: ns, labelSelector: "", limit: 0, continue: "" });
    expect(list.items.map((c) => c.metadata?.name)).to.include("c1");
  };

  const storedCluster = async () => (await rest("GET", `/kubernetes/namespaces/${ns}/clusters/c1`)).text;

  before(async () => {
    etcd = await startEtcd();
    api = await startApiProcess({ etcd });
    raw = new Client(api.address, credentials.createInsecure());
    const created = await rest("POST", `/kubernetes/namespaces/${ns}/clusters`,
      JSON.stringify({ metadata: { name: "c1" }, spec: { kubeconfig } }));
    expect(created.status, created.text).to.equal(200);
  });
  after(async () => {
    raw?.close();
    await api?.stop();
    await etcd?.remove();
  });

  describe("prototype keys in query parameters", () => {
    for (const [method, path] of [
      ["GET", `/kubernetes/namespaces/${ns}/applications?a.__proto__.zz=1`],
      ["DELETE", `/kubernetes/namespaces/${ns}/applications/x?a.__proto__.zz=1`],
      ["GET", `/kubernetes/namespaces/${ns}/clusters/c1?constructor.prototype.zz=1`],
      ["GET", `/kubernetes/namespaces/${ns}/applications?__proto__=1`],
    ] as const) {
      it(`${method} ${path.split("?")[1]}: 400 naming the parameter, and the process lives on`, async () => {
        const res = await rest(method, path);
        expect(res.status, res.text).to.equal(400);
        expect(res.json.code).to.equal("INVALID_ARGUMENT");
        expect(JSON.stringify(res.json.errors)).to.contain(path.split("?")[1].split("=")[0]);
        // the request after it is counted by the same metrics that threw before
        const metrics = await rest("GET", "/metrics");
        expect(metrics.status).to.equal(200);
        expect(metrics.text).to.match(/route="\/kubernetes\/namespaces\/\{namespace\}\/\w+[^"]*",code="400"/);
        expect(metrics.text).not.to.contain("zz");
        await alive();
      });
    }
  });

  describe("user text in gRPC trailers", () => {
    const listApps = "/krake.kubernetes.v1.ApplicationService/ListApplications";
    const listBindings = "/krake.core.v1.RoleBindingService/ListRoleBindings";
    for (const [name, path, request, selector] of [
      ["ListApplications, é=1", listApps, Buffer.concat([bytesField(1, Buffer.from(ns)), bytesField(2, Buffer.from("é=1"))]), "é=1"],
      ["ListRoleBindings, é=1", listBindings, bytesField(1, Buffer.from("é=1")), "é=1"],
      ["ListApplications, invalid UTF-8", listApps, Buffer.concat([bytesField(1, Buffer.from(ns)), bytesField(2, Buffer.from([0xc3, 0x28, 0x3d, 0x31]))]), "\ufffd=1"],
      ["ListApplications, a lone surrogate's bytes", listApps, bytesField(2, Buffer.from([0xed, 0xa0, 0x80, 0x3d, 0x31])), undefined],
    ] as const) {
      it(`${name}: INVALID_ARGUMENT with the field errors readable as sent`, async () => {
        const { err } = await unary(path, request);
        expect(err?.code, err?.details).to.equal(Status.INVALID_ARGUMENT);
        const trailer = err!.metadata.get("krake-field-errors")[0];
        expect(trailer).to.be.a("string").and.match(/^[\x20-\x7e]*$/);
        const errors = JSON.parse(trailer as string) as { field: string; message: string }[];
        expect(errors[0].field).to.equal("label_selector");
        if (selector) expect(errors[0].message).to.contain(selector.split("=")[0]);
        await alive();
      });
    }
  });

  describe("deep nesting", () => {
    const deep = (levels: number) => `${'{"a":'.repeat(levels)}1${"}".repeat(levels)}`;

    it("a merge patch nested 10,000 levels: 400, before any work, the object unchanged", async () => {
      const before = await storedCluster();
      const res = await rest("PATCH", `/kubernetes/namespaces/${ns}/clusters/c1`, `{"spec":{"kubeconfig":${deep(10_000)}}}`,
        "application/merge-patch+json");
      expect(res.status, res.text).to.equal(400);
      expect(res.json.detail).to.contain("deeper than 100 levels");
      expect(await storedCluster()).to.equal(before);
      await alive();
    });

    for (const [what, body] of [
      ["spec.kubeconfig", (d: string) => `{"metadata":{"name":"deep"},"spec":{"kubeconfig":${d}}}`],
      ["spec.manifest", (d: string) => `{"metadata":{"name":"deep"},"spec":{"manifest":[${d}]}}`],
    ] as const) {
      const plural = what === "spec.manifest" ? "applications" : "clusters";
      it(`POST and PUT with 10,000 levels inside ${what}: 400, nothing stored`, async () => {
        const post = await rest("POST", `/kubernetes/namespaces/${ns}/${plural}`, body(deep(10_000)));
        expect(post.status, post.text).to.equal(400);
        const put = await rest("PUT", `/kubernetes/namespaces/${ns}/clusters/c1`, body(deep(10_000)));
        expect(put.status, put.text).to.equal(400);
        expect((await rest("GET", `/kubernetes/namespaces/${ns}/${plural}/deep`)).status).to.equal(404);
        await alive();
      });

      it(`POST with 40 levels inside ${what}: 422 naming the field (deeper than any protobuf client can read)`, async () => {
        const res = await rest("POST", `/kubernetes/namespaces/${ns}/${plural}`, body(deep(40)));
        expect(res.status, res.text).to.equal(422);
        const errors = res.json.errors as { field: string; message: string }[];
        expect(errors[0].field).to.match(new RegExp(`^${what.replace(".", "\\.")}(\\[0\\])?\\.a\\.a`));
        expect(errors[0].message).to.contain("nested deeper than 96 protobuf messages");
        expect((await rest("GET", `/kubernetes/namespaces/${ns}/${plural}/deep`)).status).to.equal(404);
      });
    }

    it("POST with 20 levels inside spec.kubeconfig is stored and read back intact", async () => {
      const body = JSON.stringify({ metadata: { name: "deep20" }, spec: { kubeconfig: { ...kubeconfig, x: JSON.parse(deep(20)) as unknown } } });
      const res = await rest("POST", `/kubernetes/namespaces/${ns}/clusters`, body);
      expect(res.status, res.text).to.equal(200);
      const got = await api.clients.clusters.getCluster({ namespace: ns, name: "deep20" });
      expect(JSON.stringify(got.spec?.kubeconfig?.x)).to.equal(deep(20));
    });

    it("a gRPC UpdateRoleBinding frame of 10,000 nested groups: INVALID_ARGUMENT, not a dropped connection", async () => {
      const frame = Buffer.concat([Buffer.alloc(10_000, (9 << 3) | 3), Buffer.alloc(10_000, (9 << 3) | 4)]);
      const { err } = await unary("/krake.core.v1.RoleBindingService/UpdateRoleBinding", frame);
      expect(err?.code, err?.details).to.equal(Status.INVALID_ARGUMENT);
      expect(err?.details).to.contain("cannot be decoded");
      await alive();
    });

    it("a gRPC frame with an over-long varint: INVALID_ARGUMENT saying it cannot be decoded", async () => {
      const { err } = await unary("/krake.core.v1.LeaseService/CreateLease", Buffer.from("08ffffffffffffffffffffff", "hex"));
      expect(err?.code, err?.details).to.equal(Status.INVALID_ARGUMENT);
      expect(err?.details).to.match(/^the request message cannot be decoded: /);
      await alive();
    });

    it("a gRPC CreateCluster with a kubeconfig nested 10,000 levels: INVALID_ARGUMENT, nothing stored", async () => {
      // CreateClusterRequest { namespace = 1, cluster = 2 { metadata = 3 { name = 1 }, spec = 4 { kubeconfig = 1 (Struct) } } }
      const kubeconfig = bytesField(1, Buffer.concat([bytesField(1, Buffer.from("a")), bytesField(2, deepValue(10_000))]));
      const cluster = Buffer.concat([bytesField(3, bytesField(1, Buffer.from("deep-grpc"))), bytesField(4, bytesField(1, kubeconfig))]);
      const { err } = await unary("/krake.kubernetes.v1.ClusterService/CreateCluster",
        Buffer.concat([bytesField(1, Buffer.from(ns)), bytesField(2, cluster)]));
      expect(err?.code, err?.details).to.equal(Status.INVALID_ARGUMENT);
      expect((await rest("GET", `/kubernetes/namespaces/${ns}/clusters/deep-grpc`)).status).to.equal(404);
      await alive();
    });
  });

  describe("enum values outside the enum", () => {
    for (const state of ["1e20", "999", "-1", "1.5"]) {
      it(`PUT .../clusters/c1/status with status.state ${state}: 422 naming the field, the object unchanged`, async () => {
        const before = await storedCluster();
        const res = await rest("PUT", `/kubernetes/namespaces/${ns}/clusters/c1/status`, `{"metadata":{"name":"c1"},"status":{"state":${state}}}`);
        expect(res.status, res.text).to.be.oneOf([400, 422]);
        expect(res.json.code).to.equal("INVALID_ARGUMENT");
        expect(JSON.stringify(res.json.errors)).to.contain("status.state");
        expect(await storedCluster()).to.equal(before);
      });
    }

    it("gRPC UpdateClusterStatus with state 999: INVALID_ARGUMENT naming status.state", async () => {
      const current = await api.clients.clusters.getCluster({ namespace: ns, name: "c1" });
      const before = await storedCluster();
      const err = await api.clients.clusters
        .updateClusterStatus({ namespace: ns, name: "c1", cluster: { ...current, status: { ...current.status!, state: 999 as ClusterStatus_State } } })
        .then(() => undefined, (e: ServiceError) => e);
      expect(err?.code, err?.details).to.equal(Status.INVALID_ARGUMENT);
      expect(err?.metadata.get("krake-field-errors")[0]).to.contain("status.state");
      expect(await storedCluster()).to.equal(before);
    });
  });

  describe("numeric parameters out of range", () => {
    for (const heartbeat of ["99999999999", "3000000", "1e308", "-1", "abc", "3601"]) {
      it(`?watch&heartbeat=${heartbeat}: 400 with the allowed range`, async () => {
        const res = await rest("GET", `/kubernetes/namespaces/${ns}/clusters?watch&heartbeat=${heartbeat}`);
        expect(res.status, res.text).to.equal(400);
        expect(res.json.detail).to.contain("from 0 to 3600");
      });
    }

    it("?watch&heartbeat=3600 is accepted (the stream starts)", async () => {
      const controller = new AbortController();
      const res = await fetch(`http://127.0.0.1:${api.httpPort}/kubernetes/namespaces/${ns}/clusters?watch&heartbeat=3600`, {
        signal: controller.signal,
      });
      expect(res.status).to.equal(200);
      controller.abort();
      await res.body?.cancel().catch(() => undefined);
    });

    for (const limit of ["-1", "2147483648", "1.5"]) {
      it(`?limit=${limit}: 400 naming limit`, async () => {
        const res = await rest("GET", `/kubernetes/namespaces/${ns}/clusters?limit=${limit}`);
        expect(res.status, res.text).to.equal(400);
        expect(JSON.stringify(res.json.errors)).to.contain("limit");
      });
    }
  });

  describe("strings that UTF-8 cannot hold", () => {
    // JSON's \uD800 escape makes a lone surrogate; protobuf would store U+FFFD instead, so the
    // answer to the write would show a value that is not the one stored.
    for (const [what, path, body, field] of [
      ["a free-form value", `/kubernetes/namespaces/${ns}/clusters`, () => JSON.stringify({ metadata: { name: "sur1" }, spec: { kubeconfig: { ...kubeconfig, x: "a\ud800b" } } }), "spec.kubeconfig.x"],
      ["a free-form key", `/kubernetes/namespaces/${ns}/clusters`, () => JSON.stringify({ metadata: { name: "sur2" }, spec: { kubeconfig: { ...kubeconfig, ["\udc00"]: 1 } } }), "spec.kubeconfig.\udc00"],
      ["a string field", `/kubernetes/namespaces/${ns}/clusters`, () => JSON.stringify({ metadata: { name: "sur3" }, spec: { kubeconfig, custom_resources: ["x\ud800"] } }), "spec.custom_resources[0]"],
    ] as const) {
      it(`a lone surrogate in ${what}: 422 naming the field, nothing stored`, async () => {
        const res = await rest("POST", path, body());
        expect(res.status, res.text).to.equal(422);
        const errors = res.json.errors as { field: string; message: string }[];
        expect(errors[0]).to.deep.equal({ field, message: "is not valid Unicode (a lone surrogate); strings must be valid UTF-8" });
        expect((await rest("GET", `${path}/${(JSON.parse(body()) as { metadata: { name: string } }).metadata.name}`)).status).to.equal(404);
      });
    }
  });

  describe("framing and size of answers", () => {
    it("a huge label selector over gRPC: INVALID_ARGUMENT arrives (the message is cut to fit the trailers)", async () => {
      const { err } = await unary("/krake.core.v1.RoleService/ListRoles", bytesField(1, Buffer.from("a".repeat(54_000))));
      expect(err?.code, err?.details).to.equal(Status.INVALID_ARGUMENT);
      expect(err!.details.length).to.be.below(1_000);
      expect(err!.details).to.match(/truncated\)$/);
      await alive();
    });

    it("DELETE with Transfer-Encoding: gzip is refused with 400 and deletes nothing", async () => {
      const created = await rest("POST", "/core/rolebindings", JSON.stringify({ metadata: { name: "te-victim" }, users: ["u"], roles: ["r"] }));
      expect(created.status, created.text).to.equal(200);
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect(api.httpPort, "127.0.0.1", () => {
          socket.end("DELETE /core/rolebindings/te-victim HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n");
        });
        let text = "";
        socket.on("data", (d: Buffer) => (text += d.toString()));
        socket.on("close", () => resolve(text));
        socket.on("error", reject);
      });
      expect(answer).to.match(/^HTTP\/1\.1 400 /);
      const after = await rest("GET", "/core/rolebindings/te-victim");
      expect(after.status).to.equal(200);
      expect((after.json.metadata as { deleted?: unknown }).deleted).to.equal(null);
    });
  });

  describe("__proto__ keys in bodies", () => {
    it("PATCH and PUT both refuse a top-level __proto__ as an unknown field (422), the object unchanged", async () => {
      const before = await storedCluster();
      const patch = await rest("PATCH", `/kubernetes/namespaces/${ns}/clusters/c1`, '{"__proto__":{"spec":{}}}', "application/merge-patch+json");
      expect(patch.status, patch.text).to.equal(422);
      expect(patch.json.errors).to.deep.equal([{ field: "__proto__", message: "unknown field" }]);
      const put = await rest("PUT", `/kubernetes/namespaces/${ns}/clusters/c1`, '{"metadata":{"name":"c1"},"__proto__":{}}');
      expect(put.status, put.text).to.equal(422);
      expect(put.json.errors).to.deep.equal([{ field: "__proto__", message: "unknown field" }]);
      expect(await storedCluster()).to.equal(before);
    });

    it("a __proto__ key inside a free-form field is refused too, on PATCH and POST", async () => {
      const before = await storedCluster();
      const patch = await rest("PATCH", `/kubernetes/namespaces/${ns}/clusters/c1`, '{"spec":{"kubeconfig":{"__proto__":{"x":1}}}}',
        "application/merge-patch+json");
      expect(patch.status, patch.text).to.equal(422);
      expect(patch.json.errors).to.deep.equal([{ field: "spec.kubeconfig.__proto__", message: "unknown field" }]);
      const post = await rest("POST", `/kubernetes/namespaces/${ns}/clusters`, '{"metadata":{"name":"p"},"spec":{"kubeconfig":{"a":{"__proto__":1}}}}');
      expect(post.status, post.text).to.equal(422);
      expect(await storedCluster()).to.equal(before);
      await alive();
    });
  });
});
