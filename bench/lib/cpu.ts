// Where the CPU goes: CPU time of every process of the stack (the tree under the stack host:
// workerd, the Worker's host (Miniflare's Node process), the host with the Upstash and Neon bridges, PostgreSQL, Redis)
// and of this process (the load generator), from /proc. Linux only; elsewhere nothing is recorded.
// Exited children (PostgreSQL backends come and go with connections) count through their parent's
// cutime/cstime once reaped, so per-connection backends are not lost.
import { readdirSync, readFileSync } from "node:fs";

export type CpuGroup = "workerd" | "workerHost" | "bridges" | "postgres" | "redis" | "loadgen" | "other";
/** Per group, plus `machine`: CPU time of every process on the machine (from /proc/stat). */
export type CpuKey = CpuGroup | "machine";
export type CpuTimes = Partial<Record<CpuKey, number>>;

const TICK_MS = 10; // USER_HZ is 100 on Linux
let rootPid: number | undefined;

export function setCpuRoot(pid: number | undefined): void {
  rootPid = pid;
}

interface Proc {
  pid: number;
  ppid: number;
  ticks: number;
  group: CpuGroup;
}

function classify(args: string, name: string): CpuGroup {
  if (/workerd/.test(args)) return "workerd";
  if (/postgres/.test(name) || /postgres/.test(args)) return "postgres";
  if (/redis-server/.test(args)) return "redis";
  if (/stack-host/.test(args)) return "bridges";
  if (/worker-host|wrangler|esbuild/.test(args)) return "workerHost";
  return "other";
}

function readProc(pid: string): Proc | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const close = stat.lastIndexOf(")");
    const fields = stat.slice(close + 2).split(" ");
    const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
    // fields[0] is state (field 3); utime..cstime are fields 14..17.
    const ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    return { pid: Number(pid), ppid: Number(fields[1]), ticks, group: classify(args, stat.slice(stat.indexOf("(") + 1, close)) };
  } catch {
    return undefined;
  }
}

/** CPU ms so far per group; undefined when /proc is not there or no stack is known. */
export function cpuSnapshot(): CpuTimes | undefined {
  if (rootPid === undefined) return undefined;
  let entries: string[];
  try {
    entries = readdirSync("/proc").filter((entry) => /^\d+$/.test(entry));
  } catch {
    return undefined;
  }
  const procs = entries.map(readProc).filter((p): p is Proc => p !== undefined);
  const inTree = new Set([rootPid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of procs) {
      if (!inTree.has(p.pid) && inTree.has(p.ppid)) {
        inTree.add(p.pid);
        grew = true;
      }
    }
  }
  const times: CpuTimes = {};
  for (const p of procs) {
    if (!inTree.has(p.pid)) continue;
    times[p.group] = (times[p.group] ?? 0) + p.ticks * TICK_MS;
  }
  const self = readProc("self");
  if (self) times.loadgen = self.ticks * TICK_MS;
  try {
    // cpu  user nice system idle iowait irq softirq steal …: busy = all but idle and iowait.
    const [user, nice, system, , , irq, softirq, steal] = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
    times.machine = ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) * TICK_MS;
  } catch {
    // no /proc/stat
  }
  return times;
}

export function cpuDelta(before: CpuTimes | undefined, after: CpuTimes | undefined): CpuTimes | undefined {
  if (!before || !after) return undefined;
  const delta: CpuTimes = {};
  for (const group of Object.keys(after) as CpuKey[]) delta[group] = Math.max(0, (after[group] ?? 0) - (before[group] ?? 0));
  return delta;
}

export function cpuSum(items: Array<CpuTimes | undefined>): CpuTimes | undefined {
  if (items.some((item) => item === undefined)) return undefined;
  const sum: CpuTimes = {};
  for (const item of items as CpuTimes[]) for (const [group, ms] of Object.entries(item) as Array<[CpuKey, number]>) sum[group] = (sum[group] ?? 0) + ms;
  return sum;
}
