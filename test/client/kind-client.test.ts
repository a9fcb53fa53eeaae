/**
 * The generic client against a gRPC server that fails on purpose: a real
 * grpc-js server with the generated RoleService, whose handlers answer what
 * each test scripts (the failures a real API gives only by chance:
 * UNAVAILABLE from a store that is away, a watch stream cut in the middle).
 */
import { expect } from "chai";
import { Metadata, Server, ServerCredentials, status as Status } from "@grpc/grpc-js";
import type { sendUnaryData, ServerUnaryCall, ServerWritableStream, ServiceError, UntypedServiceImplementation } from "@grpc/grpc-js";
import { EventType } from "../../gen/krake/core/v1/watch.js";
import { ListRolesResponse, Role } from "../../gen/krake/core/v1/role.js";
import type { WatchRolesResponse, WatchRolesRequest } from "../../gen/krake/core/v1/role.js";
import { ApiConnection } from "../../src/client/kind-client.js";
import { resumableWatch } from "../../src/client/resumable-watch.js";
import type { WatchEvent } from "../../src/client/kind-client.js";
import { roleKind } from "../../src/kinds/index.js";

type Handler = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => void;
type WatchHandler = (call: ServerWritableStream<WatchRolesRequest, WatchRolesResponse>) => void;

function unavailable(): Partial<ServiceError> {
  return { code: Status.UNAVAILABLE, details: "etcd is away", metadata: new Metadata() };
}

function role(name: string, resourceVersion: string): Role {
  return Role.fromPartial({ api: "core", kind: "Role", metadata: { name, resourceVersion } });
}

/** A RoleService whose methods run the handlers a test sets, counting calls. */
class ScriptedRoles {
  readonly calls = new Map<string, number>();
  readonly watchRequests: WatchRolesRequest[] = [];
  handlers: Record<string, Handler> = {};
  watch: WatchHandler[] = [];
  private server = new Server();
  address = "";

  async start(): Promise<void> {
    const impl: UntypedServiceImplementation = {};
    for (const key of Object.keys(roleKind.service)) {
      if (key === "watchRoles") {
        impl[key] = (call: ServerWritableStream<WatchRolesRequest, WatchRolesResponse>) => {
          this.watchRequests.push(call.request);
          const next = this.watch.shift();
          if (next) next(call);
          else call.emit("error", { code: Status.UNIMPLEMENTED, details: "no more streams scripted" });
        };
        continue;
      }
      impl[key] = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
        this.calls.set(key, (this.calls.get(key) ?? 0) + 1);
        const handler = this.handlers[key];
        if (handler) handler(call, callback);
        else callback({ code: Status.UNIMPLEMENTED, details: key });
      };
    }
    this.server.addService(roleKind.service, impl);
    const port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    this.address = `127.0.0.1:${port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.tryShutdown(() => resolve()));
  }
}

/** Fails the first `n` calls with UNAVAILABLE, then answers `answer`. */
function failing(n: number, answer: () => unknown): Handler {
  let left = n;
  return (_call, callback) => {
    if (left-- > 0) callback(unavailable());
    else callback(null, answer());
  };
}

describe("generic client: retries and resumable watch (scripted gRPC server)", () => {
  let server: ScriptedRoles;
  let connection: ApiConnection;

  beforeEach(async () => {
    server = new ScriptedRoles();
    await server.start();
    connection = new ApiConnection(server.address);
  });
  afterEach(async () => {
    connection.close();
    await server.stop();
  });

  const roles = () => connection.client(roleKind);

  it("retries a Get on UNAVAILABLE with backoff and returns the answer", async () => {
    server.handlers["getRole"] = failing(2, () => role("r", "7"));
    const got = await roles().get("", "r");
    expect(got.metadata?.resourceVersion).to.equal("7");
    expect(server.calls.get("getRole")).to.equal(3);
  });

  it("retries a List and an Update, each under the same request", async () => {
    server.handlers["listRoles"] = failing(1, () => ListRolesResponse.fromPartial({ api: "core", kind: "RoleList", metadata: { resourceVersion: "9" }, items: [role("a", "9")] }));
    const seen: string[] = [];
    let left = 1;
    server.handlers["updateRole"] = (call, callback) => {
      seen.push((call.request as { role: Role }).role.metadata!.resourceVersion);
      if (left-- > 0) callback(unavailable());
      else callback(null, role("a", "10"));
    };
    expect((await roles().list()).items.map((r) => r.metadata?.name)).to.deep.equal(["a"]);
    expect(server.calls.get("listRoles")).to.equal(2);
    await roles().update(role("a", "9"));
    expect(seen, "the precondition is sent again unchanged").to.deep.equal(["9", "9"]);
  });

  it("gives up after five attempts with the last UNAVAILABLE", async () => {
    server.handlers["getRole"] = failing(100, () => role("r", "1"));
    const err = (await roles().get("", "r").catch((e: unknown) => e)) as ServiceError;
    expect(err.code).to.equal(Status.UNAVAILABLE);
    expect(err.details).to.equal("etcd is away");
    expect(server.calls.get("getRole")).to.equal(5);
  });

  it("does not repeat a Create or a Delete that answered UNAVAILABLE (the first may have landed)", async () => {
    server.handlers["createRole"] = failing(1, () => role("r", "1"));
    server.handlers["deleteRole"] = failing(1, () => role("r", "1"));
    const created = (await roles().create("", role("r", "")).catch((e: unknown) => e)) as ServiceError;
    const deleted = (await roles().delete("", "r").catch((e: unknown) => e)) as ServiceError;
    expect([created.code, deleted.code]).to.deep.equal([Status.UNAVAILABLE, Status.UNAVAILABLE]);
    expect([server.calls.get("createRole"), server.calls.get("deleteRole")]).to.deep.equal([1, 1]);
  });

  it("does not retry other errors", async () => {
    server.handlers["getRole"] = (_call, callback) => callback({ code: Status.NOT_FOUND, details: "no such role" });
    const err = (await roles().get("", "r").catch((e: unknown) => e)) as ServiceError;
    expect(err.code).to.equal(Status.NOT_FOUND);
    expect(server.calls.get("getRole")).to.equal(1);
  });

  describe("resumableWatch", () => {
    const collect = async (until: (events: WatchEvent<Role>[]) => boolean, resourceVersion = "5") => {
      const abort = new AbortController();
      const events: WatchEvent<Role>[] = [];
      const resumed: boolean[] = [];
      const retries: number[] = [];
      let failure: unknown;
      try {
        for await (const ev of resumableWatch(roles(), {
          resourceVersion,
          signal: abort.signal,
          backoffInitialMs: 1,
          backoffMaxMs: 4,
          onStream: (r) => resumed.push(r),
          onRetry: (err) => retries.push((err as ServiceError).code ?? -1),
        })) {
          events.push(ev);
          if (until(events)) abort.abort();
        }
      } catch (err) {
        failure = err;
      }
      return { events, resumed, retries, failure };
    };
    const event = (type: EventType, name: string, rv: string): WatchRolesResponse => ({ type, object: role(name, rv) });

    it("watches again from the last version it saw (event or bookmark) after a stream breaks or ends", async () => {
      server.watch = [
        (call) => {
          call.write(event(EventType.ADDED, "a", "6"));
          call.write({ type: EventType.BOOKMARK, object: Role.fromPartial({ metadata: { resourceVersion: "8" } }) });
          call.emit("error", unavailable());
        },
        (call) => {
          call.write(event(EventType.MODIFIED, "a", "9"));
          call.end();
        },
        (call) => {
          call.write(event(EventType.DELETED, "a", "10"));
        },
      ];
      const { events, resumed, retries, failure } = await collect((evs) => evs.length === 4);
      expect(failure).to.equal(undefined);
      expect(events.map((e) => e.object?.metadata?.resourceVersion)).to.deep.equal(["6", "8", "9", "10"]);
      expect(server.watchRequests.map((r) => [r.resourceVersion, r.allowBookmarks])).to.deep.equal([
        ["5", true],
        ["8", true],
        ["9", true],
      ]);
      expect(resumed).to.deep.equal([false, true, true]);
      expect(retries, "only the broken stream waits").to.deep.equal([Status.UNAVAILABLE]);
    });

    it("throws OUT_OF_RANGE to the caller (list again) instead of retrying", async () => {
      server.watch = [(call) => call.emit("error", { code: Status.OUT_OF_RANGE, details: "too old", metadata: new Metadata() })];
      const { failure, events } = await collect(() => false, "1");
      expect((failure as ServiceError).code).to.equal(Status.OUT_OF_RANGE);
      expect(events).to.deep.equal([]);
    });

    it("throws on an ERROR event", async () => {
      server.watch = [(call) => call.write({ type: EventType.ERROR, object: undefined })];
      const { failure } = await collect(() => false);
      expect(String(failure)).to.contain("the watch reported an error");
    });

    it("backs off when a stream ends before its first event", async () => {
      server.watch = [(call) => call.end(), (call) => call.write(event(EventType.ADDED, "b", "6"))];
      const { events, retries } = await collect((evs) => evs.length === 1);
      expect(events.map((e) => e.object?.metadata?.name)).to.deep.equal(["b"]);
      expect(retries).to.deep.equal([-1]);
      expect(server.watchRequests.map((r) => r.resourceVersion)).to.deep.equal(["5", "5"]);
    });
  });
});
