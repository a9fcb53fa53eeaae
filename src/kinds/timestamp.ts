/**
 * google.protobuf.Timestamp as every Krake type holds it: `{ seconds, nanos }`
 * (ts-proto `useDate=false`), so that what a client wrote, to the microsecond
 * as Krake's Python clients write it or to the nanosecond, is stored, returned
 * and watched unchanged. A JS `Date` keeps milliseconds only: convert to one
 * (`timestampToDate`) only to show or do calendar arithmetic, never to store.
 * Shared by server, controllers and CLI; no I/O.
 */
import type { Timestamp } from "../../gen/google/protobuf/timestamp.js";

export type { Timestamp };

const nanosPerMilli = 1_000_000;
const nanosPerSecond = 1_000_000_000;
/** 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the range google.protobuf.Timestamp allows. */
const minSeconds = -62_135_596_800;
const maxSeconds = 253_402_300_799;

/** The timestamp of `ms` milliseconds since the epoch (a fraction of a millisecond kept to the microsecond). */
export function timestampFromMillis(ms: number): Timestamp {
  const seconds = Math.floor(ms / 1000);
  const nanos = Math.round((ms - seconds * 1000) * 1000) * 1000;
  return nanos >= nanosPerSecond ? { seconds: seconds + 1, nanos: nanos - nanosPerSecond } : { seconds, nanos };
}

/** Milliseconds since the epoch, with the sub-millisecond part as a fraction (for arithmetic with a Clock). */
export function timestampToMillis(t: Timestamp): number {
  return (t.seconds ?? 0) * 1000 + (t.nanos ?? 0) / nanosPerMilli;
}

export function timestampFromDate(date: Date): Timestamp {
  return timestampFromMillis(date.getTime());
}

/** A Date of the timestamp, to the millisecond (sub-millisecond digits are dropped). */
export function timestampToDate(t: Timestamp): Date {
  return new Date((t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / nanosPerMilli));
}

/** Negative, zero or positive as `a` is before, equal to or after `b`. */
export function compareTimestamps(a: Timestamp, b: Timestamp): number {
  return (a.seconds ?? 0) - (b.seconds ?? 0) || (a.nanos ?? 0) - (b.nanos ?? 0);
}

export function sameTimestamp(a: Timestamp | undefined, b: Timestamp | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return compareTimestamps(a, b) === 0;
}

const rfc3339 = /^(\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Parses an RFC 3339 timestamp (proto3 JSON's Timestamp, Python's
 * `isoformat()`), keeping up to nine fraction digits; undefined if it is not
 * one or lies outside google.protobuf.Timestamp's range.
 */
export function parseTimestamp(text: string): Timestamp | undefined {
  const m = rfc3339.exec(text);
  if (!m) return undefined;
  const [, date, fraction = "", zone] = m;
  // Date parses the whole seconds; the fraction, which it would cut to milliseconds, is ours.
  const wholeMs = Date.parse(`${date}${zone}`);
  if (Number.isNaN(wholeMs)) return undefined;
  const seconds = wholeMs / 1000;
  if (seconds < minSeconds || seconds > maxSeconds) return undefined;
  return { seconds, nanos: Number(fraction.padEnd(9, "0")) };
}

/**
 * RFC 3339 in UTC with the fraction digits needed (none, 3, 6 or 9: proto3
 * JSON's canonical form), e.g. `2026-12-05T23:16:15.696123Z`.
 */
export function formatTimestamp(t: Timestamp): string {
  const seconds = t.seconds ?? 0;
  const nanos = t.nanos ?? 0;
  const whole = new Date(seconds * 1000).toISOString().slice(0, 19);
  if (nanos === 0) return `${whole}Z`;
  const digits = String(nanos).padStart(9, "0");
  const len = nanos % 1_000_000 === 0 ? 3 : nanos % 1000 === 0 ? 6 : 9;
  return `${whole}.${digits.slice(0, len)}Z`;
}

/**
 * Now, for timestamps the server or a controller sets (created, modified,
 * deleted, status times): the system clock's milliseconds. Sub-millisecond
 * digits would have to come from the monotonic clock, which drifts from the
 * wall clock, so they are left zero; a client's own timestamps keep theirs.
 */
export function timestampNow(nowMs: number = Date.now()): Timestamp {
  return timestampFromMillis(nowMs);
}

/** The exact timestamp as text, null when unset: for keys that detect a change (`JSON.stringify` of inputs). */
export function timestampKey(t: Timestamp | undefined): string | null {
  return t ? formatTimestamp(t) : null;
}
