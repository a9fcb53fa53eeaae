/** Delete: deletion timestamps, finalizers, force, preconditions and propagation policies. */
import { expect } from "chai";
import { status as Status } from "@grpc/grpc-js";
import type { KrakeObject } from "../../../../src/apiserver/objects/kind.js";
import { expectApiError, meta, rv } from "./helpers.js";
import type { KindSuite, Scope } from "./suite.js";
import { timestampToMillis } from "../../../../src/kinds/timestamp.js";

export function deleteConformance<T extends KrakeObject>(s: KindSuite<T>): void {
  describe("delete", () => {
    const withFinalizer = (obj: T) => {
      meta(obj).finalizers = ["example.com/cleanup"];
    };

    it("sets deleted and appends cascade_deletion; the object stays until its finalizers are gone", async () => {
      const sc = s.scope();
      const created = await sc.create(sc.name(), {}, withFinalizer);
      const deleted = await s.c.delete(sc.ns, meta(created).name);
      const m = meta(deleted);
      expect(m.deleted).to.have.all.keys("seconds", "nanos");
      expect(m.finalizers).to.deep.equal(["example.com/cleanup", "cascade_deletion"]);
      expect(rv(deleted)).to.be.greaterThan(rv(created));
      const got = await s.c.get(sc.ns, m.name);
      expect(timestampToMillis(meta(got).deleted!)).to.equal(timestampToMillis(m.deleted!));
      expect(await s.api.store.get(s.storeKey(sc.ns, m.name))).to.not.equal(undefined);
    });

    it("treats a repeated Delete as a no-op (same object, no new version)", async () => {
      const sc = s.scope();
      const created = await sc.create();
      const first = await s.c.delete(sc.ns, meta(created).name);
      const second = await s.c.delete(sc.ns, meta(created).name);
      expect(s.f.codec.toJSON(second)).to.deep.equal(s.f.codec.toJSON(first));
      expect(rv(await s.c.get(sc.ns, meta(created).name))).to.equal(rv(first));
    });

    describe("while in deletion", () => {
      const inDeletion = async (sc: Scope<T>) => {
        const created = await sc.create(sc.name(), {}, withFinalizer);
        return s.c.delete(sc.ns, meta(created).name);
      };

      it("accepts a change of spec, labels and owners with its finalizers kept (only adding one is refused)", async () => {
        const sc = s.scope();
        const deleted = await inDeletion(sc);
        const body = s.clone(deleted);
        s.f.changeSpec(body);
        meta(body).labels = { ...meta(body).labels, color: "red" };
        meta(body).owners = [];
        const changed = await s.c.update(sc.ns, meta(deleted).name, body);
        expect(meta(changed).labels.color).to.equal("red");
        expect(meta(changed).finalizers).to.deep.equal(meta(deleted).finalizers);
        expect(timestampToMillis(meta(changed).deleted!)).to.equal(timestampToMillis(meta(deleted).deleted!));
      });

      it("rejects adding a finalizer, even while removing another", async () => {
        const sc = s.scope();
        const deleted = await inDeletion(sc);
        const body = s.clone(deleted);
        meta(body).finalizers = [...meta(body).finalizers, "example.com/late"];
        const err = await expectApiError(s.c.update(sc.ns, meta(deleted).name, body), Status.FAILED_PRECONDITION);
        expect(err.message).to.equal("Finalizers can only be removed if a deletion is in progress (added: example.com/late).");
        meta(body).finalizers = ["example.com/late", "cascade_deletion"];
        await expectApiError(s.c.update(sc.ns, meta(deleted).name, body), Status.FAILED_PRECONDITION);
        expect(meta(await s.c.get(sc.ns, meta(deleted).name)).finalizers).to.deep.equal(meta(deleted).finalizers);
      });

      it("accepts removing finalizers, and removes the object from etcd with the last one", async () => {
        const sc = s.scope();
        const deleted = await inDeletion(sc);
        const name = meta(deleted).name;
        const key = s.storeKey(sc.ns, name);
        const body = s.clone(deleted);
        meta(body).finalizers = ["example.com/cleanup"];
        const fewer = await s.c.update(sc.ns, name, body);
        expect(meta(fewer).finalizers).to.deep.equal(["example.com/cleanup"]);
        expect(meta(await s.c.get(sc.ns, name)).finalizers).to.deep.equal(["example.com/cleanup"]);
        expect(await s.api.store.get(key)).to.not.equal(undefined);

        const none = s.clone(fewer);
        meta(none).finalizers = [];
        const gone = await s.c.update(sc.ns, name, none);
        expect(meta(gone).finalizers).to.deep.equal([]);
        expect(rv(gone)).to.be.greaterThan(rv(fewer));
        expect(await s.api.store.get(key)).to.equal(undefined);
        const err = await expectApiError(s.c.get(sc.ns, name), Status.NOT_FOUND);
        expect(err.message).to.equal(s.notFoundMessage(name, sc.ns));
      });
    });

    it("with force removes the object at once", async () => {
      const sc = s.scope();
      const created = await sc.create(sc.name(), {}, withFinalizer);
      const name = meta(created).name;
      const gone = await s.c.delete(sc.ns, name, { force: true });
      expect(meta(gone).uid).to.equal(meta(created).uid);
      expect(meta(gone).deleted, "Krake answers a forced delete with `deleted` set").to.have.all.keys("seconds", "nanos");
      expect(rv(gone)).to.be.greaterThan(rv(created));
      expect(await s.api.store.get(s.storeKey(sc.ns, name))).to.equal(undefined);
      await expectApiError(s.c.get(sc.ns, name), Status.NOT_FOUND);
    });

    it("with force removes an object that is already in deletion", async () => {
      const sc = s.scope();
      const created = await sc.create(sc.name(), {}, withFinalizer);
      const name = meta(created).name;
      await s.c.delete(sc.ns, name);
      await s.c.delete(sc.ns, name, { force: true });
      expect(await s.api.store.get(s.storeKey(sc.ns, name))).to.equal(undefined);
    });

    it("checks resource_version: stale → ABORTED, current → deleted", async () => {
      const sc = s.scope();
      const created = await sc.create();
      const name = meta(created).name;
      const body = s.clone(created);
      meta(body).labels = { ...meta(body).labels, v: "2" };
      const newer = await s.c.update(sc.ns, name, body);
      const err = await expectApiError(s.c.delete(sc.ns, name, { resourceVersion: meta(created).resourceVersion }), Status.ABORTED);
      expect(err.reason).to.equal("Conflict");
      expect(meta(await s.c.get(sc.ns, name)).deleted).to.equal(undefined);
      await expectApiError(s.c.delete(sc.ns, name, { resourceVersion: meta(created).resourceVersion, force: true }), Status.ABORTED);
      const deleted = await s.c.delete(sc.ns, name, { resourceVersion: meta(newer).resourceVersion });
      expect(meta(deleted).deleted).to.have.all.keys("seconds", "nanos");
    });

    it("rejects an unknown propagation_policy and accepts background, foreground and orphan", async () => {
      const sc = s.scope();
      const created = await sc.create();
      const name = meta(created).name;
      for (const policy of ["cascade", "none", " background"]) {
        const err = await expectApiError(s.c.delete(sc.ns, name, { propagationPolicy: policy }), Status.INVALID_ARGUMENT);
        expect(err.details.map((d) => d.field)).to.deep.equal(["propagation_policy"]);
      }
      expect(meta(await s.c.get(sc.ns, name)).deleted).to.equal(undefined);
      for (const policy of ["background", "foreground", "orphan"]) {
        const obj = await sc.create(sc.name(policy));
        const deleted = await s.c.delete(sc.ns, meta(obj).name, { propagationPolicy: policy });
        expect(meta(deleted).deleted, policy).to.have.all.keys("seconds", "nanos");
        expect(meta(deleted).finalizers, policy).to.have.length(1);
      }
    });

    it("answers NOT_FOUND for a missing object", async () => {
      const sc = s.scope();
      const err = await expectApiError(s.c.delete(sc.ns, "missing"), Status.NOT_FOUND);
      expect(err.message).to.equal(s.notFoundMessage("missing", sc.ns));
      await expectApiError(s.c.delete(sc.ns, "missing", { force: true }), Status.NOT_FOUND);
    });
  });
}
