import type { Application } from "../../../gen/krake/kubernetes/v1/application.js";
import type { Change } from "../../controller/controller.js";
import { objectKey } from "../../controller/keys.js";
import { formatTimestamp, timestampKey } from "../../kinds/timestamp.js";

/**
 * What a scheduling decision about `app` reads of the Application, as one
 * comparable string: its spec (through `generation`, bumped on every spec
 * change), whether it is in deletion, and the status fields the scheduler
 * reads (binding, migrations, state, reason, retries and retry time). Not
 * `status.scheduling` (the scheduler's own report, never an input) nor what
 * other controllers keep in the status (manifests, services, health, ...).
 */
export function decisionInputs(app: Application): string {
  const m = app.metadata;
  const s = app.status;
  const ref = s?.scheduledTo;
  return JSON.stringify([
    m?.uid ?? "",
    m?.generation ?? 0,
    timestampKey(m?.deleted),
    ref ? [ref.kind, ref.namespace, ref.name] : null,
    timestampKey(s?.scheduled),
    s?.migrationTimeout ?? 0,
    s?.migrations?.map(formatTimestamp) ?? [],
    s?.state ?? 0,
    s?.reason?.code ?? 0,
    s?.retries ?? 0,
    timestampKey(s?.scheduledRetry),
  ]);
}

/**
 * Which Application changes bring an Application back to the scheduler
 * (`wants`, the controller's event filter): every add, delete and resync,
 * and an update when it changes a decision input (`decisionInputs`) and is
 * not one of the scheduler's own writes.
 *
 * Its own writes (binding, status) are the outcome of a decision already
 * made; deciding again on their events is what made each Application be
 * decided three or four times. The scheduler makes every write to an
 * Application through `write`, which remembers the resource_version written.
 * An update event can arrive before the write's answer does: while a write
 * to the key is in flight, such events are held, and those that turn out
 * not to be the write's bring the key back (`requeue`) once no write is in
 * flight. Level-based: nothing another writer changes is lost, only the
 * echo of the scheduler's own writes.
 */
export class ApplicationEvents {
  private readonly inFlight = new Map<string, number>();
  /** Events with changed inputs seen while a write to the key was in flight, by resource_version. */
  private readonly held = new Map<string, string[]>();
  /** Versions the scheduler wrote whose event has not arrived yet. */
  private readonly written = new Map<string, string[]>();

  /** `requeue(key)` brings an Application back (the controller's enqueue). */
  constructor(private readonly requeue: (key: string) => void) {}

  /** The controller's event filter. */
  wants(change: Change<Application>): boolean {
    const key = objectKey(change.obj);
    if (change.type === "delete") {
      this.written.delete(key);
      this.held.delete(key);
      return true;
    }
    if (change.type !== "update") return true;
    const rv = change.obj.metadata?.resourceVersion ?? "";
    if (take(this.written, key, rv)) return false;
    if (decisionInputs(change.old) === decisionInputs(change.obj)) return false;
    if ((this.inFlight.get(key) ?? 0) > 0) {
      push(this.held, key, rv);
      return false;
    }
    return true;
  }

  /** Runs one of the scheduler's writes to Application `key`; resolves with what it wrote. */
  async write(key: string, write: () => Promise<Application>): Promise<Application> {
    this.inFlight.set(key, (this.inFlight.get(key) ?? 0) + 1);
    try {
      const stored = await write();
      const rv = stored.metadata?.resourceVersion ?? "";
      // its event came first (held), or is still to come
      if (!take(this.held, key, rv)) push(this.written, key, rv, 8);
      return stored;
    } finally {
      const left = (this.inFlight.get(key) ?? 1) - 1;
      if (left > 0) this.inFlight.set(key, left);
      else {
        this.inFlight.delete(key);
        const others = this.held.get(key);
        this.held.delete(key);
        if (others !== undefined && others.length > 0) this.requeue(key);
      }
    }
  }
}

function take(map: Map<string, string[]>, key: string, rv: string): boolean {
  const list = map.get(key);
  const i = list?.indexOf(rv) ?? -1;
  if (list === undefined || i < 0) return false;
  list.splice(i, 1);
  if (list.length === 0) map.delete(key);
  return true;
}

/** Appends, keeping the last `bound` (a version whose event never comes — merged by a relist — is not kept forever). */
function push(map: Map<string, string[]>, key: string, rv: string, bound = Infinity): void {
  const list = map.get(key) ?? [];
  list.push(rv);
  if (list.length > bound) list.shift();
  map.set(key, list);
}
