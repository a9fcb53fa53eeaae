/**
 * "Stored data unchanged unless the request succeeded": one seed object of
 * every kind, created through the API at the start, and etcd's revision. A
 * request that failed must not move the revision (nothing written at all) nor
 * change what the API serves for a seed (resource_version and content, GET
 * through REST). A successful request makes the new state the expectation.
 * Seeds that a successful request deleted are put back, so that later cases
 * still find objects to update.
 */
import type { Route } from "./openapi.js";
import type { Target } from "./target.js";
import { templateFor } from "./templates.js";
import { toBytes } from "./json.js";

/** The key the watch cache writes to reach a revision (src/apiserver/watchcache/revision-marker.ts). */
const MARKER_KEY = ".watch-cache-marker";

export const SEED_NAME = "fuzz-seed";
export const SEED_NAMESPACE = "fuzz";

interface Seed {
  plural: string;
  /** POST here to create it. */
  collection: string;
  /** GET / DELETE here. */
  object: string;
  namespaced: boolean;
}

export interface Observation {
  revision: number;
  /** Keys in etcd. */
  keys: number;
  /** Seed object path → `status body` as GET answers it. */
  seeds: Map<string, string>;
}

function fill(template: string, params: Record<string, string>): string {
  return template.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? ""));
}

export class Seeds {
  private readonly seeds: Seed[];

  constructor(routes: Route[]) {
    const byPlural = new Map<string, Seed>();
    for (const r of routes) {
      if (r.method !== "GET" || r.sub !== undefined || !r.pathParams.includes("name")) continue;
      const namespaced = r.pathParams.includes("namespace");
      const params = { namespace: SEED_NAMESPACE, name: SEED_NAME };
      const object = fill(r.template, params);
      byPlural.set(r.plural, { plural: r.plural, object, collection: object.slice(0, object.lastIndexOf("/")), namespaced });
    }
    this.seeds = [...byPlural.values()];
  }

  get paths(): string[] {
    return this.seeds.map((s) => s.object);
  }

  private body(s: Seed): Buffer {
    return toBytes(templateFor(s.plural, SEED_NAME, s.namespaced ? SEED_NAMESPACE : ""));
  }

  private async create(t: Target, s: Seed): Promise<void> {
    const res = await t.http({ method: "POST", path: s.collection, headers: { "content-type": "application/json" }, body: this.body(s) });
    if (res.kind !== "response" || (res.status !== 200 && res.status !== 409)) {
      throw new Error(`could not create the seed ${s.object}: ${res.kind === "response" ? `${res.status} ${res.body}` : JSON.stringify(res)}`);
    }
  }

  /** Creates every seed; a kind whose example the API refuses (a new kind without one) goes without. */
  async createAll(t: Target): Promise<string[]> {
    const skipped: string[] = [];
    for (const s of [...this.seeds]) {
      try {
        await this.create(t, s);
      } catch (err) {
        skipped.push(`${s.plural}: ${(err as Error).message.slice(0, 300)}`);
        this.seeds.splice(this.seeds.indexOf(s), 1);
      }
    }
    return skipped;
  }

  async observe(t: Target): Promise<Observation> {
    const [store, views] = await Promise.all([
      t.storeState(),
      Promise.all(
        this.seeds.map(async (s) => {
          const res = await t.http({ method: "GET", path: s.object });
          return [s.object, res.kind === "response" ? `${res.status} ${res.body}` : `${res.kind} ${JSON.stringify(res)}`] as const;
        }),
      ),
    ]);
    return { revision: store.revision, keys: store.keys, seeds: new Map(views) };
  }

  /** Recreates seeds that are gone or in deletion; true when it wrote anything. */
  async repair(t: Target, seen: Observation): Promise<boolean> {
    let wrote = false;
    for (const s of this.seeds) {
      const view = seen.seeds.get(s.object) ?? "";
      const status = Number(view.slice(0, 3));
      const inDeletion = status === 200 && /"deleted":"[^"]/.test(view);
      if (status === 200 && !inDeletion) continue;
      if (inDeletion) {
        const res = await t.http({ method: "DELETE", path: `${s.object}?force=true` });
        if (res.kind !== "response" || res.status >= 300) throw new Error(`could not force-delete the seed ${s.object}: ${JSON.stringify(res)}`);
      }
      await this.create(t, s);
      wrote = true;
    }
    return wrote;
  }
}

/** What changed between two observations (after a request that should have changed nothing). */
export async function unexpectedChanges(t: Target, before: Observation, after: Observation): Promise<string[]> {
  const out: string[] = [];
  if (after.revision !== before.revision) {
    // The watch cache's revision marker is bookkeeping, not data: a cache that must catch up with a revision
    // (a fresh process, a consistent read) writes it whatever the request did.
    const keys = (await t.writtenSince(before.revision)).filter((k) => !k.includes(`/${MARKER_KEY}`));
    if (keys.length || after.keys < before.keys) {
      const deleted = after.keys < before.keys ? `; ${before.keys - after.keys} key(s) deleted` : "";
      out.push(`etcd's revision moved from ${before.revision} to ${after.revision}: written ${keys.join(", ") || "nothing"}${deleted}`);
    }
  }
  for (const [path, was] of before.seeds) {
    const now = after.seeds.get(path);
    if (now !== was) out.push(`GET ${path} changed:\n          before: ${was.slice(0, 400)}\n          after:  ${String(now).slice(0, 400)}`);
  }
  return out;
}
