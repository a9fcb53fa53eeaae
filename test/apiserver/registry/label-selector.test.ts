import { expect } from "chai";
import { ApiError, Status } from "../../../src/errors/api-error.js";
import {
  LabelSelector,
  parseLabelSelector,
  tryParseLabelSelector,
} from "../../../src/apiserver/registry/label-selector.js";
import type { Requirement } from "../../../src/apiserver/registry/label-selector.js";

describe("label selector: parsing", () => {
  const accepted: [string, Requirement[], string][] = [
    ["", [], ""],
    ["   ", [], ""],
    ["a=b", [{ key: "a", op: "eq", values: ["b"] }], "a=b"],
    ["a==b", [{ key: "a", op: "eq", values: ["b"] }], "a=b"],
    ["a!=b", [{ key: "a", op: "ne", values: ["b"] }], "a!=b"],
    ["a in (x,y)", [{ key: "a", op: "in", values: ["x", "y"] }], "a in (x,y)"],
    ["a notin (x)", [{ key: "a", op: "notin", values: ["x"] }], "a notin (x)"],
    ["a", [{ key: "a", op: "exists", values: [] }], "a"],
    ["!a", [{ key: "a", op: "notexists", values: [] }], "!a"],
    [
      " a = b , ! c , d in ( y , x ),e ",
      [
        { key: "a", op: "eq", values: ["b"] },
        { key: "c", op: "notexists", values: [] },
        { key: "d", op: "in", values: ["x", "y"] },
        { key: "e", op: "exists", values: [] },
      ],
      "a=b,!c,d in (x,y),e",
    ],
    ["a in (x,x)", [{ key: "a", op: "in", values: ["x"] }], "a in (x)"],
    ["app.kubernetes.io/name=web", [{ key: "app.kubernetes.io/name", op: "eq", values: ["web"] }], "app.kubernetes.io/name=web"],
    ["tier=v1.2_b-c", [{ key: "tier", op: "eq", values: ["v1.2_b-c"] }], "tier=v1.2_b-c"],
    [
      "a=b,a!=c",
      [
        { key: "a", op: "eq", values: ["b"] },
        { key: "a", op: "ne", values: ["c"] },
      ],
      "a=b,a!=c",
    ],
  ];
  for (const [input, requirements, canonical] of accepted) {
    it(`accepts ${JSON.stringify(input)}`, () => {
      const selector = parseLabelSelector(input);
      expect(selector.requirements).to.deep.equal(requirements);
      expect(selector.isEmpty()).to.equal(requirements.length === 0);
      expect(selector.toString()).to.equal(canonical);
      expect(parseLabelSelector(selector.toString()).requirements).to.deep.equal(requirements);
    });
  }

  const rejected: [string, RegExp][] = [
    ["a=", /expected a label value at position 2, found end of input/],
    ["=b", /expected a label key at position 0, found "="/],
    ["a=b,", /expected a label key at position 4, found end of input/],
    [",a=b", /expected a label key at position 0, found ","/],
    ["a b", /expected "=", "==", "!=", "in", "notin", "," or end of input at position 2, found "b"/],
    ["a in x", /expected "\(" at position 5, found "x"/],
    ["a in ()", /expected a label value at position 6, found "\)"/],
    ["a in (x,)", /expected a label value at position 8, found "\)"/],
    ["a in (x", /expected "," or "\)" at position 7, found end of input/],
    ["a notin x", /expected "\(" at position 8/],
    ["a=b c", /expected "," or end of input at position 4, found "c"/],
    ["!a=b", /expected "," or end of input at position 2, found "="/],
    ["!", /expected a label key at position 1, found end of input/],
    ["a > 1", /found ">"/],
    ["a=b=c", /expected "," or end of input at position 3, found "="/],
    ["a=b/c", /invalid label value "b\/c" at position 2/],
    ["a/b/c=d", /invalid label key "a\/b\/c" at position 0/],
    ["-a=b", /invalid label key "-a"/],
    ["a==", /expected a label value/],
    ["a in (x y)", /expected "," or "\)" at position 8, found "y"/],
  ];
  for (const [input, pattern] of rejected) {
    it(`rejects ${JSON.stringify(input)}`, () => {
      let caught: unknown;
      try {
        parseLabelSelector(input);
      } catch (err) {
        caught = err;
      }
      expect(caught).to.be.instanceOf(ApiError);
      const err = caught as ApiError;
      expect(err.code).to.equal(Status.INVALID_ARGUMENT);
      expect(err.details).to.have.length(1);
      expect(err.details[0]?.field).to.equal("label_selector");
      expect(err.details[0]?.message).to.match(pattern);
      expect(err.message).to.contain(JSON.stringify(input));
      const result = tryParseLabelSelector(input);
      expect(result.ok).to.equal(false);
    });
  }
});

describe("label selector: matching", () => {
  const cases: [string, Record<string, string>, boolean][] = [
    ["", {}, true],
    ["", { a: "b" }, true],
    ["a=b", { a: "b" }, true],
    ["a=b", { a: "c" }, false],
    ["a=b", {}, false],
    ["a==b", { a: "b", x: "y" }, true],
    ["a!=b", { a: "c" }, true],
    ["a!=b", { a: "b" }, false],
    ["a!=b", {}, true],
    ["a in (x,y)", { a: "y" }, true],
    ["a in (x,y)", { a: "z" }, false],
    ["a in (x,y)", {}, false],
    ["a notin (x,y)", { a: "z" }, true],
    ["a notin (x,y)", { a: "x" }, false],
    ["a notin (x,y)", {}, true],
    ["a", { a: "anything" }, true],
    ["a", {}, false],
    ["!a", {}, true],
    ["!a", { a: "b" }, false],
    ["a=b,c", { a: "b", c: "d" }, true],
    ["a=b,c", { a: "b" }, false],
    ["a=b,!c", { a: "b" }, true],
    ["a=b,!c", { a: "b", c: "d" }, false],
    ["toString", {}, false],
    ["!constructor", {}, true],
  ];
  for (const [input, labels, expected] of cases) {
    it(`${JSON.stringify(input)} on ${JSON.stringify(labels)} → ${expected}`, () => {
      expect(parseLabelSelector(input).matches(labels)).to.equal(expected);
    });
  }

  it("EVERYTHING is empty and matches anything", () => {
    expect(LabelSelector.EVERYTHING.isEmpty()).to.equal(true);
    expect(LabelSelector.EVERYTHING.matches({ a: "b" })).to.equal(true);
    expect(parseLabelSelector("")).to.equal(LabelSelector.EVERYTHING);
  });

  it("exposes equality requirements for indexing", () => {
    const selector = parseLabelSelector("app=web,tier in (db),!legacy");
    const equalities = selector.requirements.filter((r) => r.op === "eq").map((r) => [r.key, r.values[0]]);
    expect(equalities).to.deep.equal([["app", "web"]]);
  });
});
