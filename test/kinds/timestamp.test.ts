import { expect } from "chai";
import {
  compareTimestamps,
  formatTimestamp,
  parseTimestamp,
  timestampFromDate,
  timestampFromMillis,
  timestampKey,
  timestampToDate,
  timestampToMillis,
} from "../../src/kinds/timestamp.js";
import type { Timestamp } from "../../src/kinds/timestamp.js";

describe("kinds: timestamps ({ seconds, nanos })", () => {
  const cases: [string, Timestamp | undefined, string | undefined][] = [
    ["Python's isoformat() with microseconds", { seconds: 1796512575, nanos: 696123000 }, "2026-12-05T23:16:15.696123Z"],
    ["nanoseconds", { seconds: 1796512575, nanos: 696123456 }, "2026-12-05T23:16:15.696123456Z"],
    ["whole seconds", { seconds: 1796512575, nanos: 0 }, "2026-12-05T23:16:15Z"],
    ["milliseconds", { seconds: 1796512575, nanos: 500000000 }, "2026-12-05T23:16:15.500Z"],
    ["before the epoch", { seconds: -1, nanos: 999999000 }, "1969-12-31T23:59:59.999999Z"],
    ["the first second protobuf allows", { seconds: -62135596800, nanos: 0 }, "0001-01-01T00:00:00Z"],
    ["the last nanosecond protobuf allows", { seconds: 253402300799, nanos: 999999999 }, "9999-12-31T23:59:59.999999999Z"],
  ];
  for (const [name, t, text] of cases) {
    it(`parses and formats ${name}`, () => {
      expect(parseTimestamp(text!)).to.deep.equal(t);
      expect(formatTimestamp(t!)).to.equal(text);
    });
  }

  const parsed: [string, Timestamp | undefined][] = [
    ["2026-12-05T23:16:15.696123+00:00", { seconds: 1796512575, nanos: 696123000 }],
    ["2026-12-06T00:16:15.696123+01:00", { seconds: 1796512575, nanos: 696123000 }],
    ["2026-12-05t23:16:15.1z", { seconds: 1796512575, nanos: 100000000 }],
    ["2026-12-05T23:16:15.1234567890Z", undefined],
    ["2026-12-05T23:16:15", undefined],
    ["2026-12-05 23:16:15Z", undefined],
    ["2026-13-05T23:16:15Z", undefined],
    ["yesterday", undefined],
  ];
  for (const [text, t] of parsed) {
    it(`reads ${JSON.stringify(text)} as ${t ? formatTimestamp(t) : "no timestamp"}`, () => {
      expect(parseTimestamp(text)).to.deep.equal(t);
    });
  }

  it("converts from and to milliseconds and Dates (a Date keeps milliseconds)", () => {
    expect(timestampFromMillis(1796512575696)).to.deep.equal({ seconds: 1796512575, nanos: 696000000 });
    expect(timestampFromMillis(-1)).to.deep.equal({ seconds: -1, nanos: 999000000 });
    expect(timestampFromMillis(1796512575696.123)).to.deep.equal({ seconds: 1796512575, nanos: 696123000 });
    expect(timestampToMillis({ seconds: 1796512575, nanos: 696123000 })).to.be.closeTo(1796512575696.123, 0.001);
    expect(timestampFromDate(new Date("2026-12-05T23:16:15.696Z"))).to.deep.equal({ seconds: 1796512575, nanos: 696000000 });
    expect(timestampToDate({ seconds: 1796512575, nanos: 696999999 }).toISOString()).to.equal("2026-12-05T23:16:15.696Z");
  });

  it("orders by seconds, then nanoseconds, and keys by the exact text", () => {
    const a = { seconds: 10, nanos: 999 };
    const b = { seconds: 10, nanos: 1000 };
    expect(compareTimestamps(a, b)).to.be.lessThan(0);
    expect(compareTimestamps(b, a)).to.be.greaterThan(0);
    expect(compareTimestamps(a, { ...a })).to.equal(0);
    expect(compareTimestamps({ seconds: 9, nanos: 999999999 }, a)).to.be.lessThan(0);
    expect(timestampKey(a)).not.to.equal(timestampKey(b));
    expect(timestampKey(undefined)).to.equal(null);
  });
});
