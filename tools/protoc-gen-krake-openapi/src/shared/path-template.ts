/**
 * The URL templates of google.api.http rules:
 *
 *     Template = "/" Segments [ ":" Verb ]
 *     Segment  = LITERAL | Variable
 *     Variable = "{" FieldPath [ "=" Segments ] "}"
 *
 * Anonymous wildcards (`/v1/*` outside a variable) bind to no field, so no
 * request could fill them; they are rejected.
 */

export type PathSegment =
  | { readonly kind: "literal"; readonly value: string }
  | {
      readonly kind: "variable";
      /** Dotted field path of the request message, e.g. `metadata.name`. */
      readonly field: string;
      /** `*` for one path segment; anything else may span several (`**`, `a/*`). */
      readonly pattern: string;
    };

export interface PathTemplate {
  readonly raw: string;
  readonly segments: readonly PathSegment[];
  /** The custom verb after the last `:`, or "". */
  readonly verb: string;
}

const fieldPath = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

export function parsePathTemplate(raw: string): PathTemplate {
  const fail = (why: string): never => {
    throw new Error(`http rule path "${raw}": ${why}`);
  };
  if (!raw.startsWith("/")) fail('must start with "/"');
  const verbAt = raw.indexOf(":", Math.max(raw.lastIndexOf("/"), raw.lastIndexOf("}")));
  const verb = verbAt >= 0 ? raw.slice(verbAt + 1) : "";
  const path = verbAt >= 0 ? raw.slice(0, verbAt) : raw;
  const segments: PathSegment[] = [];
  let i = 1;
  while (i < path.length) {
    if (path[i] === "{") {
      const end = path.indexOf("}", i);
      if (end < 0) fail("unclosed variable");
      const inner = path.slice(i + 1, end);
      const eq = inner.indexOf("=");
      const field = eq >= 0 ? inner.slice(0, eq) : inner;
      const pattern = eq >= 0 ? inner.slice(eq + 1) : "*";
      if (!fieldPath.test(field)) fail(`"${field}" is not a field path`);
      if (pattern === "") fail(`variable "${field}" has an empty pattern`);
      segments.push({ kind: "variable", field, pattern });
      i = end + 1;
    } else {
      const slash = path.indexOf("/", i);
      const end = slash < 0 ? path.length : slash;
      const value = path.slice(i, end);
      if (value === "*" || value === "**") fail("anonymous wildcards bind no field");
      if (/[{}]/.test(value)) fail(`malformed segment "${value}"`);
      segments.push({ kind: "literal", value });
      i = end;
    }
    if (i < path.length) {
      if (path[i] !== "/") fail(`expected "/" at offset ${i}`);
      i += 1;
      if (i === path.length || path[i] === "/") fail("empty segment");
    }
  }
  return { raw, segments, verb };
}

/** The OpenAPI form of a template: variables as `{field.path}`. */
export function openApiPath(template: PathTemplate): string {
  const body = template.segments.map((s) => (s.kind === "literal" ? s.value : `{${s.field}}`)).join("/");
  return `/${body}${template.verb ? `:${template.verb}` : ""}`;
}

export function pathFields(template: PathTemplate): string[] {
  return template.segments.flatMap((s) => (s.kind === "variable" ? [s.field] : []));
}
