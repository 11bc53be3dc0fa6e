// Everything the soak learns while it runs: the usage ledger, each written key's history, answers
// by status, broken promises seen on the way, and the recovery times after each fault.
import type { Reply } from "./client.ts";
import { UsageLedger, type KeyLedger, type OpKind } from "./ledger.ts";

export interface FaultWindow {
  name: string;
  start: number;
  /** When the dependency was back (the restart returned); undefined while it is down. */
  back?: number;
  /** Lanes that failed since `start` and have not had a 2xx since. */
  failing: Set<number>;
  /** Per lane that failed: ms from `back` to its first 2xx. */
  recoveries: number[];
  /** Lanes that failed and have had no answer but failures since (a 404 or a 401 ends this, a 2xx too). */
  unserved: Set<number>;
  /** Per lane that failed: ms from `back` to its first answer that was not a failure (a diagnostic beside `recoveries`). */
  served: number[];
  /** Recoveries slower than SLOW_RECOVERY_MS: the lane's calls from the fault's start to its first 2xx. */
  slow: string[];
  /** The gateway's origin was the dependency: 502/504 from /gw/ are expected meanwhile. */
  origin?: boolean;
}

/** A fault window stays open this long after the dependency is back; a lane not recovered by then counts this long. */
export const RECOVERY_LIMIT_MS = 30_000;
/** 502/504 from /gw/ are expected this long after the origin is back (connections being re-made). */
const ORIGIN_SLACK_MS = 3000;
const MAX_EXAMPLES = 20;
/** Failures this long after a dependency is back still belong to its fault. */
const BLAME_AFTER_BACK_MS = 5000;
/** A recovery this slow keeps the lane's calls since the fault started, to show what held it. */
export const SLOW_RECOVERY_MS = 3000;
const TRACE_LENGTH = 40;

interface Call {
  sentAt: number;
  at: number;
  answer: string;
  path: string;
}

export class Observer {
  readonly usage = new UsageLedger();
  readonly keys = new Map<string, KeyLedger>();
  readonly statuses = new Map<string, number>();
  readonly violations = new Map<string, string[]>();
  readonly windows: FaultWindow[] = [];
  /** Each lane's latest calls (bounded), for the slow recoveries' traces. */
  private readonly traces = new Map<number, Call[]>();
  /** When each tenant was last called (its runtime object is alive from its first call after a restart). */
  readonly lastCalled = new Map<string, number>();
  requests = 0;

  /** `lane` < 0: not a load lane (bursts, admin work): counted, but no recovery sample. */
  record(lane: number, tenantId: string, kind: OpKind, reply: Reply, path: string, sentAt = Date.now()): void {
    const now = Date.now();
    this.requests++;
    this.lastCalled.set(tenantId, now);
    const label = reply.status === null ? `no answer (${reply.error?.slice(0, 40)})` : String(reply.status);
    this.statuses.set(label, (this.statuses.get(label) ?? 0) + 1);
    this.usage.record(tenantId, kind, reply);
    this.checkStatus(kind, reply, path, now);
    if (lane >= 0) {
      const trace = this.traces.get(lane) ?? [];
      trace.push({ sentAt, at: now, answer: reply.status === null ? `none (${reply.error?.slice(0, 30)})` : `${reply.status}${reply.code ? ` ${reply.code}` : ""}`, path });
      if (trace.length > TRACE_LENGTH) trace.shift();
      this.traces.set(lane, trace);
      this.noteRecovery(lane, reply, now);
    }
  }

  /** Distinct tenants called at or after `since`. */
  tenantsCalledSince(since: number): number {
    let count = 0;
    for (const at of this.lastCalled.values()) if (at >= since) count++;
    return count;
  }

  violation(promise: string, example: string): void {
    const list = this.violations.get(promise) ?? [];
    list.push(example);
    if (list.length > MAX_EXAMPLES) list.splice(MAX_EXAMPLES / 2, 1);
    this.violations.set(promise, list);
  }

  keyLedger(tenantId: string, key: string): KeyLedger {
    const id = `${tenantId}/${key}`;
    let entry = this.keys.get(id);
    if (!entry) this.keys.set(id, (entry = { unknown: [] }));
    return entry;
  }

  faultStarted(name: string, origin = false): FaultWindow {
    const window: FaultWindow = { name, start: Date.now(), failing: new Set(), recoveries: [], unserved: new Set(), served: [], slow: [], origin };
    this.windows.push(window);
    return window;
  }

  /** Closes windows whose lanes never recovered: each such lane counts RECOVERY_LIMIT_MS. */
  closeWindows(): void {
    for (const window of this.windows) {
      for (const _lane of window.failing) window.recoveries.push(RECOVERY_LIMIT_MS);
      for (const _lane of window.unserved) window.served.push(RECOVERY_LIMIT_MS);
      window.failing.clear();
      window.unserved.clear();
    }
  }

  private inOriginFault(now: number): boolean {
    return this.windows.some((w) => w.origin && now >= w.start && now <= (w.back ?? Infinity) + ORIGIN_SLACK_MS);
  }

  private checkStatus(kind: OpKind, reply: Reply, path: string, now: number): void {
    const { status } = reply;
    if (status === null) return;
    if (status >= 500 && status !== 503) {
      const allowed = kind === "gateway" && (status === 502 || status === 504) && this.inOriginFault(now);
      if (!allowed) this.violation("no 5xx other than 503", `${status} ${reply.code ?? ""} ${path}`);
    }
    if (status === 503 || status === 429) {
      const seconds = Number(reply.retryAfter);
      if (!(Number.isInteger(seconds) && seconds >= 1)) this.violation("every 503 has Retry-After", `${status} ${reply.code ?? ""} ${path} Retry-After=${reply.retryAfter}`);
    }
  }

  private noteRecovery(lane: number, reply: Reply, now: number): void {
    const ok = reply.status !== null && reply.status >= 200 && reply.status < 300;
    // A failure a dependency can cause: no answer, or a 5xx. Not `tenant_not_ready`: the lanes also
    // call tenants created under load, which answer it until provisioned, fault or not.
    if (reply.code === "tenant_not_ready") return;
    const failed = reply.status === null || reply.status >= 500;
    // A failure belongs to the latest fault, while it is on or just after (the first requests after a restart).
    const blamed = this.windows.findLast((w) => now >= w.start && (w.back === undefined || now <= w.back + BLAME_AFTER_BACK_MS));
    for (const window of this.windows) {
      if (window.back !== undefined && now > window.back + RECOVERY_LIMIT_MS) {
        for (const _lane of window.failing) window.recoveries.push(RECOVERY_LIMIT_MS);
        for (const _lane of window.unserved) window.served.push(RECOVERY_LIMIT_MS);
        window.failing.clear();
        window.unserved.clear();
        continue;
      }
      if (failed && window === blamed) window.unserved.add(lane);
      else if (!failed && window.unserved.has(lane)) {
        window.unserved.delete(lane);
        if (window.back !== undefined) window.served.push(Math.max(0, now - window.back));
      }
      if (failed && window === blamed) window.failing.add(lane);
      else if (ok && window.failing.has(lane)) {
        window.failing.delete(lane);
        // A lane that recovered before the dependency was back needed no recovery from it.
        if (window.back !== undefined) {
          const recovery = Math.max(0, now - window.back);
          window.recoveries.push(recovery);
          if (recovery > SLOW_RECOVERY_MS) window.slow.push(this.describe(window, lane, recovery));
        }
      }
    }
  }

  /** "lane 3 after postgres-kill, 5.2 s: +0.1 PUT … 503 (2.0 s); …" with times relative to the dependency's return. */
  private describe(window: FaultWindow, lane: number, recovery: number): string {
    const back = window.back!;
    const calls = (this.traces.get(lane) ?? []).filter((call) => call.at >= window.start);
    const rel = (ms: number) => `${ms >= back ? "+" : ""}${((ms - back) / 1000).toFixed(1)}`;
    const steps = calls.map((call) => `${rel(call.sentAt)} ${call.path} → ${call.answer} (${((call.at - call.sentAt) / 1000).toFixed(1)} s)`);
    return `lane ${lane} after ${window.name} (down ${((back - window.start) / 1000).toFixed(1)} s), recovered in ${(recovery / 1000).toFixed(1)} s: ${steps.join("; ")}`;
  }
}
