/** Create: server-owned metadata, namespaces, names, api/kind and validation. */
import { expect } from "chai";
import { status as Status } from "@grpc/grpc-js";
import type { KrakeObject } from "../../../../src/apiserver/objects/kind.js";
import { expectCode } from "../../../fixtures/api.js";
import { expectApiError, meta, rv } from "./helpers.js";
import type { KindSuite } from "./suite.js";
import { timestampToMillis, timestampFromDate } from "../../../../src/kinds/timestamp.js";

export function createConformance<T extends KrakeObject>(s: KindSuite<T>): void {
  describe("create", () => {
    it("sets uid, created, modified, resource_version and generation 1", async () => {
      const start = new Date();
      const sc = s.scope();
      const created = await sc.create();
      const m = meta(created);
      expect(m.uid).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(m.created).to.have.all.keys("seconds", "nanos");
      expect(timestampToMillis(m.created!)).to.be.within(start.getTime() - 1, Date.now() + 1);
      expect(timestampToMillis(m.modified!)).to.equal(timestampToMillis(m.created!));
      expect(m.deleted).to.equal(undefined);
      expect(m.generation).to.equal(1);
      expect(rv(created)).to.be.greaterThan(0);
      expect(created.api).to.equal(s.f.api);
      expect(created.kind).to.equal(s.f.kind);
      expect(m.namespace).to.equal(sc.ns);
    });

    it("answers with the version that a Get right after it sees", async () => {
      const sc = s.scope();
      const created = await sc.create();
      const got = await s.c.get(sc.ns, meta(created).name);
      expect(s.f.codec.toJSON(got)).to.deep.equal(s.f.codec.toJSON(created));
    });

    it("ignores server-owned fields in the body", async () => {
      const sc = s.scope();
      const created = await sc.create(sc.name(), {}, (obj) => {
        Object.assign(meta(obj), {
          uid: "not-a-server-uid",
          created: timestampFromDate(new Date(0)),
          modified: timestampFromDate(new Date(0)),
          deleted: timestampFromDate(new Date(0)),
          resourceVersion: "999999",
          generation: 42,
        });
      });
      const m = meta(created);
      expect(m.uid).to.not.equal("not-a-server-uid");
      expect(timestampToMillis(m.created!)).to.be.greaterThan(0);
      expect(m.deleted).to.equal(undefined);
      expect(m.generation).to.equal(1);
      expect(m.resourceVersion).to.not.equal("999999");
    });

    if (s.f.status) {
      const st = s.f.status;
      it("resets the status (a status in the body is ignored)", async () => {
        const sc = s.scope();
        const created = await sc.create(sc.name(), {}, (obj) => st.setState(obj, st.other));
        expect(st.state(created)).to.equal(st.initial);
        expect(st.state(await s.c.get(sc.ns, meta(created).name))).to.equal(st.initial);
      });
    }

    if (s.f.namespaced) {
      it("takes the namespace of the request over the body's", async () => {
        const sc = s.scope();
        const obj = sc.object();
        meta(obj).namespace = "elsewhere";
        const created = await s.c.create(sc.ns, obj);
        expect(meta(created).namespace).to.equal(sc.ns);
        await s.c.get(sc.ns, meta(created).name);
        await expectCode(s.c.get("elsewhere", meta(created).name), Status.NOT_FOUND);
      });

      it("takes the body's namespace when the request has none", async () => {
        const sc = s.scope();
        const obj = sc.object();
        const created = await s.c.create("", obj);
        expect(meta(created).namespace).to.equal(sc.ns);
      });

      it("requires a namespace", async () => {
        const sc = s.scope();
        const obj = sc.object();
        meta(obj).namespace = "";
        const err = await expectApiError(s.c.create("", obj), Status.INVALID_ARGUMENT);
        expect(err.details.map((d) => d.field)).to.deep.equal(["metadata.namespace"]);
      });
    } else {
      it("drops a namespace given in the body", async () => {
        const sc = s.scope();
        const obj = sc.object();
        meta(obj).namespace = "team-a";
        const created = await s.c.create("", obj);
        expect(meta(created).namespace).to.equal("");
      });
    }

    it("rejects a duplicate with ALREADY_EXISTS", async () => {
      const sc = s.scope();
      const created = await sc.create();
      const name = meta(created).name;
      const err = await expectApiError(sc.create(name), Status.ALREADY_EXISTS);
      expect(err.reason).to.equal("AlreadyExists");
      expect(err.message).to.contain(`'${name}' already exists`);
      expect(meta(await s.c.get(sc.ns, name)).uid).to.equal(meta(created).uid);
    });

    it("gives each create with generate_name and no name a unique name", async () => {
      const sc = s.scope();
      const created = await Promise.all(
        Array.from({ length: 6 }, () =>
          sc.create("", {}, (obj) => {
            meta(obj).generateName = "gen-";
          }),
        ),
      );
      const names = created.map((o) => meta(o).name);
      for (const name of names) expect(name).to.match(/^gen-[a-z0-9]{5}$/);
      expect(new Set(names).size).to.equal(names.length);
      expect((await sc.names()).sort()).to.deep.equal([...names].sort());
    });

    it("uses the name, not generate_name, when both are given", async () => {
      const sc = s.scope();
      const name = sc.name();
      const created = await sc.create(name, {}, (obj) => {
        meta(obj).generateName = "gen-";
      });
      expect(meta(created).name).to.equal(name);
    });

    it("rejects a wrong api or kind, naming the field", async () => {
      const sc = s.scope();
      const wrongApi = sc.object();
      wrongApi.api = s.f.api === "core" ? "kubernetes" : "core";
      let err = await expectApiError(s.c.create(sc.ns, wrongApi), Status.INVALID_ARGUMENT);
      expect(err.details.map((d) => d.field)).to.deep.equal(["api"]);
      const wrongKind = sc.object();
      wrongKind.kind = s.f.kind === "Role" ? "RoleBinding" : "Role";
      err = await expectApiError(s.c.create(sc.ns, wrongKind), Status.INVALID_ARGUMENT);
      expect(err.details.map((d) => d.field)).to.deep.equal(["kind"]);
      expect(await sc.names()).to.deep.equal([]);
    });

    it("fills in api and kind when they are left empty", async () => {
      const sc = s.scope();
      const obj = sc.object();
      obj.api = "";
      obj.kind = "";
      const created = await s.c.create(sc.ns, obj);
      expect([created.api, created.kind]).to.deep.equal([s.f.api, s.f.kind]);
    });

    it("rejects an invalid object with INVALID_ARGUMENT naming the field", async () => {
      const sc = s.scope();
      const err = await expectApiError(sc.create(sc.name(), {}, s.f.invalid.mutate), Status.INVALID_ARGUMENT);
      expect(err.reason).to.equal("Invalid");
      expect(err.details.map((d) => d.field)).to.include(s.f.invalid.field);
      expect(await sc.names()).to.deep.equal([]);
    });

    it("rejects a request without a body", async () => {
      const sc = s.scope();
      await expectApiError(s.c.create(sc.ns, undefined), Status.INVALID_ARGUMENT);
    });
  });
}
