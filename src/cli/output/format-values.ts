/** How single values look in tables. */
import type { MetricRef, Reason, ResourceRef } from "../../../gen/krake/core/v1/types.js";
import { reason_CodeToJSON } from "../../../gen/krake/core/v1/types.js";
import type { KindInfo, KrakeObject } from "../kinds.js";
import { formatTimestamp, timestampToMillis } from "../../kinds/timestamp.js";
import type { Timestamp } from "../../kinds/timestamp.js";

export const none = "<none>";

/** kubectl's compact age: 42s, 5m, 3h, 12d, 2y. */
export function formatAge(created: Timestamp | undefined, now: Date): string {
  if (!created) return "<unknown>";
  const s = Math.max(0, Math.floor((now.getTime() - timestampToMillis(created)) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 120) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (d < 730) return `${d}d`;
  return `${Math.floor(d / 365)}y`;
}

/** Krake's timestamp format, in UTC: 2024-05-01 12:34:56. */
export function formatTime(time: Timestamp | undefined): string {
  return time ? formatTimestamp(time).replace("T", " ").replace(/(\.\d+)?Z$/, "") : none;
}

export function formatMap(map: Record<string, unknown> | undefined, sep = ","): string {
  const entries = Object.entries(map ?? {});
  return entries.length ? entries.map(([k, v]) => `${k}=${String(v)}`).join(sep) : none;
}

export function formatList(list: readonly unknown[] | undefined, sep = ", "): string {
  return list && list.length ? list.map(String).join(sep) : none;
}

export function formatValue(value: string | number | boolean | undefined | null): string {
  return value === undefined || value === null || value === "" ? none : String(value);
}

/** `status.state` by name, marked while the object is being deleted. */
export function formatState<T extends KrakeObject>(kind: KindInfo<T>, object: T): string {
  const s = kind.state?.(object) ?? none;
  return object.metadata?.deleted ? `${s} (deleting)` : s;
}

/** A reference as `namespace/name`, or `name` for a global object. */
export function formatRef(ref: ResourceRef | undefined): string {
  if (!ref || !ref.name) return none;
  return ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;
}

export function formatReason(reason: Reason | undefined): string {
  return reason && (reason.code || reason.message) ? `${reason_CodeToJSON(reason.code)}: ${reason.message}` : none;
}

/** A number that may be unset (0 is a value). */
export function formatNumber(n: number | undefined): string {
  return n === undefined ? none : String(n);
}

/** A spec's metrics, one a line: `heat (weight 0.5)`, `load (weight 2, global)`. */
export function formatMetricRefs(metrics: MetricRef[] | undefined): string {
  return formatList(metrics?.map((m) => `${m.name} (weight ${m.weight}${m.namespaced ? "" : ", global"})`), "\n");
}

/** A status's failing metrics, one a line: `heat: CODE: message`. */
export function formatMetricsReasons(reasons: Record<string, Reason> | undefined): string {
  return formatList(Object.entries(reasons ?? {}).map(([m, r]) => `${m}: ${formatReason(r)}`), "\n");
}
