/** The status subresource: only the status changes, with optimistic concurrency. */
import { expect } from "chai";
import { status as Status } from "@grpc/grpc-js";
import type { KrakeObject } from "../../../../src/apiserver/objects/kind.js";
import { expectApiError, meta, rv } from "./helpers.js";
import type { KindSuite, StatusAccess } from "./suite.js";

export function statusConformance<T extends KrakeObject>(s: KindSuite<T>, st: StatusAccess<T>): void {
  describe("update status", () => {
    const updateStatus = (ns: string, name: string, obj: T) => s.c.updateStatus!(ns, name, obj);

    it("changes only the status, even when spec and metadata are sent changed", async () => {
      const sc = s.scope();
      const created = await sc.create();
      const body = s.clone(created);
      st.setState(body, st.other);
      s.f.changeSpec(body);
      meta(body).labels = { ...meta(body).labels, color: "green" };
      meta(body).finalizers = ["example.com/x"];
      const updated = await updateStatus(sc.ns, meta(created).name, body);
      expect(st.state(updated)).to.equal(st.other);
      expect(rv(updated)).to.be.greaterThan(rv(created));
      const unchanged = s.clone(updated);
      st.setState(unchanged, st.initial);
      meta(unchanged).resourceVersion = meta(created).resourceVersion;
      expect(s.f.codec.toJSON(unchanged)).to.deep.equal(s.f.codec.toJSON(created));
      expect(st.state(await s.c.get(sc.ns, meta(created).name))).to.equal(st.other);
    });

    it("rejects a stale resource_version with ABORTED and accepts the current one", async () => {
      const sc = s.scope();
      const created = await sc.create();
      const name = meta(created).name;
      const labelled = s.clone(created);
      meta(labelled).labels = { ...meta(labelled).labels, v: "2" };
      const newer = await s.c.update(sc.ns, name, labelled);
      const stale = s.clone(created);
      st.setState(stale, st.other);
      await expectApiError(updateStatus(sc.ns, name, stale), Status.ABORTED);
      expect(st.state(await s.c.get(sc.ns, name))).to.equal(st.initial);
      const current = s.clone(newer);
      st.setState(current, st.other);
      expect(st.state(await updateStatus(sc.ns, name, current))).to.equal(st.other);
    });

    it("answers NOT_FOUND for a missing object", async () => {
      const sc = s.scope();
      await expectApiError(updateStatus(sc.ns, "missing", sc.object("missing")), Status.NOT_FOUND);
    });

    it("rejects a wrong kind", async () => {
      const sc = s.scope();
      const created = await sc.create();
      const body = s.clone(created);
      body.kind = "Role";
      const err = await expectApiError(updateStatus(sc.ns, meta(created).name, body), Status.INVALID_ARGUMENT);
      expect(err.details.map((d) => d.field)).to.deep.equal(["kind"]);
    });

    it("is accepted while the object is in deletion", async () => {
      const sc = s.scope();
      const created = await sc.create();
      const deleted = await s.c.delete(sc.ns, meta(created).name);
      const body = s.clone(deleted);
      st.setState(body, st.other);
      expect(st.state(await updateStatus(sc.ns, meta(created).name, body))).to.equal(st.other);
    });
  });
}
