/**
 * Krake's constraint grammar (krake/data/constraints.py), used by
 * Application `spec.constraints.cluster.{labels,metrics}` and Cluster
 * `spec.constraints.cloud.{labels,metrics}`. Constraints are stored as the
 * user's strings; this module parses them into a small AST (key, operator,
 * values) and evaluates that AST. The API validates with the same parser
 * (src/apiserver/registry/validation/constraints.ts re-exports it), so what
 * the API accepts is exactly what the scheduler understands.
 *
 * Label constraints:
 *   key (= | == | is) value
 *   key (!= | is not) value
 *   key in (value, value, …)          a trailing comma is allowed
 *   key not in (value, value, …)
 * Metric constraints (the value compared is the metric's normalised value):
 *   key (= | == | is) number
 *   key (!= | is not) number
 *   key (> | gt | greater than) number
 *   key (>= | => | gte | greater than or equal) number
 *   key (< | lt | lesser than) number
 *   key (<= | =< | lte | lesser than or equal) number
 * Whitespace between tokens is optional. Label keys and values follow the
 * label rules; a metric key is a label key or a resource name, and its value a
 * finite decimal number (Krake also allows only label values there, which
 * excludes negative numbers; we accept them).
 */

import { describe, tokenize, TokenCursor } from "./tokenizer.js";
import type { Token } from "./tokenizer.js";
import { isValidLabelKey, isValidLabelValue, isValidName, LABEL_KEY_RULE, LABEL_VALUE_RULE } from "./label-rules.js";

export type LabelConstraintOp = "eq" | "ne" | "in" | "notin";
export type MetricConstraintOp = "eq" | "ne" | "gt" | "ge" | "lt" | "le";
export type ConstraintOp = LabelConstraintOp | MetricConstraintOp;

export interface LabelConstraint {
  readonly key: string;
  readonly op: LabelConstraintOp;
  /** One value for eq/ne, one or more for in/notin. */
  readonly values: readonly string[];
}

export interface MetricConstraint {
  readonly key: string;
  readonly op: MetricConstraintOp;
  /** The value as written. */
  readonly values: readonly [string];
  /** The value as a number. */
  readonly value: number;
}

/** The outcome of a parse: the value, or an error message naming the position and token. */
export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

const LABEL_OPERATORS = '"=", "==", "is", "!=", "is not", "in" or "not in"';
const METRIC_OPERATORS =
  '"=", "==", "is", "!=", "is not", ">", "gt", "greater than", ">=", "=>", "gte", ' +
  '"greater than or equal", "<", "lt", "lesser than", "<=", "=<", "lte" or "lesser than or equal"';
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

export function parseLabelConstraint(expression: string): Result<LabelConstraint> {
  const cur = new TokenCursor(tokenize(expression), expression.length);
  if (cur.atEnd()) return fail("the constraint is empty");
  const key = readKey(cur, "a label key", isValidLabelKey, `label key ${LABEL_KEY_RULE}`);
  if (!key.ok) return key;

  let op: LabelConstraintOp;
  const token = cur.next();
  if (token?.kind === "symbol" && (token.text === "=" || token.text === "==")) op = "eq";
  else if (token?.kind === "symbol" && token.text === "!=") op = "ne";
  else if (token?.kind === "word" && token.text === "is") op = cur.acceptWord("not") ? "ne" : "eq";
  else if (token?.kind === "word" && token.text === "in") op = "in";
  else if (token?.kind === "word" && token.text === "not") {
    if (!cur.acceptWord("in")) return fail(cur.expected('"in"'));
    op = "notin";
  } else return fail(cur.expected(`an operator (${LABEL_OPERATORS})`, token));

  const values = op === "eq" || op === "ne" ? single(readLabelValue(cur)) : readValueList(cur);
  if (!values.ok) return values;
  const end = expectEnd(cur);
  if (!end.ok) return end;
  return { ok: true, value: { key: key.value, op, values: values.value } };
}

export function parseMetricConstraint(expression: string): Result<MetricConstraint> {
  const cur = new TokenCursor(tokenize(expression), expression.length);
  if (cur.atEnd()) return fail("the constraint is empty");
  const key = readKey(
    cur,
    "a metric name",
    (k) => isValidLabelKey(k) || isValidName(k),
    `metric name ${LABEL_KEY_RULE}, or be a resource name`,
  );
  if (!key.ok) return key;

  const op = readMetricOperator(cur);
  if (!op.ok) return op;

  const token = cur.next();
  if (token?.kind !== "word" || !NUMBER.test(token.text) || !Number.isFinite(Number(token.text))) {
    return fail(cur.expected("a number", token));
  }
  const end = expectEnd(cur);
  if (!end.ok) return end;
  return { ok: true, value: { key: key.value, op: op.value, values: [token.text], value: Number(token.text) } };
}

/** A label constraint's outcome on a set of labels, with the value it saw (for explanations). */
export interface LabelEvaluation {
  readonly matched: boolean;
  /** The label's value; undefined when the label is absent. */
  readonly value: string | undefined;
}

/**
 * Evaluates a label constraint. Krake's semantics: a missing label never
 * matches, not even `!=` or `not in`.
 */
export function evaluateLabelConstraint(c: LabelConstraint, labels: Readonly<Record<string, string>>): LabelEvaluation {
  if (!Object.prototype.hasOwnProperty.call(labels, c.key)) return { matched: false, value: undefined };
  const value = labels[c.key];
  if (value === undefined) return { matched: false, value: undefined };
  const included = c.values.includes(value);
  return { matched: c.op === "eq" || c.op === "in" ? included : !included, value };
}

/** Does `labels` satisfy the constraint? See `evaluateLabelConstraint`. */
export function matchLabelConstraint(c: LabelConstraint, labels: Readonly<Record<string, string>>): boolean {
  return evaluateLabelConstraint(c, labels).matched;
}

/**
 * Does a metric's `value` (for the scheduler: its normalised value) satisfy
 * the constraint? A missing metric (`undefined`, NaN) never matches.
 */
export function matchMetricConstraint(c: MetricConstraint, value: number | undefined): boolean {
  if (value === undefined || Number.isNaN(value)) return false;
  switch (c.op) {
    case "eq":
      return value === c.value;
    case "ne":
      return value !== c.value;
    case "gt":
      return value > c.value;
    case "ge":
      return value >= c.value;
    case "lt":
      return value < c.value;
    case "le":
      return value <= c.value;
  }
}

/** A parsed constraint with the string it came from (explanations quote the user's text). */
export interface ParsedConstraint<C> {
  readonly text: string;
  readonly constraint: C;
}

/** An Application's cluster constraints, parsed once per decision. */
export interface ClusterConstraintSet {
  readonly labels: readonly ParsedConstraint<LabelConstraint>[];
  readonly metrics: readonly ParsedConstraint<MetricConstraint>[];
  readonly customResources: readonly string[];
}

/**
 * Parses `spec.constraints.cluster` (absent = no constraints). The first
 * malformed constraint is the error, named by its list and index:
 * `labels[1] "location ~ DE": expected an operator …`.
 */
export function parseClusterConstraints(
  cluster:
    | { readonly labels?: readonly string[]; readonly metrics?: readonly string[]; readonly customResources?: readonly string[] }
    | undefined,
): Result<ClusterConstraintSet> {
  const labels = parseAll("labels", cluster?.labels ?? [], parseLabelConstraint);
  if (!labels.ok) return labels;
  const metrics = parseAll("metrics", cluster?.metrics ?? [], parseMetricConstraint);
  if (!metrics.ok) return metrics;
  return {
    ok: true,
    value: { labels: labels.value, metrics: metrics.value, customResources: [...(cluster?.customResources ?? [])] },
  };
}

function parseAll<C>(
  list: string,
  texts: readonly string[],
  parse: (text: string) => Result<C>,
): Result<ParsedConstraint<C>[]> {
  const parsed: ParsedConstraint<C>[] = [];
  for (const [i, text] of texts.entries()) {
    const result = parse(text);
    if (!result.ok) return fail(`${list}[${i}] ${JSON.stringify(text)}: ${result.error}`);
    parsed.push({ text, constraint: result.value });
  }
  return { ok: true, value: parsed };
}

function fail(error: string): { ok: false; error: string } {
  return { ok: false, error };
}

function readKey(cur: TokenCursor, what: string, valid: (key: string) => boolean, rule: string): Result<string> {
  const token = cur.next();
  if (token?.kind !== "word") return fail(cur.expected(what, token));
  if (!valid(token.text)) return fail(`invalid ${what} ${describe(token)} at position ${token.pos}: ${rule}`);
  return { ok: true, value: token.text };
}

function readLabelValue(cur: TokenCursor): Result<string> {
  const token = cur.next();
  if (token?.kind !== "word") return fail(cur.expected("a label value", token));
  if (!isValidLabelValue(token.text)) {
    return fail(`invalid label value ${describe(token)} at position ${token.pos}: ${LABEL_VALUE_RULE}`);
  }
  return { ok: true, value: token.text };
}

function single(value: Result<string>): Result<string[]> {
  return value.ok ? { ok: true, value: [value.value] } : value;
}

/** `( value [, value]* [,]* )` */
function readValueList(cur: TokenCursor): Result<string[]> {
  if (!cur.accept("(")) return fail(cur.expected('"("'));
  const values: string[] = [];
  for (;;) {
    const value = readLabelValue(cur);
    if (!value.ok) return value;
    values.push(value.value);
    if (cur.accept(")")) return { ok: true, value: values };
    if (!cur.accept(",")) return fail(cur.expected('"," or ")"'));
    if (cur.peek()?.kind === ",") {
      while (cur.accept(","));
      if (!cur.accept(")")) return fail(cur.expected('")"'));
      return { ok: true, value: values };
    }
    if (cur.accept(")")) return { ok: true, value: values };
  }
}

function readMetricOperator(cur: TokenCursor): Result<MetricConstraintOp> {
  const token: Token | undefined = cur.next();
  const bad = (): Result<MetricConstraintOp> => fail(cur.expected(`an operator (${METRIC_OPERATORS})`, token));
  if (token === undefined) return bad();
  if (token.kind === "symbol") {
    const op = SYMBOL_OPS[token.text];
    return op === undefined ? bad() : { ok: true, value: op };
  }
  if (token.kind !== "word") return bad();
  switch (token.text) {
    case "is":
      return { ok: true, value: cur.acceptWord("not") ? "ne" : "eq" };
    case "gt":
      return { ok: true, value: "gt" };
    case "gte":
      return { ok: true, value: "ge" };
    case "lt":
      return { ok: true, value: "lt" };
    case "lte":
      return { ok: true, value: "le" };
    case "greater":
    case "lesser": {
      if (!cur.acceptWord("than")) return fail(cur.expected('"than"'));
      const strict = token.text === "greater" ? "gt" : "lt";
      if (!cur.acceptWord("or")) return { ok: true, value: strict };
      if (!cur.acceptWord("equal")) return fail(cur.expected('"equal"'));
      return { ok: true, value: strict === "gt" ? "ge" : "le" };
    }
    default:
      return bad();
  }
}

const SYMBOL_OPS: Readonly<Record<string, MetricConstraintOp>> = {
  "=": "eq",
  "==": "eq",
  "!=": "ne",
  ">": "gt",
  ">=": "ge",
  "=>": "ge",
  "<": "lt",
  "<=": "le",
  "=<": "le",
};

function expectEnd(cur: TokenCursor): Result<null> {
  const token = cur.peek();
  if (token === undefined) return { ok: true, value: null };
  return fail(`unexpected ${describe(token)} at position ${token.pos}`);
}
