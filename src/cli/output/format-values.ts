/** How single values look in tables. */

export const none = "<none>";

/** kubectl's compact age: 42s, 5m, 3h, 12d, 2y. */
export function formatAge(created: Date | undefined, now: Date): string {
  if (!created) return "<unknown>";
  const s = Math.max(0, Math.floor((now.getTime() - created.getTime()) / 1000));
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
export function formatTime(date: Date | undefined): string {
  return date ? date.toISOString().replace("T", " ").replace(/\.\d+Z$/, "") : none;
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
