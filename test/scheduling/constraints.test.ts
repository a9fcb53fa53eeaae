import { expect } from "chai";
import {
  evaluateLabelConstraint,
  matchMetricConstraint,
  parseClusterConstraints,
  parseLabelConstraint,
  parseMetricConstraint,
} from "../../src/scheduling/index.js";
import type { LabelConstraintOp, MetricConstraintOp } from "../../src/scheduling/index.js";

describe("scheduling: constraint grammar", () => {
  describe("label constraints: every form, parsed and evaluated", () => {
    const labels = { location: "DE", tier: "gold" };
    // [expression, op, values, matches {location: DE, tier: gold}]
    const forms: [string, LabelConstraintOp, string[], boolean][] = [
      ["location = DE", "eq", ["DE"], true],
      ["location == DE", "eq", ["DE"], true],
      ["location is DE", "eq", ["DE"], true],
      ["location = FR", "eq", ["FR"], false],
      ["location != DE", "ne", ["DE"], false],
      ["location is not DE", "ne", ["DE"], false],
      ["location != FR", "ne", ["FR"], true],
      ["location in (DE, FR)", "in", ["DE", "FR"], true],
      ["location in (IT, FR)", "in", ["IT", "FR"], false],
      ["location not in (DE, FR)", "notin", ["DE", "FR"], false],
      ["location not in (IT, FR)", "notin", ["IT", "FR"], true],
    ];
    for (const [expression, op, values, matches] of forms) {
      it(`${JSON.stringify(expression)} parses to ${op} (${values.join(",")}) and ${matches ? "matches" : "does not match"}`, () => {
        const parsed = parseLabelConstraint(expression);
        if (!parsed.ok) throw new Error(parsed.error);
        expect(parsed.value).to.deep.equal({ key: "location", op, values });
        expect(evaluateLabelConstraint(parsed.value, labels)).to.deep.equal({ matched: matches, value: "DE" });
      });
    }

    it("never matches an absent label, whatever the operator, and says the label is absent", () => {
      for (const expression of ["zone = a", "zone != a", "zone in (a)", "zone not in (a)"]) {
        const parsed = parseLabelConstraint(expression);
        if (!parsed.ok) throw new Error(parsed.error);
        expect(evaluateLabelConstraint(parsed.value, labels), expression).to.deep.equal({ matched: false, value: undefined });
      }
    });

    it("rejects a malformed constraint with the position of the fault", () => {
      const parsed = parseLabelConstraint("location in (DE FR)");
      expect(parsed).to.deep.equal({ ok: false, error: 'expected "," or ")" at position 16, found "FR"' });
    });
  });

  describe("metric constraints: every form, on a normalised value of 0.5", () => {
    // [expression, op, matches 0.5]
    const forms: [string, MetricConstraintOp, boolean][] = [
      ["load = 0.5", "eq", true],
      ["load == 0.5", "eq", true],
      ["load is 0.5", "eq", true],
      ["load != 0.5", "ne", false],
      ["load is not 0.5", "ne", false],
      ["load > 0.4", "gt", true],
      ["load gt 0.5", "gt", false],
      ["load greater than 0.4", "gt", true],
      ["load >= 0.5", "ge", true],
      ["load => 0.6", "ge", false],
      ["load gte 0.5", "ge", true],
      ["load greater than or equal 0.5", "ge", true],
      ["load < 0.6", "lt", true],
      ["load lt 0.5", "lt", false],
      ["load lesser than 0.6", "lt", true],
      ["load <= 0.5", "le", true],
      ["load =< 0.4", "le", false],
      ["load lte 0.5", "le", true],
      ["load lesser than or equal 0.5", "le", true],
    ];
    for (const [expression, op, matches] of forms) {
      it(`${JSON.stringify(expression)} parses to ${op} and ${matches ? "matches" : "does not match"}`, () => {
        const parsed = parseMetricConstraint(expression);
        if (!parsed.ok) throw new Error(parsed.error);
        expect(parsed.value.key).to.equal("load");
        expect(parsed.value.op).to.equal(op);
        expect(matchMetricConstraint(parsed.value, 0.5)).to.equal(matches);
        expect(matchMetricConstraint(parsed.value, undefined), "a missing metric never matches").to.equal(false);
      });
    }

    it("rejects a malformed constraint", () => {
      expect(parseMetricConstraint("load greater 0.5")).to.deep.equal({
        ok: false,
        error: 'expected "than" at position 13, found "0.5"',
      });
      expect(parseMetricConstraint("load in (1, 2)").ok).to.equal(false);
    });
  });

  describe("parseClusterConstraints", () => {
    it("parses an Application's constraints and keeps each one's text", () => {
      const parsed = parseClusterConstraints({
        labels: ["location in (DE, FR)"],
        metrics: ["load < 0.9"],
        customResources: ["crontabs.example.com"],
      });
      expect(parsed).to.deep.equal({
        ok: true,
        value: {
          labels: [{ text: "location in (DE, FR)", constraint: { key: "location", op: "in", values: ["DE", "FR"] } }],
          metrics: [{ text: "load < 0.9", constraint: { key: "load", op: "lt", values: ["0.9"], value: 0.9 } }],
          customResources: ["crontabs.example.com"],
        },
      });
    });

    it("treats absent constraints as none", () => {
      expect(parseClusterConstraints(undefined)).to.deep.equal({
        ok: true,
        value: { labels: [], metrics: [], customResources: [] },
      });
    });

    it("names the first malformed constraint by its list and index", () => {
      const parsed = parseClusterConstraints({ labels: ["a = b", "location ~ DE"], metrics: ["load <"] });
      expect(parsed.ok).to.equal(false);
      if (!parsed.ok) expect(parsed.error).to.match(/^labels\[1\] "location ~ DE": expected an operator/);
    });
  });
});
