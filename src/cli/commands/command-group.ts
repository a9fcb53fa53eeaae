import type { Command } from "commander";
import type { ViewTable } from "../output/views.js";

/**
 * What a file of this folder adds to krakectl: commands at one place of the
 * tree and the table columns of the kinds they manage. commands/index.ts
 * lists every group; program.ts builds the tree from the list.
 */
export interface CommandGroup {
  /** The kind table's API the commands go under (`krakectl <api> …`); at the root when undefined. */
  readonly api?: string;
  /** The group's commands, built anew for every program. */
  commands(): Command[];
  /**
   * One entry per kind the commands manage, with its own columns (defaultView
   * when it has none). A kind no group names gets the generic list, get and
   * delete (kindCommand in resource-commands.ts).
   */
  readonly views?: ViewTable;
}

/** Every group's columns in one table; a kind named by two groups is a programming error. */
export function viewTable(groups: readonly CommandGroup[]): ViewTable {
  const table: Record<string, unknown> = {};
  for (const group of groups) {
    for (const [kind, view] of Object.entries(group.views ?? {})) {
      if (Object.hasOwn(table, kind)) throw new Error(`krakectl: two command groups name the kind ${kind}`);
      table[kind] = view;
    }
  }
  return table as ViewTable;
}
