/** Update: generation and modified, immutable fields, "no update", optimistic concurrency, validation. */
import { expect } from "chai";
import { status as Status } from "@grpc/grpc-js";
import type { KrakeObject } from "../../../../src/apiserver/objects/kind.js";
import { expectApiError, meta, rv, tickPast } from "./helpers.js";
import type { KindSuite } from "./suite.js";
import { timestampToMillis, timestampFromDate } from "../../../../src/kinds/timestamp.js";

export function updateConformance<T extends KrakeObject>(s: KindSuite<T>): void {
  describe("update", () => {
    it("bumps generation and modified on a spec change", async () => {
      const sc = s.scope();
      const created = await sc.create();
      await tickPast(meta(created).modified);
      const body = s.clone(created);
      s.f.changeSpec(body);
      const updated = await s.c.update(sc.ns, meta(created).name, body);
      const m = meta(updated);
      expect(m.generation).to.equal(2);
      expect(timestampToMillis(m.modified!)).to.be.greaterThan(timestampToMillis(meta(created).modified!));
      expect(rv(updated)).to.be.greaterThan(rv(created));
      expect(m.uid).to.equal(meta(created).uid);
      expect(timestampToMillis(m.created!)).to.equal(timestampToMillis(meta(created).created!));
      const got = await s.c.get(sc.ns, m.name);
      expect(s.f.codec.toJSON(got)).to.deep.equal(s.f.codec.toJSON(updated));
    });

    it("bumps modified but not generation on a metadata-only change", async () => {
      const sc = s.scope();
      const created = await sc.create();
      await tickPast(meta(created).modified);
      const body = s.clone(created);
      meta(body).labels = { ...meta(body).labels, color: "blue" };
      const updated = await s.c.update(sc.ns, meta(created).name, body);
      expect(meta(updated).labels["color"]).to.equal("blue");
      expect(meta(updated).generation).to.equal(1);
      expect(timestampToMillis(meta(updated).modified!)).to.be.greaterThan(timestampToMillis(meta(created).modified!));
    });

    it("ignores server-owned fields in the body", async () => {
      const sc = s.scope();
      const created = await sc.create();
      const body = s.clone(created);
      Object.assign(meta(body), { uid: "forged", created: timestampFromDate(new Date(0)), generation: 99, deleted: timestampFromDate(new Date(0)) });
      meta(body).labels = { ...meta(body).labels, color: "red" };
      const updated = await s.c.update(sc.ns, meta(created).name, body);
      expect(meta(updated).uid).to.equal(meta(created).uid);
      expect(timestampToMillis(meta(updated).created!)).to.equal(timestampToMillis(meta(created).created!));
      expect(meta(updated).generation).to.equal(1);
      expect(meta(updated).deleted).to.equal(undefined);
    });

    if (s.f.status) {
      const st = s.f.status;
      it("ignores the status in the body", async () => {
        const sc = s.scope();
        const created = await sc.create();
        const body = s.clone(created);
        st.setState(body, st.other);
        s.f.changeSpec(body);
        const updated = await s.c.update(sc.ns, meta(created).name, body);
        expect(st.state(updated)).to.equal(st.initial);
        expect(meta(updated).generation).to.equal(2);
      });

      it("answers a body that differs only in status with \"no update\"", async () => {
        const sc = s.scope();
        const created = await sc.create();
        const body = s.clone(created);
        st.setState(body, st.other);
        const err = await expectApiError(s.c.update(sc.ns, meta(created).name, body), Status.INVALID_ARGUMENT);
        expect(err.message).to.equal("The body contained no update.");
      });
    }

    it("rejects a name change as immutable", async () => {
      const sc = s.scope();
      const created = await sc.create();
      const body = s.clone(created);
      meta(body).name = "renamed";
      // The body disagrees with the request's name on purpose, which only the generated client sends.
      const err = await expectApiError(s.rawUpdate(sc.ns, meta(created).name, body), Status.INVALID_ARGUMENT);
      expect(err.reason).to.equal("Immutable");
      expect(err.details.map((d) => d.field)).to.deep.equal(["metadata.name"]);
    });

    if (s.f.namespaced) {
      it("rejects a namespace change as immutable", async () => {
        const sc = s.scope();
        const created = await sc.create();
        const body = s.clone(created);
        meta(body).namespace = "other";
        // As above, for the namespace.
        const err = await expectApiError(s.rawUpdate(sc.ns, meta(created).name, body), Status.INVALID_ARGUMENT);
        expect(err.reason).to.equal("Immutable");
        expect(err.details.map((d) => d.field)).to.deep.equal(["metadata.namespace"]);
      });
    }

    it("answers an identical body with \"The body contained no update.\"", async () => {
      const sc = s.scope();
      const created = await sc.create();
      const err = await expectApiError(s.c.update(sc.ns, meta(created).name, s.clone(created)), Status.INVALID_ARGUMENT);
      expect(err.message).to.equal("The body contained no update.");
      expect(err.reason).to.equal("NoUpdate");
      expect(rv(await s.c.get(sc.ns, meta(created).name))).to.equal(rv(created));
    });

    it("checks metadata.resource_version: stale → ABORTED, current → applied, absent → last write wins", async () => {
      const sc = s.scope();
      const created = await sc.create();
      const name = meta(created).name;
      const first = s.clone(created);
      meta(first).labels = { ...meta(first).labels, step: "one" };
      const one = await s.c.update(sc.ns, name, first);
      expect(meta(one).resourceVersion).to.not.equal(meta(created).resourceVersion);

      const stale = s.clone(created);
      meta(stale).labels = { ...meta(stale).labels, step: "stale" };
      const err = await expectApiError(s.c.update(sc.ns, name, stale), Status.ABORTED);
      expect(err.reason).to.equal("Conflict");
      expect(meta(await s.c.get(sc.ns, name)).labels["step"]).to.equal("one");

      const current = s.clone(one);
      meta(current).labels = { ...meta(current).labels, step: "two" };
      const two = await s.c.update(sc.ns, name, current);
      expect(meta(two).labels["step"]).to.equal("two");

      const blind = s.clone(created);
      meta(blind).resourceVersion = "";
      meta(blind).labels = { ...meta(blind).labels, step: "three" };
      const three = await s.c.update(sc.ns, name, blind);
      expect(meta(three).labels["step"]).to.equal("three");
      expect(rv(three)).to.be.greaterThan(rv(two));
    });

    it("rejects a resource_version it did not issue", async () => {
      const sc = s.scope();
      const created = await sc.create();
      const body = s.clone(created);
      meta(body).resourceVersion = "yesterday";
      meta(body).labels = { ...meta(body).labels, x: "y" };
      const err = await expectApiError(s.c.update(sc.ns, meta(created).name, body), Status.INVALID_ARGUMENT);
      expect(err.details.map((d) => d.field)).to.deep.equal(["metadata.resource_version"]);
    });

    it("validates the new object", async () => {
      const sc = s.scope();
      const created = await sc.create();
      const body = s.clone(created);
      s.f.invalid.mutate(body);
      const err = await expectApiError(s.c.update(sc.ns, meta(created).name, body), Status.INVALID_ARGUMENT);
      expect(err.details.map((d) => d.field)).to.include(s.f.invalid.field);
      expect(rv(await s.c.get(sc.ns, meta(created).name))).to.equal(rv(created));
    });

    it("answers NOT_FOUND for a missing object", async () => {
      const sc = s.scope();
      const body = sc.object("missing");
      const err = await expectApiError(s.c.update(sc.ns, "missing", body), Status.NOT_FOUND);
      expect(err.message).to.equal(s.notFoundMessage("missing", sc.ns));
    });

    it("rejects a request without a body", async () => {
      const sc = s.scope();
      const created = await sc.create();
      await expectApiError(s.rawUpdate(sc.ns, meta(created).name, undefined), Status.INVALID_ARGUMENT);
    });
  });
}
