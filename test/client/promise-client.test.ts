import { expect } from "chai";
import { getEventListeners } from "node:events";
import { status as Status } from "@grpc/grpc-js";
import type { ServiceError } from "@grpc/grpc-js";
import { expectCode, useApi } from "../fixtures/api.js";
import type { ApiHarness } from "../fixtures/api.js";

describe("promise client: cancellation by AbortSignal (real API)", () => {
  let api: ApiHarness;
  useApi((started) => (api = started.api));

  const abortListeners = (signal: AbortSignal) => getEventListeners(signal, "abort").length;

  it("leaves no listener on a long-lived signal after its calls end, answered or failed", async () => {
    const signal = new AbortController().signal;
    const roles = api.clients.roles;
    for (let i = 0; i < 20; i++) await roles.listRoles({ labelSelector: "", limit: 0, continue: "" }, { signal });
    await expectCode(roles.getRole({ name: "missing" }, { signal }), Status.NOT_FOUND);
    expect(abortListeners(signal)).to.equal(0);
  });

  it("cancels a unary call already aborted before it starts", async () => {
    const controller = new AbortController();
    controller.abort();
    await expectCode(api.clients.roles.getRole({ name: "x" }, { signal: controller.signal }), Status.CANCELLED);
  });

  it("cancels a watch when the signal aborts, and drops the listener when the stream ends", async () => {
    const controller = new AbortController();
    const watch = api.clients.roles.watchRoles(
      { labelSelector: "", resourceVersion: "", allowBookmarks: false, sendInitialEvents: false },
      { signal: controller.signal },
    );
    expect(abortListeners(controller.signal)).to.equal(1);
    const ended = new Promise<number>((resolve) => watch.stream.on("status", (s: { code: number }) => resolve(s.code)));
    watch.stream.on("error", () => undefined);
    controller.abort();
    expect(await ended).to.equal(Status.CANCELLED);
    expect(abortListeners(controller.signal)).to.equal(0);
  });

  it("drops the listener of a watch that the server ends", async () => {
    const signal = new AbortController().signal;
    const watch = api.clients.roles.watchRoles(
      { labelSelector: "", resourceVersion: "not-a-version", allowBookmarks: false, sendInitialEvents: false },
      { signal },
    );
    const err = await new Promise<ServiceError>((resolve) => watch.stream.on("error", resolve));
    expect(err.code, "a malformed version").to.equal(Status.INVALID_ARGUMENT);
    await new Promise((r) => setImmediate(r));
    expect(abortListeners(signal)).to.equal(0);
  });
});
