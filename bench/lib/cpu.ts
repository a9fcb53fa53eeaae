/**
 * CPU per process from /proc: utime+stime of each named process (and its
 * threads) over a window, plus the machine's total, so every figure can say
 * which process was busy. Values are % of one core (the machine has 100% per
 * core); "other" is the machine's busy time not spent in the named processes
 * (other engineers' tests on a shared machine).
 */
import { readFileSync } from "node:fs";
import type { CpuBreakdown } from "./figures.js";

/** USER_HZ: the unit of /proc times; 100 on every Linux we run on. */
const TICKS_PER_SECOND = 100;

/** utime+stime of a process in ticks, or undefined if it is gone. */
export function processTicks(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // the command name (field 2) may hold spaces: count fields after its closing ")"
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // rest[0] is field 3 (state); utime is field 14, stime field 15
  return Number(rest[11]) + Number(rest[12]);
}

/** Busy ticks of the whole machine (all cores). */
function machineBusyTicks(): number {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0];
  const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
  return user + nice + system + irq + softirq + steal;
}

/** Resident set size of a process in KiB (VmRSS), or undefined if it is gone. */
export function rssKiB(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export interface Watched {
  name: string;
  /** Several pids under one name are summed (e.g. two load processes). */
  pids: number[];
}

interface Sample {
  at: number;
  machine: number;
  perPid: Map<number, number>;
}

/**
 * Measures CPU between start() and stop(); several windows (start() …
 * pause(), start() … stop()) add up. A process that exits before the window
 * ends is counted up to its last sample, so sample() it before it ends.
 */
export class CpuMeter {
  private first: Sample | undefined;
  private last: Sample | undefined;
  private seconds = 0;
  private machine = 0;
  private readonly ticks = new Map<number, number>();

  constructor(private readonly watched: Watched[]) {}

  private take(): Sample {
    const perPid = new Map<number, number>();
    for (const w of this.watched) {
      for (const pid of w.pids) perPid.set(pid, processTicks(pid) ?? this.last?.perPid.get(pid) ?? 0);
    }
    return { at: performance.now(), machine: machineBusyTicks(), perPid };
  }

  start(): this {
    this.first = this.take();
    this.last = this.first;
    return this;
  }

  /** Takes an intermediate sample (keeps the latest readings of processes about to exit). */
  sample(): void {
    this.last = this.take();
  }

  /** Ends the current window; start() opens the next. */
  pause(): void {
    if (!this.first) throw new Error("CpuMeter: pause() or stop() without start()");
    const end = this.take();
    this.seconds += (end.at - this.first.at) / 1000;
    this.machine += end.machine - this.first.machine;
    for (const [pid, t] of end.perPid) this.ticks.set(pid, (this.ticks.get(pid) ?? 0) + Math.max(0, t - (this.first.perPid.get(pid) ?? 0)));
    this.first = undefined;
    this.last = undefined;
  }

  stop(): CpuBreakdown {
    if (this.first) this.pause();
    const pct = (ticks: number) => (this.seconds > 0 ? Math.round((ticks / TICKS_PER_SECOND / this.seconds) * 1000) / 10 : 0);
    const out: CpuBreakdown = {};
    let ours = 0;
    for (const w of this.watched) {
      let delta = 0;
      for (const pid of w.pids) delta += this.ticks.get(pid) ?? 0;
      ours += delta;
      out[w.name] = pct(delta);
    }
    out.other = pct(Math.max(0, this.machine - ours));
    return out;
  }
}
