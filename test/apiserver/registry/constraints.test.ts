import { expect } from "chai";
import {
  matchLabelConstraint,
  matchMetricConstraint,
  parseLabelConstraint,
  parseMetricConstraint,
} from "../../../src/apiserver/registry/validation/constraints.js";
import type {
  LabelConstraint,
  LabelConstraintOp,
  MetricConstraint,
  MetricConstraintOp,
} from "../../../src/apiserver/registry/validation/constraints.js";

describe("constraints: parseLabelConstraint", () => {
  const accepted: [string, string, LabelConstraintOp, string[]][] = [
    ["location == DE", "location", "eq", ["DE"]],
    ["location = DE", "location", "eq", ["DE"]],
    ["location is DE", "location", "eq", ["DE"]],
    ["location=DE", "location", "eq", ["DE"]],
    ["location != DE", "location", "ne", ["DE"]],
    ["location!=DE", "location", "ne", ["DE"]],
    ["location is not DE", "location", "ne", ["DE"]],
    ["location in (DE, FR)", "location", "in", ["DE", "FR"]],
    ["location in (DE)", "location", "in", ["DE"]],
    ["location in(DE,FR)", "location", "in", ["DE", "FR"]],
    ["location in (DE, FR,)", "location", "in", ["DE", "FR"]],
    ["location in (DE, FR,,)", "location", "in", ["DE", "FR"]],
    ["location not in (DE, FR)", "location", "notin", ["DE", "FR"]],
    ["  location\tin ( DE , FR )  ", "location", "in", ["DE", "FR"]],
    ["app.kubernetes.io/name = web", "app.kubernetes.io/name", "eq", ["web"]],
    ["tier is v1.2_b-c", "tier", "eq", ["v1.2_b-c"]],
    ["in in (in)", "in", "in", ["in"]],
  ];
  for (const [expression, key, op, values] of accepted) {
    it(`accepts ${JSON.stringify(expression)}`, () => {
      const result = parseLabelConstraint(expression);
      expect(result).to.deep.equal({ ok: true, value: { key, op, values } });
    });
  }

  const rejected: [string, RegExp][] = [
    ["", /empty/],
    ["   ", /empty/],
    ["location", /expected an operator .* at position 8, found end of input/],
    ["location DE", /expected an operator .* at position 9, found "DE"/],
    ["location ==", /expected a label value at position 11, found end of input/],
    ["location == ", /expected a label value at position 12/],
    ["location in DE", /expected "\(" at position 12, found "DE"/],
    ["location in ()", /expected a label value at position 13, found "\)"/],
    ["location in (DE", /expected "," or "\)" at position 15, found end of input/],
    ["location in (DE FR)", /expected "," or "\)" at position 16, found "FR"/],
    ["location in (DE,,FR)", /expected "\)" at position 17, found "FR"/],
    ["location not (DE)", /expected "in" at position 13, found "\("/],
    ["location not DE", /expected "in"/],
    ["= DE", /expected a label key at position 0, found "="/],
    ["location == DE FR", /unexpected "FR" at position 15/],
    ["location > 5", /expected an operator .* found ">"/],
    ["location gt 5", /expected an operator .* found "gt"/],
    ["location !! DE", /expected an operator/],
    ["bad/key/x = a", /invalid a label key "bad\/key\/x" at position 0/],
    ["-location = DE", /invalid a label key "-location"/],
    ["location == -DE", /invalid label value "-DE" at position 12/],
    ["location == a:b", /invalid label value "a:b"/],
    ["location in (DE, F/R)", /invalid label value "F\/R" at position 17/],
    ["(a) = b", /expected a label key at position 0, found "\("/],
    ["location is not", /expected a label value at position 15, found end of input/],
  ];
  for (const [expression, pattern] of rejected) {
    it(`rejects ${JSON.stringify(expression)}`, () => {
      const result = parseLabelConstraint(expression);
      expect(result.ok).to.equal(false);
      if (!result.ok) expect(result.error).to.match(pattern);
    });
  }
});

describe("constraints: parseMetricConstraint", () => {
  const accepted: [string, string, MetricConstraintOp, number][] = [
    ["load = 5", "load", "eq", 5],
    ["load == 5", "load", "eq", 5],
    ["load is 5", "load", "eq", 5],
    ["load != 5", "load", "ne", 5],
    ["load is not 5", "load", "ne", 5],
    ["load > 0.5", "load", "gt", 0.5],
    ["load gt 0.5", "load", "gt", 0.5],
    ["load greater than 0.5", "load", "gt", 0.5],
    ["load >= 1", "load", "ge", 1],
    ["load => 1", "load", "ge", 1],
    ["load gte 1", "load", "ge", 1],
    ["load greater than or equal 1", "load", "ge", 1],
    ["load < 1", "load", "lt", 1],
    ["load lt 1", "load", "lt", 1],
    ["load lesser than 1", "load", "lt", 1],
    ["load <= 1", "load", "le", 1],
    ["load =< 1", "load", "le", 1],
    ["load lte 1", "load", "le", 1],
    ["load lesser than or equal 1", "load", "le", 1],
    ["load<0.9", "load", "lt", 0.9],
    ["load >= -2.5", "load", "ge", -2.5],
    ["load < 1e-3", "load", "lt", 0.001],
    ["load < .5", "load", "lt", 0.5],
    ["load < +3.", "load", "lt", 3],
    ["heat-demand < 0.9", "heat-demand", "lt", 0.9],
    ["ns:metric > 1", "ns:metric", "gt", 1],
    ["example.com/load > 1", "example.com/load", "gt", 1],
  ];
  for (const [expression, key, op, value] of accepted) {
    it(`accepts ${JSON.stringify(expression)}`, () => {
      const result = parseMetricConstraint(expression);
      expect(result.ok).to.equal(true);
      if (!result.ok) return;
      expect(result.value.key).to.equal(key);
      expect(result.value.op).to.equal(op);
      expect(result.value.value).to.equal(value);
      expect(result.value.values).to.have.length(1);
      expect(Number(result.value.values[0])).to.equal(value);
    });
  }

  it("keeps the value as written", () => {
    const result = parseMetricConstraint("load < 1e-3");
    expect(result).to.deep.equal({ ok: true, value: { key: "load", op: "lt", values: ["1e-3"], value: 0.001 } });
  });

  const rejected: [string, RegExp][] = [
    ["", /empty/],
    ["load", /expected an operator .* at position 4, found end of input/],
    ["load <", /expected a number at position 6, found end of input/],
    ["load < abc", /expected a number at position 7, found "abc"/],
    ["load < 1 2", /unexpected "2" at position 9/],
    ["load < 1,", /unexpected ","/],
    ["load in (1, 2)", /expected an operator .* found "in"/],
    ["load not in (1)", /expected an operator .* found "not"/],
    ["load greater 5", /expected "than" at position 13, found "5"/],
    ["load greater than or 5", /expected "equal" at position 21, found "5"/],
    ["load lesser than or equal", /expected a number at position 25, found end of input/],
    ["load < NaN", /expected a number/],
    ["load < Infinity", /expected a number/],
    ["load < 0x10", /expected a number/],
    ["load < 1e999", /expected a number/],
    ["load ~ 1", /expected an operator .* found "~"/],
    ["load <> 1", /expected a number at position 6, found ">"/],
    ["-load < 1", /invalid a metric name "-load"/],
    ["a/b/c < 1", /invalid a metric name/],
  ];
  for (const [expression, pattern] of rejected) {
    it(`rejects ${JSON.stringify(expression)}`, () => {
      const result = parseMetricConstraint(expression);
      expect(result.ok).to.equal(false);
      if (!result.ok) expect(result.error).to.match(pattern);
    });
  }
});

describe("constraints: matching (Krake semantics)", () => {
  const label = (key: string, op: LabelConstraintOp, values: string[]): LabelConstraint => ({ key, op, values });
  const labelCases: [LabelConstraint, Record<string, string>, boolean][] = [
    [label("location", "eq", ["DE"]), { location: "DE" }, true],
    [label("location", "eq", ["DE"]), { location: "FR" }, false],
    [label("location", "eq", ["DE"]), {}, false],
    [label("location", "ne", ["DE"]), { location: "FR" }, true],
    [label("location", "ne", ["DE"]), { location: "DE" }, false],
    [label("location", "ne", ["DE"]), {}, false],
    [label("location", "in", ["DE", "FR"]), { location: "FR" }, true],
    [label("location", "in", ["DE", "FR"]), { location: "IT" }, false],
    [label("location", "in", ["DE", "FR"]), {}, false],
    [label("location", "notin", ["DE"]), { location: "FR" }, true],
    [label("location", "notin", ["DE"]), { location: "DE" }, false],
    [label("location", "notin", ["DE"]), {}, false],
    [label("toString", "eq", ["x"]), {}, false],
  ];
  for (const [constraint, labels, expected] of labelCases) {
    it(`${constraint.key} ${constraint.op} (${constraint.values.join(",")}) on ${JSON.stringify(labels)} → ${expected}`, () => {
      expect(matchLabelConstraint(constraint, labels)).to.equal(expected);
    });
  }

  it("matches parsed label constraints", () => {
    const parsed = parseLabelConstraint("location in (DE, FR)");
    if (!parsed.ok) throw new Error(parsed.error);
    expect(matchLabelConstraint(parsed.value, { location: "DE" })).to.equal(true);
  });

  const metric = (op: MetricConstraintOp, value: number): MetricConstraint => ({
    key: "load",
    op,
    values: [String(value)],
    value,
  });
  const metricCases: [MetricConstraint, number | undefined, boolean][] = [
    [metric("eq", 0.5), 0.5, true],
    [metric("eq", 0.5), 0.4, false],
    [metric("ne", 0.5), 0.4, true],
    [metric("ne", 0.5), 0.5, false],
    [metric("gt", 0.5), 0.6, true],
    [metric("gt", 0.5), 0.5, false],
    [metric("ge", 0.5), 0.5, true],
    [metric("ge", 0.5), 0.4, false],
    [metric("lt", 0.5), 0.4, true],
    [metric("lt", 0.5), 0.5, false],
    [metric("le", 0.5), 0.5, true],
    [metric("le", 0.5), 0.6, false],
    [metric("ne", 0.5), undefined, false],
    [metric("lt", 0.5), Number.NaN, false],
  ];
  for (const [constraint, value, expected] of metricCases) {
    it(`load ${constraint.op} ${constraint.value} with ${String(value)} → ${expected}`, () => {
      expect(matchMetricConstraint(constraint, value)).to.equal(expected);
    });
  }
});
