// The capacity model (scripts/capacity/) checked against arithmetic done by hand on a known
// workload, and its refusal to run on counts that are missing.
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseArgs, parseMix, UsageError } from "../../scripts/capacity/cli.ts";
import { checkCounts, COUNT_FIELDS, KIND_IDS, MissingCountError, type Counts, type CountsReport } from "../../scripts/capacity/counts.ts";
import { ceilings, costPerMillion, mixCounts, monthlyCost, total } from "../../scripts/capacity/model.ts";
import { limitValues, priceValues } from "../../scripts/capacity/prices.ts";
import { countsFromFile } from "../../scripts/capacity/results.ts";

const ones = (): Counts => Object.fromEntries(COUNT_FIELDS.map((field) => [field, 1])) as unknown as Counts;

const READ: Counts = {
  workerInvocations: 1, doCalls: 2, doAlarms: 0, doWebSocketMessages: 0, doWallMs: 10, doRowsRead: 4, doRowsWritten: 6,
  upstashCommands: 0.5, upstashRequests: 0.5, pgRoundTrips: 1, pgStatements: 4, pgTransactions: 1, pgHeldRoundTrips: 0,
  pgConnections: 1, queueMessagesSent: 0, queueMessagesReceived: 0, workerCpuMs: 5,
};
const WRITE: Counts = {
  ...READ, doCalls: 3, doWallMs: 20, upstashCommands: 1, upstashRequests: 1, pgRoundTrips: 10, pgStatements: 8, pgHeldRoundTrips: 7, workerCpuMs: 10,
};

function report(): CountsReport {
  const kinds = Object.fromEntries(KIND_IDS.map((kind) => [kind, { kind, samples: 10, counts: ones() }])) as unknown as CountsReport["kinds"];
  kinds.read.counts = { ...READ };
  kinds.write.counts = { ...WRITE };
  return { version: 1, measuredAt: "2026-12-04T00:00:00.000Z", kinds };
}

const prices = priceValues();
const limits = limitValues();

describe("capacity model arithmetic (hand-computed)", () => {
  it("prices a million reads line by line", () => {
    const read = costPerMillion(report(), prices, limits).read;
    expect(read.workerRequests).toBeCloseTo(0.3, 9); // 1 invocation × $0.30/M
    expect(read.workerCpu).toBeCloseTo(0.1, 9); // 5 ms × 1 M = 5 M ms × $0.02/M
    expect(read.doRequests).toBeCloseTo(0.3, 9); // 2 calls × $0.15/M
    expect(read.doDuration).toBeCloseTo(0.016, 9); // 10 000 s × 0.128 GB × $12.50/M GB-s
    expect(read.doStorage).toBeCloseTo(6.004, 9); // 6 rows written × $1/M + 4 read × $0.001/M
    expect(read.upstash).toBeCloseTo(1.0, 9); // 0.5 commands × $2/M
    expect(read.queues).toBe(0);
    expect(read.postgres).toBeCloseTo((4e6 / 2500 / 3600) * 0.26, 9); // 0.444 CU-h × $0.26
    expect(total(read)).toBeCloseTo(7.835556, 5);
  });

  it("finds each ceiling of a half-read, half-write mix, and which gives way first", () => {
    const list = ceilings(report(), { rps: 10_000, tenants: 1000, mix: { read: 0.5, write: 0.5 }, shards: 16 }, limits);
    const by = Object.fromEntries(list.map((c) => [c.id, c]));
    expect(by.shard!.rps).toBeCloseTo(16_000 / 2.5, 6); // 16 shards × 1000 DO req/s ÷ 2.5 calls
    expect(by.shard!.utilization).toBeCloseTo(10_000 / 6400, 9);
    expect(by.shard!.tenants).toBe(640); // 6400 req/s ÷ 10 req/s per tenant
    expect(by.upstash!.rps).toBeCloseTo(10_000 / 0.75, 6);
    expect(by["neon-compute"]!.rps).toBeCloseTo((16 * 2500) / 6, 6);
    expect(by["pooler-server"]!.rps).toBeCloseTo(3600 / (3.5 * 0.025 + 0.001), 6); // 0.9 × 4000 held 88.5 ms
    expect(by["pooler-clients"]!.rps).toBeCloseTo(10_000 / (5.5 * 0.025), 6);
    expect(list.map((c) => c.id)).toEqual(["shard", "neon-compute", "upstash", "pooler-server", "pooler-clients"]);
  });

  it("prices a month with the allowances off and Neon sized to the load", () => {
    const cost = monthlyCost(report(), { rps: 10_000, tenants: 1000, mix: { read: 0.5, write: 0.5 }, shards: 16 }, prices, limits);
    const units = 10_000 * 30 * 24 * 3600;
    expect(cost.lines.workerRequests).toBeCloseTo(((units - 10e6) * 0.3) / 1e6, 4);
    expect(cost.neonCu).toBe(24); // 60 000 statements/s ÷ 2500 per CU
    expect(cost.lines.postgres).toBeCloseTo(24 * 730 * 0.26, 6);
    // 15 ms of calls per request is more than 16 shards busy all month: the shards' month is billed.
    expect(cost.lines.doDuration).toBeCloseTo(((16 * 2_592_000 * 0.128 - 400_000) * 12.5) / 1e6, 6);
    expect(cost.total).toBeCloseTo(Object.values(cost.lines).reduce((a, b) => a + b, 0) + 5, 6);
  });

  it("weights counts by the mix", () => {
    expect(mixCounts(report(), { read: 0.25, write: 0.75 }).pgStatements).toBeCloseTo(0.25 * 4 + 0.75 * 8, 9);
  });
});

describe("capacity model refuses what it cannot price", () => {
  it("refuses a report with a count missing, naming it", () => {
    const broken = report() as unknown as { kinds: Record<string, { counts: Record<string, unknown> }> };
    delete broken.kinds.write!.counts.pgStatements;
    expect(() => checkCounts(broken)).toThrow(MissingCountError);
    expect(() => checkCounts(broken)).toThrow(/write\.pgStatements: missing/);
  });

  it("refuses a kind that was not measured, and a zero where the kind cannot be without it", () => {
    const broken = report() as unknown as { kinds: Record<string, unknown> };
    delete broken.kinds.warm_hour;
    expect(() => checkCounts(broken)).toThrow(/warm_hour: not measured/);
    const zero = report();
    zero.kinds.read.counts.doCalls = 0;
    expect(() => checkCounts(zero)).toThrow(/read\.doCalls: 0/);
    expect(() => checkCounts(report())).not.toThrow();
  });

  it("refuses a results file whose counts scenario lacks a count", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "capacity-"));
    const details = report() as unknown as { kinds: Record<string, { counts: Record<string, unknown> }> };
    details.kinds.read!.counts.upstashCommands = null; // what JSON makes of a NaN
    const file = path.join(dir, "2026-12-04T00-00-00-000Z-quick.json");
    writeFileSync(file, JSON.stringify({ scenarios: [{ id: "counts", status: "ok", details }] }));
    expect(() => countsFromFile(file)).toThrow(/read\.upstashCommands: missing/);
  });

  it("rejects a mix that does not sum to 1, an unknown kind, and bad numbers", () => {
    expect(() => parseMix("read=0.8,write=0.1")).toThrow(/sum to 1, not 0\.9/);
    expect(() => parseMix("read=0.5,teleport=0.5")).toThrow(/unknown kind in the mix: teleport/);
    expect(() => parseMix("read=half")).toThrow(UsageError);
    expect(() => parseArgs(["--rps", "-5", "--tenants", "1", "--mix", "read=1"])).toThrow(/--rps needs a number > 0/);
    expect(() => parseArgs(["--tenants", "1", "--mix", "read=1"])).toThrow(/--rps is required/);
    expect(parseArgs(["--rps", "50000", "--tenants", "10000", "--mix", "read=0.8,write=0.15,realtime=0.05"]).mix).toEqual({ read: 0.8, write: 0.15, realtime: 0.05 });
  });

  it("npm run capacity exits non-zero with the reason on a bad mix and on missing counts", async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        execFile(path.resolve("node_modules/.bin/tsx"), ["scripts/capacity/main.ts", ...args], { timeout: 60_000 }, (error, _stdout, stderr) =>
          resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stderr }),
        );
      });
    const badMix = await run(["--rps", "100", "--tenants", "10", "--mix", "read=0.7,write=0.2"]);
    expect(badMix.code).toBe(2);
    expect(badMix.stderr).toMatch(/--mix: the mix must sum to 1/);
    const dir = mkdtempSync(path.join(os.tmpdir(), "capacity-"));
    const file = path.join(dir, "2026-12-04T00-00-00-000Z-quick.json");
    writeFileSync(file, JSON.stringify({ scenarios: [{ id: "counts", status: "ok", details: { version: 1, kinds: {} } }] }));
    const missing = await run(["--rps", "100", "--tenants", "10", "--mix", "read=1", "--results", file]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/read: not measured/);
  }, 90_000);
});
