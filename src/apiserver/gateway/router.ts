import { matchTemplate } from "./path-template.js";
import type { PathTemplate } from "./path-template.js";

/** The routes of one path template, by HTTP method. */
export interface RouteEntry<H> {
  template: PathTemplate;
  methods: Map<string, H>;
}

export type RouteResult<H> =
  | { found: true; entry: RouteEntry<H>; handler: H; params: Record<string, string> }
  /** The path is known but not for this method: answer 405 with `allow`. */
  | { found: false; allow: string[] }
  | undefined;

interface Node<H> {
  literals: Map<string, Node<H>>;
  any?: Node<H>;
  entries: RouteEntry<H>[];
}

const newNode = <H>(): Node<H> => ({ literals: new Map(), entries: [] });

/**
 * Routes requests by method and path template. Simple templates (literals and
 * single-segment variables, the Krake URL shapes) live in a segment trie where
 * a literal beats a variable; the rest are tried one by one afterwards.
 */
export class Router<H> {
  private readonly root = newNode<H>();
  private readonly complex: RouteEntry<H>[] = [];
  private readonly bySource = new Map<string, RouteEntry<H>>();

  /** Adds a handler; a second handler for the same method and template is a startup error. */
  add(method: string, template: PathTemplate, handler: H): RouteEntry<H> {
    let entry = this.bySource.get(template.source);
    if (!entry) {
      entry = { template, methods: new Map() };
      this.bySource.set(template.source, entry);
      if (template.simple) this.nodeFor(template).entries.push(entry);
      else this.complex.push(entry);
    }
    if (entry.methods.has(method)) throw new Error(`${method} ${template.source} is bound twice`);
    entry.methods.set(method, handler);
    return entry;
  }

  get entries(): RouteEntry<H>[] {
    return [...this.bySource.values()];
  }

  /** Finds the handler for a request path (without the query). Throws URIError on bad percent-encoding. */
  match(method: string, path: string): RouteResult<H> {
    const parts = path.split("/");
    parts.shift();
    const node = this.walk(this.root, parts, 0);
    const allow = new Set<string>();
    for (const entry of node?.entries ?? []) {
      const handler = entry.methods.get(method);
      if (handler !== undefined) return { found: true, entry, handler, params: simpleParams(entry.template, parts) };
      for (const m of entry.methods.keys()) allow.add(m);
    }
    for (const entry of this.complex) {
      const params = matchTemplate(entry.template, parts);
      if (!params) continue;
      const handler = entry.methods.get(method);
      if (handler !== undefined) return { found: true, entry, handler, params };
      for (const m of entry.methods.keys()) allow.add(m);
    }
    return allow.size ? { found: false, allow: [...allow] } : undefined;
  }

  private nodeFor(t: PathTemplate): Node<H> {
    let node = this.root;
    for (const s of t.segments) {
      if (s.type === "literal") {
        let next = node.literals.get(s.value);
        if (!next) node.literals.set(s.value, (next = newNode()));
        node = next;
      } else {
        node = node.any ??= newNode();
      }
    }
    return node;
  }

  private walk(node: Node<H>, parts: string[], i: number): Node<H> | undefined {
    if (i === parts.length) return node.entries.length ? node : undefined;
    const part = parts[i];
    const lit = node.literals.get(part);
    const found = lit && this.walk(lit, parts, i + 1);
    if (found) return found;
    return node.any && part ? this.walk(node.any, parts, i + 1) : undefined;
  }
}

function simpleParams(t: PathTemplate, parts: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of t.variables) {
    const raw = parts[v.start];
    out[v.field] = raw.includes("%") ? decodeURIComponent(raw) : raw;
  }
  return out;
}
