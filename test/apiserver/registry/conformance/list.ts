/** List: snapshots, namespaces, label selectors and pagination. */
import { expect } from "chai";
import { status as Status } from "@grpc/grpc-js";
import type { KrakeObject } from "../../../../src/apiserver/objects/kind.js";
import { expectApiError, meta, rv } from "./helpers.js";
import type { KindSuite } from "./suite.js";

export function listConformance<T extends KrakeObject>(s: KindSuite<T>): void {
  describe("list", () => {
    it(`answers a ${s.f.kind}List with the snapshot's resource_version`, async () => {
      const sc = s.scope();
      const a = await sc.create();
      const b = await sc.create();
      const list = await s.c.list(sc.ns, { labelSelector: sc.selector });
      expect([list.api, list.kind]).to.deep.equal([s.f.api, `${s.f.kind}List`]);
      expect(list.items.map((o) => meta(o).name)).to.deep.equal([meta(a).name, meta(b).name]);
      expect(Number(list.metadata?.resourceVersion)).to.be.at.least(rv(b));
      expect(list.metadata?.continue).to.equal("");
    });

    if (s.f.namespaced) {
      it("lists one namespace, or every namespace with namespace \"\"", async () => {
        const sc = s.scope();
        const other = `${sc.ns}-b`;
        const a = await sc.create(sc.name("a"));
        const b = await s.c.create(other, sc.object(sc.name("b")));
        expect(await sc.names()).to.deep.equal([meta(a).name]);
        expect(await sc.names({}, other)).to.deep.equal([meta(b).name]);
        const all = await s.c.list("", { labelSelector: sc.selector });
        expect(all.items.map((o) => `${meta(o).namespace}/${meta(o).name}`).sort()).to.deep.equal(
          [`${sc.ns}/${meta(a).name}`, `${other}/${meta(b).name}`].sort(),
        );
      });
    }

    it("filters by label selector (=, ==, !=, in, notin, exists, !key)", async () => {
      const sc = s.scope();
      await sc.create("prod-web", { env: "prod", tier: "web" });
      await sc.create("dev-web", { env: "dev", tier: "web" });
      await sc.create("test", { env: "test" });
      await sc.create("db", { tier: "db" });
      const cases: [string, string[]][] = [
        ["env=prod", ["prod-web"]],
        ["env==dev", ["dev-web"]],
        ["env!=prod", ["db", "dev-web", "test"]],
        ["env in (prod, dev)", ["dev-web", "prod-web"]],
        ["env notin (prod,dev)", ["db", "test"]],
        ["env", ["dev-web", "prod-web", "test"]],
        ["!env", ["db"]],
        ["tier=web,env!=dev", ["prod-web"]],
        ["tier in (web),!env", []],
      ];
      for (const [selector, want] of cases) {
        expect((await sc.names({ labelSelector: selector })).sort(), selector).to.deep.equal(want);
      }
    });

    it("rejects a malformed selector with INVALID_ARGUMENT", async () => {
      const sc = s.scope();
      for (const selector of ["env in prod", "=x", "a=b=c", "a > 1"]) {
        const err = await expectApiError(s.c.list(sc.ns, { labelSelector: selector }), Status.INVALID_ARGUMENT);
        expect(err.details.map((d) => d.field), selector).to.deep.equal(["label_selector"]);
      }
    });

    it("pages with limit and continue over the snapshot of the first page", async () => {
      const sc = s.scope();
      const names: string[] = [];
      for (let i = 0; i < 5; i++) names.push(meta(await sc.create(`page-${sc.id}-${i}`)).name);
      const first = await s.c.list(sc.ns, { labelSelector: sc.selector, limit: 2 });
      expect(first.items.map((o) => meta(o).name)).to.deep.equal(names.slice(0, 2));
      expect(first.metadata?.continue).to.not.equal("");
      const snapshot = first.metadata?.resourceVersion;

      // Writes after the first page: a new object that sorts last, a changed and a deleted one.
      await sc.create(`page-${sc.id}-9`);
      const changed = s.clone(await s.c.get(sc.ns, names[2]!));
      meta(changed).labels = { ...meta(changed).labels, later: "yes" };
      await s.c.update(sc.ns, names[2]!, changed);
      await s.c.delete(sc.ns, names[3]!, { force: true });

      const second = await s.c.list(sc.ns, { labelSelector: sc.selector, limit: 2, continue: first.metadata!.continue });
      expect(second.items.map((o) => meta(o).name)).to.deep.equal(names.slice(2, 4));
      expect(meta(second.items[0]).labels["later"]).to.equal(undefined);
      expect(second.metadata?.resourceVersion).to.equal(snapshot);
      const third = await s.c.list(sc.ns, { labelSelector: sc.selector, limit: 2, continue: second.metadata!.continue });
      expect(third.items.map((o) => meta(o).name)).to.deep.equal(names.slice(4));
      expect(third.metadata?.resourceVersion).to.equal(snapshot);
      expect(third.metadata?.continue).to.equal("");

      const now = await s.c.list(sc.ns, { labelSelector: sc.selector });
      expect(now.items.map((o) => meta(o).name)).to.deep.equal([names[0], names[1], names[2], names[4], `page-${sc.id}-9`]);
    });

    it("pages a selector across keys it skips", async () => {
      const sc = s.scope();
      for (let i = 0; i < 6; i++) await sc.create(`sel-${sc.id}-${i}`, { parity: i % 2 ? "odd" : "even" });
      const seen: string[] = [];
      let token = "";
      do {
        const page = await s.c.list(sc.ns, { labelSelector: sc.select("parity=odd"), limit: 2, continue: token });
        seen.push(...page.items.map((o) => meta(o).name));
        token = page.metadata?.continue ?? "";
      } while (token);
      expect(seen).to.deep.equal([1, 3, 5].map((i) => `sel-${sc.id}-${i}`));
    });

    it("rejects a continue token it did not issue and a negative limit", async () => {
      const sc = s.scope();
      for (const token of ["garbage", Buffer.from('{"v":1,"rv":"x","after":""}').toString("base64url")]) {
        const err = await expectApiError(s.c.list(sc.ns, { continue: token, limit: 1 }), Status.INVALID_ARGUMENT);
        expect(err.details.map((d) => d.field)).to.deep.equal(["continue"]);
      }
      const err = await expectApiError(s.c.list(sc.ns, { limit: -1 }), Status.INVALID_ARGUMENT);
      expect(err.details.map((d) => d.field)).to.deep.equal(["limit"]);
    });
  });
}
