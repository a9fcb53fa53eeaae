/**
 * The generated REST client (gen/rest) against a server that speaks the
 * gateway's wire protocol: URL, query and body building from the http rules,
 * headers and injected fetch, problem+json errors, NDJSON watch streams with
 * heartbeats, a final ERROR line, abort and early exit.
 */
import { expect } from "chai";
import { ApplicationServiceClient } from "../../gen/rest/krake/kubernetes/v1/application.js";
import type { Application, WatchApplicationsResponse } from "../../gen/rest/krake/kubernetes/v1/application.js";
import { ClusterServiceClient } from "../../gen/rest/krake/kubernetes/v1/cluster.js";
import { RestError, RestTransport, buildHttpRequest } from "../../gen/rest/runtime.js";
import type { Route } from "../../gen/rest/runtime.js";
import { FakeGateway, sendJson, sendProblem, startStream } from "./fake-gateway.js";

function app(name: string, namespace = "ns"): Application {
  return {
    api: "kubernetes",
    kind: "Application",
    metadata: {
      name,
      namespace,
      labels: {},
      inherit_labels: false,
      finalizers: [],
      uid: "6a1c7b1e-0000-4000-8000-000000000001",
      created: "2024-05-01T10:00:00Z",
      modified: "2024-05-01T10:00:00Z",
      deleted: null,
      owners: [],
      resource_version: "7",
      generation: "1",
      generate_name: "",
    },
    spec: null,
    status: null,
  };
}

function eventLine(type: string, object: unknown): string {
  return `${JSON.stringify({ type, object })}\n`;
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error("expected a rejection");
}

async function drain<T>(events: AsyncIterable<T>, out: T[]): Promise<unknown> {
  try {
    for await (const event of events) out.push(event);
  } catch (err) {
    return err;
  }
  return undefined;
}

describe("codegen: generated REST client (gen/rest)", () => {
  let gateway: FakeGateway;
  let apps: ApplicationServiceClient;

  before(async () => {
    gateway = await FakeGateway.start();
    apps = new ApplicationServiceClient({ baseUrl: gateway.baseUrl });
  });
  after(() => gateway.stop());

  describe("unary calls", () => {
    beforeEach(() => {
      gateway.handler = (req, res) => sendJson(res, 200, app(decodeURIComponent(req.path.split("/")[5] ?? "x")));
    });

    it("posts the body field, with path parameters URL-encoded and other fields in the query", async () => {
      const application = { metadata: { name: "web", labels: null }, spec: { manifest: [{ apiVersion: "v1", kind: "Service" }], tosca: {}, csar: null } };
      const created = await apps.createApplication({ namespace: "system:admin", application, blocking: "RUNNING" });
      const req = gateway.last;
      expect(req.method).to.equal("POST");
      expect(req.url).to.equal("/kubernetes/namespaces/system%3Aadmin/applications?blocking=RUNNING");
      expect(req.headers["content-type"]).to.equal("application/json");
      expect(req.headers.accept).to.equal("application/json, application/problem+json");
      expect(JSON.parse(req.body)).to.deep.equal(application);
      expect(created.metadata?.resource_version).to.equal("7");
    });

    it("gets, lists and deletes with query parameters and no body", async () => {
      await apps.getApplication({ namespace: "ns", name: "a b/c" });
      expect(gateway.last.url).to.equal("/kubernetes/namespaces/ns/applications/a%20b%2Fc");
      expect(gateway.last.body).to.equal("");
      expect(gateway.last.headers["content-type"]).to.equal(undefined);

      await apps.listApplications({ namespace: "ns", label_selector: "app=web", limit: 10 });
      expect(gateway.last.path).to.equal("/kubernetes/namespaces/ns/applications");
      expect([...gateway.last.query]).to.deep.equal([["label_selector", "app=web"], ["limit", "10"]]);

      // No namespace: the all-namespaces binding, without an empty namespace parameter.
      await apps.listApplications({ namespace: "", continue: "tok" });
      expect(gateway.last.url).to.equal("/kubernetes/applications?continue=tok");
      await apps.listApplications({});
      expect(gateway.last.url).to.equal("/kubernetes/applications");

      await apps.deleteApplication({ namespace: "ns", name: "web", force: true, propagation_policy: "foreground" });
      expect(gateway.last.method).to.equal("DELETE");
      expect(gateway.last.url).to.equal("/kubernetes/namespaces/ns/applications/web?force=true&propagation_policy=foreground");
    });

    it("puts subresource bodies: a named field with the rest in the query, or every non-path field for body \"*\"", async () => {
      await apps.bindApplication({
        namespace: "ns",
        name: "web",
        resource_version: "7",
        binding: { cluster: { api: "kubernetes", kind: "Cluster", namespace: "ns", name: "c1" } },
      });
      expect(gateway.last.method).to.equal("PUT");
      expect(gateway.last.url).to.equal("/kubernetes/namespaces/ns/applications/web/binding?resource_version=7");
      expect(JSON.parse(gateway.last.body)).to.deep.equal({ cluster: { api: "kubernetes", kind: "Cluster", namespace: "ns", name: "c1" } });

      await apps.retryApplication({ namespace: "ns", name: "web", resource_version: "8" });
      expect(gateway.last.url).to.equal("/kubernetes/namespaces/ns/applications/web/retry");
      expect(JSON.parse(gateway.last.body)).to.deep.equal({ resource_version: "8" });
    });

    it("refuses a call whose every binding needs a path field that is unset, before sending anything", async () => {
      const before = gateway.requests.length;
      const err = await rejection(apps.getApplication({ namespace: "ns", name: "" }));
      expect(err).to.be.instanceOf(TypeError);
      expect((err as Error).message).to.equal("krake.kubernetes.v1.ApplicationService/GetApplication: the request needs namespace and name");
      // @ts-expect-error name is a required path parameter
      const untyped = await rejection(apps.getApplication({ namespace: "ns" }));
      expect(untyped).to.be.instanceOf(TypeError);
      expect(gateway.requests.length).to.equal(before);
    });

    it("sends the transport's headers (a function is called per call) and per-call headers through an injected fetch", async () => {
      let fetched = 0;
      let token = 0;
      const transport = new RestTransport({
        baseUrl: `${gateway.baseUrl}/`,
        headers: async () => ({ authorization: `Bearer t${++token}` }),
        fetch: (input, init) => {
          fetched++;
          return fetch(input, init);
        },
      });
      const shared = new ApplicationServiceClient(transport);
      const clusters = new ClusterServiceClient(transport);
      await shared.getApplication({ namespace: "ns", name: "web" }, { headers: { "x-request-id": "r1" } });
      expect(gateway.last.headers.authorization).to.equal("Bearer t1");
      expect(gateway.last.headers["x-request-id"]).to.equal("r1");
      await clusters.getCluster({ namespace: "ns", name: "c1" }, { headers: { authorization: "Bearer override" } });
      expect(gateway.last.url).to.equal("/kubernetes/namespaces/ns/clusters/c1");
      expect(gateway.last.headers.authorization).to.equal("Bearer override");
      expect(fetched).to.equal(2);
    });

    it("aborts a call through its signal", async () => {
      gateway.handler = () => undefined; // never answers
      const controller = new AbortController();
      const call = apps.getApplication({ namespace: "ns", name: "slow" }, { signal: controller.signal });
      const closed = gateway.clientClosed();
      setImmediate(() => controller.abort());
      const err = await rejection(call);
      expect((err as Error).name).to.equal("AbortError");
      expect((await closed).path).to.equal("/kubernetes/namespaces/ns/applications/slow");
    });
  });

  describe("errors", () => {
    const problems = [
      { status: 404, title: "NOT_FOUND_ERROR", type: "https://docs/problems#not-found-error", code: "NOT_FOUND", detail: "Application 'web' does not exist in namespace 'ns'" },
      { status: 409, title: "RESOURCE_ALREADY_EXISTS", type: "https://docs/problems#resource-already-exists", code: "ALREADY_EXISTS", detail: "exists" },
      {
        status: 422,
        title: "Unprocessable Entity",
        type: "about:blank",
        code: "INVALID_ARGUMENT",
        detail: "Application \"\" is invalid",
        errors: [{ field: "metadata.name", message: "must not be empty" }],
      },
      { status: 500, title: "Internal Server Error", type: "about:blank", code: "INTERNAL", detail: "internal error (request id r-9)", request_id: "r-9" },
    ];
    for (const problem of problems) {
      it(`throws RestError carrying a ${problem.status} problem+json body`, async () => {
        const full = { ...problem, instance: "/kubernetes/namespaces/ns/applications/web" };
        gateway.handler = (_req, res) => sendProblem(res, full);
        const err = await rejection(apps.getApplication({ namespace: "ns", name: "web" }));
        expect(err).to.be.instanceOf(RestError);
        const e = err as RestError;
        expect(e.status).to.equal(problem.status);
        expect(e.title).to.equal(problem.title);
        expect(e.type).to.equal(problem.type);
        expect(e.code).to.equal(problem.code);
        expect(e.detail).to.equal(problem.detail);
        expect(e.requestId).to.equal(problem.request_id);
        expect(e.errors).to.deep.equal(problem.errors ?? []);
        expect(e.problem).to.deep.equal(full);
        expect(e.message).to.equal(`${problem.status} ${problem.title}: ${problem.detail}`);
      });
    }

    it("throws RestError for an error answer that is not a problem document", async () => {
      gateway.handler = (_req, res) => {
        res.writeHead(502, { "content-type": "text/plain" });
        res.end("upstream connect error");
      };
      const err = (await rejection(apps.listApplications({}))) as RestError;
      expect(err).to.be.instanceOf(RestError);
      expect([err.status, err.title, err.detail, err.code]).to.deep.equal([502, "Bad Gateway", "upstream connect error", undefined]);
    });
  });

  describe("watch", () => {
    it("streams events over NDJSON, skips heartbeats, reassembles split lines and throws on the final ERROR line", async () => {
      const problem = { type: "about:blank", title: "Gone", status: 410, detail: "resource version 5 is too old", code: "OUT_OF_RANGE", request_id: "r-1" };
      gateway.handler = (_req, res) => {
        startStream(res);
        res.write(eventLine("ADDED", app("a")));
        res.write("\n");
        const modified = eventLine("MODIFIED", app("b"));
        res.write(modified.slice(0, 25));
        setTimeout(() => {
          res.write(modified.slice(25));
          res.write("\n\n");
          res.end(eventLine("ERROR", problem));
        }, 20);
      };
      const events: WatchApplicationsResponse[] = [];
      const err = await drain(apps.watchApplications({ namespace: "ns", resource_version: "5", allow_bookmarks: true, heartbeat: 1 }), events);
      const req = gateway.last;
      expect(req.path).to.equal("/kubernetes/namespaces/ns/applications");
      expect([...req.query]).to.deep.equal([["watch", "true"], ["resource_version", "5"], ["allow_bookmarks", "true"], ["heartbeat", "1"]]);
      expect(req.headers.accept).to.equal("application/x-ndjson, application/problem+json");
      expect(events.map((e) => [e.type, e.object?.metadata?.name])).to.deep.equal([["ADDED", "a"], ["MODIFIED", "b"]]);
      expect(err).to.be.instanceOf(RestError);
      const e = err as RestError;
      expect([e.status, e.code, e.detail, e.requestId]).to.deep.equal([410, "OUT_OF_RANGE", "resource version 5 is too old", "r-1"]);
    });

    it("ends the iteration when the server ends the stream; watches every namespace without one", async () => {
      gateway.handler = (_req, res) => {
        startStream(res);
        res.end(eventLine("ADDED", app("a", "n1")) + eventLine("BOOKMARK", app("", "")).trimEnd());
      };
      const events: WatchApplicationsResponse[] = [];
      expect(await drain(apps.watchApplications({}), events)).to.equal(undefined);
      expect(gateway.last.url).to.equal("/kubernetes/applications?watch=true");
      expect(events.map((e) => e.type)).to.deep.equal(["ADDED", "BOOKMARK"]);
    });

    it("throws RestError when the watch is refused before it starts", async () => {
      gateway.handler = (_req, res) => sendProblem(res, { type: "about:blank", title: "Forbidden", status: 403, code: "PERMISSION_DENIED" });
      const err = (await drain(apps.watchApplications({ namespace: "ns" }), [])) as RestError;
      expect(err).to.be.instanceOf(RestError);
      expect([err.status, err.code]).to.deep.equal([403, "PERMISSION_DENIED"]);
    });

    it("throws RestError on a line that is not a watch event", async () => {
      gateway.handler = (_req, res) => {
        startStream(res);
        res.end(`${eventLine("ADDED", app("a"))}{"type":\n`);
      };
      const events: WatchApplicationsResponse[] = [];
      const err = (await drain(apps.watchApplications({ namespace: "ns" }), events)) as RestError;
      expect(events).to.have.length(1);
      expect(err).to.be.instanceOf(RestError);
      expect([err.status, err.title, err.detail]).to.deep.equal([200, "Invalid watch event", '{"type":']);
    });

    it("cancels the stream through an AbortSignal: iteration throws the abort and the connection closes", async () => {
      gateway.handler = (_req, res) => {
        startStream(res);
        res.write(eventLine("ADDED", app("a")));
      };
      const controller = new AbortController();
      const closed = gateway.clientClosed();
      const events: WatchApplicationsResponse[] = [];
      let err: unknown;
      try {
        for await (const event of apps.watchApplications({ namespace: "ns" }, { signal: controller.signal })) {
          events.push(event);
          controller.abort();
        }
      } catch (e) {
        err = e;
      }
      expect(events).to.have.length(1);
      expect((err as Error).name).to.equal("AbortError");
      expect((await closed).query.get("watch")).to.equal("true");
    });

    it("closes the connection when the loop is left early", async () => {
      gateway.handler = (_req, res) => {
        startStream(res);
        res.write(eventLine("ADDED", app("a")) + eventLine("ADDED", app("b")));
      };
      const closed = gateway.clientClosed();
      const names: string[] = [];
      for await (const event of apps.watchApplications({ namespace: "ns" })) {
        names.push(event.object?.metadata?.name ?? "");
        break;
      }
      expect(names).to.deep.equal(["a"]);
      expect((await closed).path).to.equal("/kubernetes/namespaces/ns/applications");
    });
  });

  describe("buildHttpRequest (the runtime's http rule mapping)", () => {
    const route: Route = {
      name: "test.v1.Things/Do",
      bindings: [
        { method: "POST", path: ["/v1/", { field: "parent", multi: true }, "/things/", { field: "thing.id", multi: false }, ":do"], body: "*", watch: false },
        { method: "GET", path: ["/v1/things"], body: "", watch: false },
      ],
    };

    it("keeps / in multi-segment variables, reads nested path fields and leaves them out of a \"*\" body", () => {
      const http = buildHttpRequest(route, { parent: "projects/p 1", thing: { id: "t/1", size: 3 }, note: "n" });
      expect(http).to.deep.equal({
        method: "POST",
        url: "/v1/projects/p%201/things/t%2F1:do",
        body: '{"thing":{"size":3},"note":"n"}',
      });
    });

    it("flattens nested fields as a.b and repeats list values in the query; skips null and undefined", () => {
      const http = buildHttpRequest(route, { filter: { label: { key: "k" }, names: ["x", "y"] }, page: 2, none: null, gone: undefined, flag: false });
      expect(http.method).to.equal("GET");
      expect(http.body).to.equal(undefined);
      expect(http.url).to.equal("/v1/things?filter.label.key=k&filter.names=x&filter.names=y&page=2&flag=false");
    });

    it("refuses values that a URL cannot carry", () => {
      expect(() => buildHttpRequest(route, { items: [{ a: 1 }] })).to.throw(TypeError, 'query parameter items: a URL cannot carry {"a":1}');
    });
  });
});
