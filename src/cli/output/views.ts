/**
 * What the table output shows of a kind: a few columns for lists
 * (kubectl-like: NAME, NAMESPACE, the kind's own, AGE) and Krake's rows for
 * one object (name, namespace, labels, created, modified, deleted, then the
 * kind's own fields). A kind's own columns are declared next to its commands
 * (commands/<group>.ts) and reach the printer in a ViewTable; a kind without
 * them shows the common columns alone.
 */
import type { KindInfo, KindName, KrakeObject, ObjectOf } from "../kinds.js";
import { formatAge, formatMap, formatTime, formatValue } from "./format-values.js";

export interface Column<T> {
  header: string;
  value: (object: T, now: Date) => string;
  /** Leave the row out of the one-object view when it has no value. */
  optional?: boolean;
}

export interface KindView<T> {
  list: Column<T>[];
  /** Rows of the one-object view, after the common metadata rows. */
  detail: Column<T>[];
}

/** Kinds' own columns by kind name, each typed with its kind's message (commands/index.ts gathers them). */
export type ViewTable = { readonly [K in KindName]?: KindView<ObjectOf<K>> };

export const col = <T>(header: string, value: (o: T, now: Date) => string): Column<T> => ({ header, value });
export const optionalCol = <T>(header: string, value: (o: T, now: Date) => string): Column<T> => ({ header, value, optional: true });

/** The own columns of a kind that has none: its tables show the common columns alone. */
export const defaultView: KindView<KrakeObject> = { list: [], detail: [] };

function commonList(kind: KindInfo): { head: Column<KrakeObject>[]; tail: Column<KrakeObject>[] } {
  const head = [col<KrakeObject>("NAME", (o) => o.metadata?.name ?? "")];
  if (kind.namespaced) head.push(col("NAMESPACE", (o) => o.metadata?.namespace ?? ""));
  return { head, tail: [col("AGE", (o, now) => formatAge(o.metadata?.created, now))] };
}

const commonDetail: Column<KrakeObject>[] = [
  col("name", (o) => o.metadata?.name ?? ""),
  col("namespace", (o) => formatValue(o.metadata?.namespace)),
  col("labels", (o) => formatMap(o.metadata?.labels, "\n")),
  col("created", (o) => formatTime(o.metadata?.created)),
  col("modified", (o) => formatTime(o.metadata?.modified)),
  col("deleted", (o) => formatTime(o.metadata?.deleted)),
];

/** Columns of the list table and rows of the one-object table for a kind: the common ones around its own in `views`. */
export function viewFor(kind: KindInfo, views: ViewTable = {}): KindView<KrakeObject> {
  const own = (views[kind.kind as KindName] ?? defaultView) as unknown as KindView<KrakeObject>;
  const { head, tail } = commonList(kind);
  return { list: [...head, ...own.list, ...tail], detail: [...commonDetail, ...own.detail] };
}
