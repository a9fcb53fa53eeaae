/**
 * google.api.http path templates:
 *
 *     Template = "/" Segments [ ":" Verb ] ;
 *     Segments = Segment { "/" Segment } ;
 *     Segment  = "*" | "**" | LITERAL | "{" FieldPath [ "=" Segments ] "}" ;
 *
 * A template compiles to a list of segment matchers plus the variables that
 * capture runs of them. `{name}` is `{name=*}`.
 */
export type Segment = { type: "literal"; value: string } | { type: "any" } | { type: "rest" };

export interface Variable {
  /** Dotted request field path: "namespace", "parent.name". */
  field: string;
  /** Captured segments [start, end); end = -1 when the run ends with "**". */
  start: number;
  end: number;
}

export interface PathTemplate {
  readonly source: string;
  readonly segments: Segment[];
  readonly variables: Variable[];
  readonly verb: string;
  /** Every segment is a literal or a single-segment variable, and there is no verb. */
  readonly simple: boolean;
}

export function parseTemplate(source: string): PathTemplate {
  if (!source.startsWith("/")) throw new Error(`path template "${source}" must start with "/"`);
  let body = source.slice(1);
  let verb = "";
  const lastSlash = body.lastIndexOf("/");
  const colon = body.indexOf(":", Math.max(lastSlash, body.lastIndexOf("}")));
  if (colon >= 0) {
    verb = body.slice(colon + 1);
    body = body.slice(0, colon);
  }
  const segments: Segment[] = [];
  const variables: Variable[] = [];
  let i = 0;
  const bad = (why: string) => new Error(`path template "${source}": ${why}`);
  while (i <= body.length) {
    if (body[i] === "{") {
      const close = body.indexOf("}", i);
      if (close < 0) throw bad("unclosed variable");
      const inner = body.slice(i + 1, close);
      const eq = inner.indexOf("=");
      const field = eq < 0 ? inner : inner.slice(0, eq);
      if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(field)) throw bad(`bad field path "${field}"`);
      const start = segments.length;
      for (const part of (eq < 0 ? "*" : inner.slice(eq + 1)).split("/")) segments.push(segmentOf(part, bad));
      const end = segments[segments.length - 1].type === "rest" ? -1 : segments.length;
      variables.push({ field, start, end });
      i = close + 1;
    } else {
      const slash = body.indexOf("/", i);
      const part = body.slice(i, slash < 0 ? body.length : slash);
      segments.push(segmentOf(part, bad));
      i += part.length;
    }
    if (i >= body.length) break;
    if (body[i] !== "/") throw bad(`unexpected "${body[i]}"`);
    i++;
  }
  const restAt = segments.findIndex((s) => s.type === "rest");
  if (restAt >= 0 && restAt !== segments.length - 1) throw bad(`"**" must be the last segment`);
  const simple = !verb && restAt < 0 && variables.every((v) => v.end === v.start + 1);
  return { source, segments, variables, verb, simple };
}

function segmentOf(part: string, bad: (why: string) => Error): Segment {
  if (part === "*") return { type: "any" };
  if (part === "**") return { type: "rest" };
  if (!part || /[{}*]/.test(part)) throw bad(`bad segment "${part}"`);
  return { type: "literal", value: part };
}

/**
 * Matches split path segments (still percent-encoded) against a template and
 * returns the variables' decoded values, or undefined when it does not match.
 * Throws URIError for malformed percent-encoding.
 */
export function matchTemplate(t: PathTemplate, parts: string[]): Record<string, string> | undefined {
  const last = parts.length - 1;
  let tail = parts[last];
  if (t.verb) {
    if (!tail.endsWith(`:${t.verb}`)) return undefined;
    tail = tail.slice(0, -t.verb.length - 1);
  }
  const rest = t.segments[t.segments.length - 1]?.type === "rest";
  if (rest ? parts.length < t.segments.length - 1 : parts.length !== t.segments.length) return undefined;
  const at = (i: number) => (i === last ? tail : parts[i]);
  for (let i = 0; i < t.segments.length; i++) {
    const s = t.segments[i];
    if (s.type === "literal" && at(i) !== s.value) return undefined;
    if (s.type === "any" && !at(i)) return undefined;
  }
  const out: Record<string, string> = {};
  for (const v of t.variables) {
    const end = v.end < 0 ? parts.length : v.end;
    const values: string[] = [];
    for (let i = v.start; i < end; i++) values.push(decodeURIComponent(at(i)));
    out[v.field] = values.join("/");
  }
  return out;
}
