/** Get: NOT_FOUND and request validation. */
import { expect } from "chai";
import { status as Status } from "@grpc/grpc-js";
import type { KrakeObject } from "../../../../src/apiserver/objects/kind.js";
import { expectApiError } from "./helpers.js";
import type { KindSuite } from "./suite.js";

export function getConformance<T extends KrakeObject>(s: KindSuite<T>): void {
  describe("get", () => {
    it("answers NOT_FOUND with Krake's message", async () => {
      const sc = s.scope();
      const err = await expectApiError(s.c.get(sc.ns, "missing"), Status.NOT_FOUND);
      expect(err.message).to.equal(s.notFoundMessage("missing", sc.ns));
      expect(err.reason).to.equal("NotFound");
    });

    it("rejects an empty name", async () => {
      const sc = s.scope();
      const err = await expectApiError(s.c.get(sc.ns, ""), Status.INVALID_ARGUMENT);
      expect(err.details.map((d) => d.field)).to.deep.equal(["name"]);
    });

    if (s.f.namespaced) {
      it("rejects an empty namespace", async () => {
        const err = await expectApiError(s.c.get("", "x"), Status.INVALID_ARGUMENT);
        expect(err.details.map((d) => d.field)).to.deep.equal(["namespace"]);
      });
    }
  });
}
