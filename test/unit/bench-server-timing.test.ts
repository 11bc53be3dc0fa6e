// The benchmark's reading of Server-Timing (bench/lib/server-timing.ts): which phase made a tail.
import { describe, expect, it } from "vitest";
import { parseServerTiming, tailBreakdown } from "../../bench/lib/server-timing.ts";

describe("bench Server-Timing breakdown", () => {
  it("reads each phase's duration and skips entries without one", () => {
    expect(parseServerTiming("auth;dur=0.1, limits;dur=3, admit;dur=1.2, db;dur=3.4, db-rt;desc=1, total;dur=5.6")).toEqual({
      auth: 0.1,
      limits: 3,
      admit: 1.2,
      db: 3.4,
      total: 5.6,
    });
    expect(parseServerTiming("")).toEqual({});
  });

  it("averages the phases (and how late the client sent) of the median fifth and of the slowest 1 %", () => {
    const responses = Array.from({ length: 100 }, (_, i) => ({ ms: i + 1, serverTiming: `db;dur=${i < 99 ? 2 : 50}, total;dur=${i + 1}`, sentAt: i * 10, lateMs: i < 99 ? 0.5 : 30 }));
    const { median, slowest1pct } = tailBreakdown(responses);
    expect(median.count).toBe(20);
    expect(median.phases.db).toBe(2);
    expect(median.clientMs).toBe(50.5);
    expect(median.clientLateMs).toBe(0.5);
    expect(slowest1pct).toEqual({ count: 1, clientMs: 100, clientLateMs: 30, phases: { db: 50, total: 100 } });
  });
});
