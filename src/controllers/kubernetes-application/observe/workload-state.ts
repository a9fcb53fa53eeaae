/**
 * What the resources of an Application on a cluster say about it, as Krake's
 * observer reads them: Deployments, StatefulSets and ReplicaSets (ready
 * replicas against desired), DaemonSets, Jobs and Pods. Krake overwrote the
 * container health per resource; here it is summed over every workload.
 */
import { ApplicationStatus_State as State } from "../../../../gen/krake/kubernetes/v1/application.js";
import type { ContainerHealth } from "../../../../gen/krake/kubernetes/v1/application.js";
import { isRecord } from "../manifest/resource-id.js";

type Obj = Record<string, unknown>;

export interface WorkloadSummary {
  /** RUNNING, DEGRADED, RESTARTING or COMPLETED. */
  state: State;
  containerHealth: ContainerHealth;
  /** Every workload has what it wants (or is done): what a migration waits for. */
  ready: boolean;
  /** Why not ready or not running, one line per resource. */
  notes: string[];
}

type Verdict = "running" | "pending" | "degraded" | "restarting" | "completed";

interface Health {
  desired: number;
  running: number;
  completed: number;
  failed: number;
  verdict: Verdict;
  note?: string;
}

const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);
const obj = (v: unknown): Obj => (isRecord(v) ? v : {});
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isRecord) : []);

function name(o: Obj): string {
  return `${String(o.kind)} ${String(obj(o.metadata).name)}`;
}

function replicated(o: Obj): Health {
  const spec = obj(o.spec);
  const status = obj(o.status);
  const desired = spec.replicas === undefined ? 1 : num(spec.replicas);
  const ready = num(status.readyReplicas);
  const ok = ready === desired;
  return { desired, running: ready, completed: 0, failed: 0, verdict: ok ? "running" : "degraded", note: ok ? undefined : `${name(o)}: ${ready}/${desired} ready` };
}

function daemonSet(o: Obj): Health {
  const status = obj(o.status);
  const desired = num(status.desiredNumberScheduled);
  const ready = num(status.numberReady);
  const ok = ready === desired;
  return { desired, running: ready, completed: 0, failed: 0, verdict: ok ? "running" : "degraded", note: ok ? undefined : `${name(o)}: ${ready}/${desired} ready` };
}

function job(o: Obj): Health {
  const spec = obj(o.spec);
  const status = obj(o.status);
  const desired = spec.completions === undefined || spec.completions === null ? 1 : num(spec.completions);
  const succeeded = num(status.succeeded);
  const failed = num(status.failed);
  const conditions = list(status.conditions);
  const has = (type: string) => conditions.some((c) => c.type === type && c.status === "True");
  const h = { desired, running: num(status.active), completed: succeeded, failed };
  if (has("Complete") || (succeeded >= desired && desired > 0)) return { ...h, verdict: "completed" };
  if (has("Failed")) return { ...h, verdict: "degraded", note: `${name(o)}: failed` };
  return { ...h, verdict: h.running > 0 ? "running" : "pending", note: h.running > 0 ? undefined : `${name(o)}: no pod active` };
}

function pod(o: Obj): Health {
  const spec = obj(o.spec);
  const status = obj(o.status);
  const containers = list(status.containerStatuses);
  const base = { desired: 1, running: 0, completed: 0, failed: 0 };
  if (containers.length === 0) return { ...base, verdict: "pending", note: `${name(o)}: not started` };
  const states = containers.map((c) => obj(c.state));
  const terminated = states.map((s) => obj(s.terminated)).filter((t) => Object.keys(t).length > 0);
  if (terminated.length > 0) {
    const failed = terminated.some((t) => num(t.exitCode) !== 0);
    if (spec.restartPolicy === "Never") {
      return { ...base, completed: failed ? 0 : 1, failed: failed ? 1 : 0, verdict: "completed" };
    }
    return { ...base, verdict: "restarting", note: `${name(o)}: a container terminated and restarts` };
  }
  const waiting = states.map((s) => obj(s.waiting)).filter((w) => Object.keys(w).length > 0);
  if (waiting.some((w) => w.reason === "CrashLoopBackOff")) return { ...base, verdict: "degraded", note: `${name(o)}: CrashLoopBackOff` };
  if (waiting.length > 0) return { ...base, verdict: "pending", note: `${name(o)}: ${String(waiting[0].reason ?? "waiting")}` };
  return { ...base, running: 1, verdict: "running" };
}

const readers: Record<string, (o: Obj) => Health> = {
  Deployment: replicated,
  StatefulSet: replicated,
  ReplicaSet: replicated,
  DaemonSet: daemonSet,
  Job: job,
  Pod: pod,
};

/** The summary of the cluster's copies of an Application's resources (any kind; non-workloads count as running). */
export function summarizeWorkloads(objects: readonly Obj[]): WorkloadSummary {
  const health: ContainerHealth = { desiredPods: 0, runningPods: 0, completedPods: 0, failedPods: 0 };
  const verdicts: Verdict[] = [];
  const notes: string[] = [];
  for (const o of objects) {
    const read = readers[String(o.kind)];
    if (!read) continue;
    const h = read(o);
    health.desiredPods += h.desired;
    health.runningPods += h.running;
    health.completedPods += h.completed;
    health.failedPods += h.failed;
    verdicts.push(h.verdict);
    if (h.note) notes.push(h.note);
  }
  const any = (v: Verdict) => verdicts.includes(v);
  let state = State.RUNNING;
  if (any("degraded")) state = State.DEGRADED;
  else if (any("restarting")) state = State.RESTARTING;
  else if (verdicts.length > 0 && verdicts.every((v) => v === "completed")) state = State.COMPLETED;
  const ready = verdicts.every((v) => v === "running" || v === "completed");
  return { state, containerHealth: health, ready, notes };
}
