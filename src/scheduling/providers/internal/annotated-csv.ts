/**
 * A reader for the annotated CSV that InfluxDB 2's `/api/v2/query` answers
 * with (docs: "Annotated CSV", InfluxDB v2 reference/syntax):
 * - RFC 4180 fields: comma-separated, double-quoted when they hold a comma,
 *   a quote (doubled) or a line break; lines end in CRLF or LF.
 * - A table is optional annotation rows (first cell `#datatype`, `#group`,
 *   `#default`), one header row, then record rows. The first column is the
 *   annotation column: empty in header and record rows.
 * - Tables are separated by an empty line; an annotation row after records
 *   also starts a new table.
 * - `#default` gives the value of a record's empty cell in that column.
 * - An error met while the query ran comes as a table with the columns
 *   `error` and `reference`.
 */

export interface CsvTable {
  /** Header labels, annotation column excluded. */
  columns: string[];
  /** `#datatype` per column ("double", "long", "string", "dateTime:RFC3339", …); "" when absent. */
  datatypes: string[];
  /** Records by column label, `#default` values filled in. */
  records: Array<Record<string, string>>;
}

export function parseAnnotatedCsv(text: string): CsvTable[] {
  const tables: CsvTable[] = [];
  let annotations = new Map<string, string[]>();
  let table: CsvTable | undefined;
  const finish = () => {
    if (table) tables.push(table);
    table = undefined;
    annotations = new Map();
  };
  for (const row of csvRows(text)) {
    if (row.length === 1 && row[0] === "") {
      finish();
      continue;
    }
    const first = row[0] ?? "";
    if (first.startsWith("#")) {
      if (table) finish();
      annotations.set(first, row.slice(1));
      continue;
    }
    if (!table) {
      table = { columns: row.slice(1), datatypes: row.slice(1).map((_, i) => annotations.get("#datatype")?.[i] ?? ""), records: [] };
      continue;
    }
    const defaults = annotations.get("#default") ?? [];
    const record: Record<string, string> = {};
    table.columns.forEach((column, i) => {
      const cell = row[i + 1] ?? "";
      record[column] = cell === "" ? (defaults[i] ?? "") : cell;
    });
    table.records.push(record);
  }
  finish();
  return tables;
}

/** Splits CSV text into rows of fields (RFC 4180 quoting; CRLF or LF). A trailing line break adds no row. */
export function csvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  let i = 0;
  const endField = () => {
    row.push(field);
    field = "";
  };
  const endRow = () => {
    endField();
    rows.push(row);
    row = [];
  };
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += c;
      i++;
      continue;
    }
    if (c === '"' && field === "") quoted = true;
    else if (c === ",") endField();
    else if (c === "\n") endRow();
    else if (c === "\r" && text[i + 1] === "\n") {
      endRow();
      i++;
    } else field += c;
    i++;
  }
  if (field !== "" || row.length > 0) endRow();
  return rows;
}
