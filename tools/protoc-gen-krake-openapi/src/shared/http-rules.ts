/**
 * Reads the google.api.http rules of methods. The extension is looked up by
 * name in the files of the request (it comes in with google/api/annotations.proto),
 * so no generated code for it is needed.
 */
import { getOption, hasOption } from "@bufbuild/protobuf";
import type { DescExtension, DescFile, DescMethod } from "@bufbuild/protobuf";
import { parsePathTemplate } from "./path-template.js";
import type { PathTemplate } from "./path-template.js";

export const httpRuleExtension = "google.api.http";

/** One binding of a method to an HTTP method and URL (the rule or one of its additional_bindings). */
export interface HttpBinding {
  /** Upper case: GET, PUT, POST, DELETE, PATCH or a custom verb. */
  readonly method: string;
  readonly template: PathTemplate;
  /** "" for no body, "*" for every field not bound by the path, else the request field the body fills. */
  readonly body: string;
  /** "" for the whole response message, else the response field the body carries. */
  readonly responseBody: string;
}

/** The decoded google.api.HttpRule, as @bufbuild/protobuf represents it. */
interface HttpRuleValue {
  pattern: { case: string | undefined; value?: unknown };
  body: string;
  responseBody: string;
  additionalBindings: HttpRuleValue[];
}

function isHttpRule(value: unknown): value is HttpRuleValue {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Partial<HttpRuleValue>;
  return (
    typeof v.pattern === "object" &&
    v.pattern !== null &&
    typeof v.body === "string" &&
    typeof v.responseBody === "string" &&
    Array.isArray(v.additionalBindings)
  );
}

export function findHttpExtension(files: readonly DescFile[]): DescExtension | undefined {
  for (const file of files) {
    const ext = file.extensions.find((e) => e.typeName === httpRuleExtension);
    if (ext) return ext;
  }
  return undefined;
}

function toBinding(rule: HttpRuleValue, where: string): HttpBinding {
  const { case: kind, value } = rule.pattern;
  let method: string;
  let path: string;
  if (kind === "custom") {
    const custom = value as { kind?: unknown; path?: unknown };
    if (typeof custom.kind !== "string" || typeof custom.path !== "string") throw new Error(`${where}: malformed custom pattern`);
    method = custom.kind.toUpperCase();
    path = custom.path;
  } else if (kind !== undefined && typeof value === "string") {
    method = kind.toUpperCase();
    path = value;
  } else {
    throw new Error(`${where}: http rule without a pattern`);
  }
  return { method, template: parsePathTemplate(path), body: rule.body, responseBody: rule.responseBody };
}

/** The bindings of a method: its rule first, then the additional bindings in order. Empty without a rule. */
export function httpBindings(method: DescMethod, extension: DescExtension | undefined): HttpBinding[] {
  if (!extension || !hasOption(method, extension)) return [];
  const rule: unknown = getOption(method, extension);
  const where = `${method.parent.typeName}.${method.name}`;
  if (!isHttpRule(rule)) throw new Error(`${where}: the ${httpRuleExtension} option is not a google.api.HttpRule`);
  return [toBinding(rule, where), ...rule.additionalBindings.map((b) => toBinding(b, where))];
}
