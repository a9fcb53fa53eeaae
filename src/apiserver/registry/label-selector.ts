/**
 * Kubernetes label selectors for List and Watch (`label_selector`): a
 * comma-separated AND of requirements
 *
 *   key = value   key == value   key != value
 *   key in (v1, v2)   key notin (v1, v2)
 *   key           (the label exists)
 *   !key          (the label does not exist)
 *
 * with optional whitespace between tokens. Keys and values follow Krake's
 * label rules (validation/names.ts), so values are never empty. As in
 * Kubernetes, `!=` and `notin` match objects that lack the key. The empty
 * selector matches everything.
 */

import { ApiError, Status } from "../../errors/api-error.js";
import type { FieldError } from "../../errors/api-error.js";
import type { Result } from "./validation/constraints.js";
import { describe, tokenize, TokenCursor } from "../../scheduling/tokenizer.js";
import { isValidLabelKey, isValidLabelValue, LABEL_KEY_RULE, LABEL_VALUE_RULE } from "./validation/names.js";

export type SelectorOp = "eq" | "ne" | "in" | "notin" | "exists" | "notexists";

export interface Requirement {
  readonly key: string;
  readonly op: SelectorOp;
  /** One value for eq/ne, one or more (sorted, distinct) for in/notin, none for exists/notexists. */
  readonly values: readonly string[];
}

export class LabelSelector {
  /** The selector that matches everything. */
  static readonly EVERYTHING = new LabelSelector([]);

  readonly requirements: readonly Requirement[];

  constructor(requirements: readonly Requirement[]) {
    this.requirements = requirements;
  }

  isEmpty(): boolean {
    return this.requirements.length === 0;
  }

  /** Do the labels satisfy every requirement? */
  matches(labels: Readonly<Record<string, string>>): boolean {
    return this.requirements.every((r) => matchRequirement(r, labels));
  }

  /** The selector in canonical form: `a=b,c in (x,y),!d`. */
  toString(): string {
    return this.requirements.map(formatRequirement).join(",");
  }
}

/**
 * Parses a selector; `""` (or only whitespace) gives LabelSelector.EVERYTHING.
 * Throws an INVALID_ARGUMENT ApiError (reason BadRequest) with one FieldError
 * on `label_selector` naming the position and token at fault.
 */
export function parseLabelSelector(selector: string): LabelSelector {
  const parsed = tryParseLabelSelector(selector);
  if (parsed.ok) return parsed.value;
  const message = `invalid label selector ${JSON.stringify(selector)}: ${parsed.error}`;
  const details: FieldError[] = [{ field: "label_selector", message: parsed.error }];
  throw new ApiError(Status.INVALID_ARGUMENT, "BadRequest", message, details);
}

/** As parseLabelSelector, but returns the error message instead of throwing. */
export function tryParseLabelSelector(selector: string): Result<LabelSelector> {
  const cur = new TokenCursor(tokenize(selector), selector.length);
  if (cur.atEnd()) return ok(LabelSelector.EVERYTHING);
  const requirements: Requirement[] = [];
  for (;;) {
    const requirement = readRequirement(cur);
    if (!requirement.ok) return requirement;
    requirements.push(requirement.value);
    if (cur.atEnd()) return ok(new LabelSelector(requirements));
    if (!cur.accept(",")) return fail(cur.expected('"," or end of input'));
  }
}

function readRequirement(cur: TokenCursor): Result<Requirement> {
  if (cur.accept("symbol", "!")) {
    const key = readKey(cur);
    return key.ok ? ok({ key: key.value, op: "notexists", values: [] }) : key;
  }
  const key = readKey(cur);
  if (!key.ok) return key;
  const next = cur.peek();
  if (next === undefined || next.kind === ",") return ok({ key: key.value, op: "exists", values: [] });
  cur.next();
  if (next.kind === "symbol" && (next.text === "=" || next.text === "==" || next.text === "!=")) {
    const value = readValue(cur);
    if (!value.ok) return value;
    return ok({ key: key.value, op: next.text === "!=" ? "ne" : "eq", values: [value.value] });
  }
  if (next.kind === "word" && (next.text === "in" || next.text === "notin")) {
    const values = readValueSet(cur);
    if (!values.ok) return values;
    return ok({ key: key.value, op: next.text, values: values.value });
  }
  return fail(cur.expected('"=", "==", "!=", "in", "notin", "," or end of input', next));
}

function readKey(cur: TokenCursor): Result<string> {
  const token = cur.next();
  if (token?.kind !== "word") return fail(cur.expected("a label key", token));
  if (!isValidLabelKey(token.text)) {
    return fail(`invalid label key ${describe(token)} at position ${token.pos}: ${LABEL_KEY_RULE}`);
  }
  return ok(token.text);
}

function readValue(cur: TokenCursor): Result<string> {
  const token = cur.next();
  if (token?.kind !== "word") return fail(cur.expected("a label value", token));
  if (!isValidLabelValue(token.text)) {
    return fail(`invalid label value ${describe(token)} at position ${token.pos}: ${LABEL_VALUE_RULE}`);
  }
  return ok(token.text);
}

/** `( value [, value]* )`, returned sorted and without duplicates. */
function readValueSet(cur: TokenCursor): Result<string[]> {
  if (!cur.accept("(")) return fail(cur.expected('"("'));
  const values = new Set<string>();
  for (;;) {
    const value = readValue(cur);
    if (!value.ok) return value;
    values.add(value.value);
    if (cur.accept(")")) return ok([...values].sort());
    if (!cur.accept(",")) return fail(cur.expected('"," or ")"'));
  }
}

function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

function fail(error: string): { ok: false; error: string } {
  return { ok: false, error };
}

function matchRequirement(r: Requirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const value = has ? labels[r.key] : undefined;
  switch (r.op) {
    case "exists":
      return has;
    case "notexists":
      return !has;
    case "eq":
    case "in":
      return value !== undefined && r.values.includes(value);
    case "ne":
    case "notin":
      return value === undefined || !r.values.includes(value);
  }
}

function formatRequirement(r: Requirement): string {
  switch (r.op) {
    case "exists":
      return r.key;
    case "notexists":
      return `!${r.key}`;
    case "eq":
      return `${r.key}=${r.values[0] ?? ""}`;
    case "ne":
      return `${r.key}!=${r.values[0] ?? ""}`;
    case "in":
    case "notin":
      return `${r.key} ${r.op} (${r.values.join(",")})`;
  }
}
