/**
 * Reads a V8 .cpuprofile (node --cpu-prof) and ranks where the time went:
 * self time per function, and per area (our sources, generated codecs,
 * grpc-js, etcd3, Node internals, GC).
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileLine {
  what: string;
  ms: number;
  /** Share of the busy (non-idle) time. */
  pct: number;
}

export interface ProfileSummary {
  busyMs: number;
  idleMs: number;
  /** Time before `fromFrame` first appeared, left out. */
  skippedMs: number;
  functions: ProfileLine[];
  areas: ProfileLine[];
  /** Total (inclusive) time of our own functions (src/, gen/): where a request's time goes. */
  ours: ProfileLine[];
}

function area(url: string, fn: string): string {
  if (fn === "(garbage collector)") return "GC";
  if (fn === "(program)") return "(program: native/runtime)";
  if (url === "") return fn ? `(native) ${fn}` : "(native)";
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1];
  if (url.startsWith("node:")) return url.replace(/^node:(internal\/)?/, "node:");
  const src = /\/(gen|src)\/(.*)$/.exec(url);
  if (src) return src[1] === "gen" ? "gen/ (ts-proto codecs)" : `src/${src[2].split("/").slice(0, -1).join("/") || "."}`;
  return url;
}

function shortUrl(url: string): string {
  const m = /(node_modules\/.*|\/(?:gen|src|bin)\/.*)$/.exec(url);
  return m ? m[1].replace(/^\//, "") : url;
}

function frameKey(n: ProfileNode): string {
  const { functionName, url, lineNumber } = n.callFrame;
  return url ? `${functionName || "(anonymous)"} ${shortUrl(url)}:${lineNumber + 1}` : functionName;
}

function isOurs(url: string): boolean {
  return !url.includes("node_modules") && /\/(src|gen)\//.test(url);
}

export type CallFrame = ProfileNode["callFrame"];

/**
 * `from`: ignore the samples before the first one whose stack (innermost
 * first) it accepts, e.g. the first request: start-up and module loading are
 * not what a load phase is about.
 */
export function summarizeProfile(file: string, top = 20, from?: (stack: CallFrame[]) => boolean): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const inclusive = new Map<string, number>();
  let first = 0;
  if (from) {
    const stack = (id: number): CallFrame[] => {
      const out: CallFrame[] = [];
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) out.push(byId.get(at)!.callFrame);
      return out;
    };
    first = Math.max(0, profile.samples.findIndex((id) => from(stack(id))));
  }
  let skippedUs = 0;
  for (let i = 0; i < first; i++) skippedUs += profile.timeDeltas[i] ?? 0;
  const selfUs = new Map<number, number>();
  for (let i = first; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const fns = new Map<string, number>();
  const areas = new Map<string, number>();
  let idle = 0;
  let busy = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url } = byId.get(id)!.callFrame;
    if (functionName === "(idle)") {
      idle += us;
      continue;
    }
    busy += us;
    const key = frameKey(byId.get(id)!);
    fns.set(key, (fns.get(key) ?? 0) + us);
    const onStack = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const n = byId.get(at)!;
      if (isOurs(n.callFrame.url)) onStack.add(frameKey(n));
    }
    for (const k of onStack) inclusive.set(k, (inclusive.get(k) ?? 0) + us);
    const a = area(url, functionName);
    areas.set(a, (areas.get(a) ?? 0) + us);
  }
  const rank = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([what, us]) => ({ what, ms: Math.round(us / 1000), pct: Math.round((us / busy) * 1000) / 10 }));
  return {
    busyMs: Math.round(busy / 1000),
    idleMs: Math.round(idle / 1000),
    skippedMs: Math.round(skippedUs / 1000),
    functions: rank(fns, top),
    areas: rank(areas, top),
    ours: rank(inclusive, top),
  };
}

export function formatProfile(title: string, s: ProfileSummary): string {
  const skipped = s.skippedMs ? ` (the first ${s.skippedMs} ms, before the first request, left out)` : "";
  const lines = [`${title}: ${s.busyMs} ms busy, ${s.idleMs} ms idle${skipped}`, "  by area (self time):"];
  for (const l of s.areas) lines.push(`    ${String(l.pct).padStart(5)}%  ${l.what}`);
  lines.push("  top functions (self time):");
  for (const l of s.functions) lines.push(`    ${String(l.pct).padStart(5)}%  ${l.what}`);
  lines.push("  our code, total time including callees:");
  for (const l of s.ours) lines.push(`    ${String(l.pct).padStart(5)}%  ${l.what}`);
  return lines.join("\n");
}
