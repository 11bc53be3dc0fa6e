import { describe, expect, it } from "vitest";
import { memoryGrowth, type MemorySample } from "../../scripts/soak/checks.ts";
import { ackWrite, checkKey, compareUsage, contribution, quantile, unknownWrite, UsageLedger, type KeyLedger } from "../../scripts/soak/ledger.ts";

const counts = (requests: number, readOps: number, writeOps: number) => ({ requests, readOps, writeOps });

describe("soak ledger: what an answer adds to usage", () => {
  it("counts admitted requests and the operations that ran", () => {
    expect(contribution("read", { status: 200 })).toEqual({ sure: counts(1, 1, 0), maybe: counts(0, 0, 0) });
    expect(contribution("read", { status: 404, code: "not_found" }).sure).toEqual(counts(1, 1, 0));
    expect(contribution("list", { status: 200 }).sure).toEqual(counts(1, 1, 0));
    expect(contribution("write", { status: 200 }).sure).toEqual(counts(1, 0, 1));
    // If-Match refused the write: admitted, but nothing written.
    expect(contribution("write", { status: 412, code: "version_conflict" }).sure).toEqual(counts(1, 0, 0));
    expect(contribution("gateway", { status: 200 }).sure).toEqual(counts(1, 0, 0));
    expect(contribution("gateway", { status: 502, code: "bad_gateway" }).maybe).toEqual(counts(1, 0, 0));
    expect(contribution("upgrade", { status: 101 }).sure).toEqual(counts(1, 0, 0));
    expect(contribution("malformed", { status: 400, code: "invalid_request" }).sure).toEqual(counts(1, 0, 0));
  });

  it("counts nothing for refusals", () => {
    for (const answer of [
      { status: 401, code: "unauthenticated" },
      { status: 429, code: "rate_limited" },
      { status: 429, code: "concurrency_limited" },
      { status: 403, code: "forbidden" },
      { status: 503, code: "tenant_not_ready" },
      { status: 503, code: "unavailable", detail: "The tenant's data is moving to its new isolation; writes resume in a moment." },
    ]) {
      expect(contribution("write", answer), JSON.stringify(answer)).toEqual({ sure: counts(0, 0, 0), maybe: counts(0, 0, 0) });
    }
  });

  it("widens the range where the answer cannot tell whether the request was admitted", () => {
    expect(contribution("write", { status: null })).toEqual({ sure: counts(0, 0, 0), maybe: counts(1, 0, 1) });
    expect(contribution("read", { status: 503, code: "unavailable", detail: "A dependency is unavailable; retry later." })).toEqual({ sure: counts(0, 0, 0), maybe: counts(1, 0, 0) });
  });

  it("sums per tenant and compares: exact where sure, within the range where not", () => {
    const ledger = new UsageLedger();
    ledger.record("ten_a", "read", { status: 200 });
    ledger.record("ten_a", "write", { status: 200 });
    ledger.record("ten_a", "write", { status: null });
    const entry = ledger.tenants.get("ten_a")!;
    expect(entry).toEqual({ sure: counts(2, 1, 1), maybe: counts(1, 0, 1) });
    expect(compareUsage("ten_a", entry, counts(2, 1, 1))).toEqual([]);
    expect(compareUsage("ten_a", entry, counts(3, 1, 2))).toEqual([]);
    expect(compareUsage("ten_a", entry, counts(1, 1, 1))).toEqual([{ tenantId: "ten_a", field: "requests", reported: 1, expectedMin: 2, expectedMax: 3 }]);
    expect(compareUsage("ten_a", entry, counts(2, 2, 1)).map((m) => m.field)).toEqual(["readOps"]);
    expect(compareUsage("ten_a", entry, counts(4, 1, 3)).map((m) => m.field)).toEqual(["requests", "writeOps"]);
  });
});

describe("soak ledger: acknowledged writes", () => {
  const key = (): KeyLedger => ({ unknown: [] });

  it("accepts the acknowledged version and value", () => {
    const k = key();
    ackWrite(k, 3, '{"s":1}');
    expect(checkKey(k, { version: 3, value: '{"s":1}' })).toBeUndefined();
  });

  it("finds a lost, reverted or altered write", () => {
    const k = key();
    ackWrite(k, 3, '{"s":1}');
    expect(checkKey(k, null)).toMatch(/lost/);
    expect(checkKey(k, { version: 2, value: '{"s":0}' })).toMatch(/reverted/);
    expect(checkKey(k, { version: 3, value: '{"s":9}' })).toMatch(/another value/);
    expect(checkKey(k, { version: 4, value: '{"s":2}' })).toMatch(/more than the 0 unconfirmed/);
  });

  it("allows what an unconfirmed write after the acknowledged one may have done, and nothing else", () => {
    const k = key();
    ackWrite(k, 3, '{"s":1}');
    unknownWrite(k, '{"s":2}');
    expect(checkKey(k, { version: 3, value: '{"s":1}' })).toBeUndefined();
    expect(checkKey(k, { version: 4, value: '{"s":2}' })).toBeUndefined();
    expect(checkKey(k, { version: 4, value: '{"s":7}' })).toMatch(/no unconfirmed write sent/);
    expect(checkKey(k, { version: 5, value: '{"s":2}' })).toMatch(/more than the 1 unconfirmed/);
    // A later acknowledgement settles the unconfirmed ones.
    ackWrite(k, 5, '{"s":3}');
    expect(k.unknown).toEqual([]);
  });

  it("lets a key with only unconfirmed writes be absent or hold one of them", () => {
    const k = key();
    unknownWrite(k, '{"s":1}');
    expect(checkKey(k, null)).toBeUndefined();
    expect(checkKey(k, { version: 1, value: '{"s":1}' })).toBeUndefined();
    expect(checkKey(k, { version: 1, value: '{"s":5}' })).toBeDefined();
  });
});

describe("soak checks: quantiles and memory growth", () => {
  it("takes the nearest-rank quantile", () => {
    expect(quantile([5, 1, 3, 2, 4], 0.5)).toBe(3);
    expect(quantile(Array.from({ length: 100 }, (_, i) => i + 1), 0.99)).toBe(99);
    expect(quantile([7], 0.99)).toBe(7);
    expect(quantile([], 0.5)).toBeNaN();
  });

  it("compares the medians of the first and last minute after the last restart, of the measure picked", () => {
    const at = (s: number) => 1_000_000 + s * 1000;
    const sample = (s: number, afterGc: number) => ({ at: at(s), treeRss: 2 * afterGc, workerdRss: 0, workerdRssAfterGc: afterGc, liveHeap: 0 });
    const afterGc = (s: MemorySample) => s.workerdRssAfterGc;
    // 5 minutes, sampled every 5 s: 100 MiB for the first minute, 108 MiB for the last one.
    const samples = Array.from({ length: 61 }, (_, i) => sample(i * 5, i * 5 <= 60 ? 100 : i * 5 >= 240 ? 108 : 104));
    const growth = memoryGrowth([sample(-10, 500), ...samples], at(0), afterGc);
    expect(growth.sliceS).toBe(60);
    expect(growth.growth).toBeCloseTo(0.08, 5);
    expect(memoryGrowth(samples, at(0), (s) => s.treeRss).first).toBe(200);
    // A measure that was not taken (0) is left out rather than read as no memory.
    expect(memoryGrowth(samples, at(0), (s) => s.liveHeap).growth).toBeNaN();
    // A short run: thirds instead of minutes.
    expect(memoryGrowth(samples.slice(0, 19), at(0), afterGc).sliceS).toBe(30);
    expect(memoryGrowth([], 0, afterGc).growth).toBeNaN();
    // Up to a moment (a Worker restart): samples from then on are left out.
    const untilRestart = memoryGrowth(samples, at(0), afterGc, at(95));
    expect(untilRestart.sliceS).toBe(30);
    expect(untilRestart.growth).toBeCloseTo(0.04, 5);
  });
});
