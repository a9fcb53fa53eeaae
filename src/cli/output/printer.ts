import { stringify as toYaml } from "yaml";
import type { KindInfo, KrakeObject } from "../kinds.js";
import type { WatchEvent } from "../transport/transport.js";
import { messageToWire, toWire } from "../wire-json.js";
import { columnWidths, renderDetail, renderRow, renderTable } from "./table.js";
import { none } from "./format-values.js";
import { viewFor } from "./views.js";
import type { ViewTable } from "./views.js";

export const outputFormats = ["table", "json", "yaml"] as const;
export type OutputFormat = (typeof outputFormats)[number];

/** A message type of the protos: its fully qualified name and ts-proto codec. */
export interface MessageType<M> {
  typeName: string;
  codec: { encode(message: M): { finish(): Uint8Array } };
}

/**
 * Writes objects in the chosen format: tables for people, Krake's JSON wire
 * shape (snake_case, enums by name, defaults written) for scripts. A list in
 * JSON/YAML is the array of its items, as Krake's krakectl prints it.
 */
export class Printer {
  constructor(
    private readonly out: NodeJS.WritableStream,
    readonly format: OutputFormat,
    /** The kinds' own table columns (commands/index.ts). */
    private readonly views: ViewTable,
    private readonly now: () => Date = () => new Date(),
  ) {}

  object<T extends KrakeObject>(kind: KindInfo<T>, object: T): void {
    if (this.format === "table") {
      const view = viewFor(kind as unknown as KindInfo, this.views);
      const now = this.now();
      const rows = view.detail.map((c): [string, string, boolean] => [c.header, c.value(object, now), !!c.optional]);
      this.out.write(renderDetail(rows.filter(([, value, optional]) => !optional || value !== none).map(([h, v]) => [h, v])));
    } else {
      this.data(toWire(kind, object));
    }
  }

  list<T extends KrakeObject>(kind: KindInfo<T>, items: T[]): void {
    if (this.format === "table") {
      const view = viewFor(kind as unknown as KindInfo, this.views);
      const now = this.now();
      this.out.write(renderTable(view.list.map((c) => c.header), items.map((o) => view.list.map((c) => c.value(o, now)))));
    } else {
      this.data(items.map((o) => toWire(kind, o)));
    }
  }

  /**
   * A message that is not an object of a kind (an action's answer, a part of
   * a status): `table` renders it for people; JSON and YAML are its wire
   * shape, `null` when absent.
   */
  message<M>(type: MessageType<M>, value: M | undefined, table: (value: M | undefined) => string): void {
    if (this.format === "table") this.out.write(table(value));
    else this.data(value === undefined ? null : messageToWire(type.typeName, type.codec.encode(value).finish()));
  }

  /** Objects already in wire shape, of any kinds (JSON/YAML output). */
  documents(values: unknown[]): void {
    this.data(values);
  }

  private data(value: unknown): void {
    this.out.write(this.format === "json" ? `${JSON.stringify(value, null, 2)}\n` : toYaml(value));
  }
}

/**
 * Watch output: a table with an EVENT column whose widths come from the first
 * batch (the objects that exist when the watch starts), then one row per
 * change; JSON is one `{"type", "object"}` line per event (Krake's watch
 * stream), YAML one document per event.
 */
export class WatchPrinter<T extends KrakeObject> {
  private widths: number[] | undefined;

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly format: OutputFormat,
    private readonly kind: KindInfo<T>,
    private readonly views: ViewTable,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The objects that existed when the watch started (may be empty). */
  initial(events: WatchEvent<T>[]): void {
    if (this.format !== "table") {
      for (const ev of events) this.event(ev);
      return;
    }
    const headers = ["EVENT", ...this.view().list.map((c) => c.header)];
    const rows = events.map((ev) => this.row(ev));
    this.widths = columnWidths(headers, rows);
    this.widths[0] = Math.max(this.widths[0], "MODIFIED".length);
    this.out.write([headers, ...rows].map((r) => renderRow(r, this.widths!)).join("\n") + "\n");
  }

  event(ev: WatchEvent<T>): void {
    if (this.format === "table") {
      const row = this.row(ev);
      this.out.write(`${renderRow(row, this.widths ?? columnWidths(row, []))}\n`);
    } else if (this.format === "json") {
      this.out.write(`${JSON.stringify({ type: ev.type, object: toWire(this.kind, ev.object) })}\n`);
    } else {
      this.out.write(`---\n${toYaml({ type: ev.type, object: toWire(this.kind, ev.object) })}`);
    }
  }

  private view() {
    return viewFor(this.kind as unknown as KindInfo, this.views);
  }

  private row(ev: WatchEvent<T>): string[] {
    const now = this.now();
    return [ev.type, ...this.view().list.map((c) => c.value(ev.object, now))];
  }
}
