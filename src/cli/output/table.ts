/** Plain, kubectl-style text tables: no borders, columns three spaces apart. */

const gap = "   ";

export function columnWidths(headers: string[], rows: string[][]): number[] {
  return headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
}

/** One row; the last column is not padded. */
export function renderRow(cells: string[], widths: number[]): string {
  return cells
    .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? c.length)))
    .join(gap)
    .trimEnd();
}

export function renderTable(headers: string[], rows: string[][]): string {
  const widths = columnWidths(headers, rows);
  return [headers, ...rows].map((r) => renderRow(r, widths)).join("\n") + "\n";
}

/** One object as `key: value` lines; multi-line values are indented under their value column. */
export function renderDetail(rows: Array<[string, string]>): string {
  const width = Math.max(...rows.map(([k]) => k.length)) + 1;
  const lines: string[] = [];
  for (const [key, value] of rows) {
    const [first, ...more] = value.split("\n");
    lines.push(`${`${key}:`.padEnd(width)}${gap}${first}`.trimEnd());
    for (const line of more) lines.push(`${" ".repeat(width)}${gap}${line}`);
  }
  return lines.join("\n") + "\n";
}
