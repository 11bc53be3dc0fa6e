// Where a slow response's time went, from the Server-Timing header every data-plane answer carries
// (contract v1.1: auth, limits, admit, queue, db, total). Used to show which phase makes a tail.
import type { TimedResponse } from "./paced.ts";

/** `auth;dur=0.1, db;dur=3.4, db-rt;desc=1` → { auth: 0.1, db: 3.4 } (entries without a duration are left out). */
export function parseServerTiming(header: string): Record<string, number> {
  const phases: Record<string, number> = {};
  for (const entry of header.split(",")) {
    const [name, ...params] = entry.trim().split(";");
    const dur = params.map((p) => /^\s*dur=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    if (name && dur !== undefined) phases[name] = Number(dur);
  }
  return phases;
}

export interface PhaseBreakdown {
  /** Responses in the group. */
  count: number;
  /** Mean latency the client saw, ms. */
  clientMs: number;
  /** Of which, mean delay of the load generator itself in issuing the request (its event loop), ms. */
  clientLateMs: number;
  /** Mean of each Server-Timing phase, ms (a phase a response did not report counts as 0). */
  phases: Record<string, number>;
}

function breakdown(group: TimedResponse[]): PhaseBreakdown {
  const phases: Record<string, number> = {};
  for (const response of group) {
    for (const [name, ms] of Object.entries(parseServerTiming(response.serverTiming))) phases[name] = (phases[name] ?? 0) + ms / group.length;
  }
  for (const name of Object.keys(phases)) phases[name] = Math.round(phases[name]! * 10) / 10;
  const mean = (value: (response: TimedResponse) => number) => Math.round((group.reduce((sum, response) => sum + value(response), 0) / Math.max(1, group.length)) * 10) / 10;
  return { count: group.length, clientMs: mean((response) => response.ms), clientLateMs: mean((response) => response.lateMs), phases };
}

/** The middle fifth of responses (around the median) and the slowest 1 %, each as mean phases. */
export function tailBreakdown(responses: TimedResponse[]): { median: PhaseBreakdown; slowest1pct: PhaseBreakdown } {
  const sorted = [...responses].sort((a, b) => a.ms - b.ms);
  const n = sorted.length;
  return {
    median: breakdown(sorted.slice(Math.floor(0.4 * n), Math.ceil(0.6 * n))),
    slowest1pct: breakdown(sorted.slice(Math.min(n - 1, Math.floor(0.99 * n)))),
  };
}

/** One log line: `client 61.2 ms = auth 0.7, limits 10.8, …, total 45.8`. */
export function describeBreakdown(b: PhaseBreakdown): string {
  return `client ${b.clientMs} ms (n=${b.count}; issued ${b.clientLateMs} ms late): ${Object.entries(b.phases).map(([name, ms]) => `${name} ${ms}`).join(", ")}`;
}
