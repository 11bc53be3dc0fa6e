// Fair admission in a busy shared runtime shard (durable-objects/tenant-runtime/shard-admission.ts):
// once the shard's seats are taken, requests wait in weighted fair turn, so a neighbour's burst
// queues behind itself and a quiet tenant is neither starved nor refused.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admin, control, expectProblem, testHooks, type ApiResponse } from "../../support/api.ts";
import { flushedUsageTotals } from "../../support/control-plane.ts";
import { activeTenant } from "../../support/tenants.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The time a response waited for a seat (`queue` in Server-Timing; absent: none). */
function queueWaitMs(response: ApiResponse): number {
  const match = /(?:^|,\s*)queue;dur=([\d.]+)/.exec(response.headers.get("server-timing") ?? "");
  return match ? Number(match[1]) : 0;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

describe("fair admission in a busy shared shard", () => {
  // Every shared tenant on one shard of four seats, so a test can fill it.
  beforeAll(() => control("worker/restart", { SHARD_SEATS: "4", RUNTIME_SHARDS: "1" }), 120_000);
  afterAll(() => control("worker/restart", { SHARD_SEATS: null, RUNTIME_SHARDS: null }), 120_000);

  it("admits a quiet tenant in its turn while a neighbour's burst fills the shard, refuses none of it, and counts usage exactly", async () => {
    const flood = await activeTenant({ plan: "pro", overrides: { maxConcurrentRequests: 100, requestsPerSecond: 1000, burst: 2000 } });
    const quiet = await activeTenant({ plan: "free" });
    // Twelve loops, each request holding its seat 300 ms: three times the shard's four seats.
    const floodResponses: ApiResponse[] = [];
    const floodEnds = Date.now() + 4000;
    const flooding = Promise.all(
      Array.from({ length: 12 }, async () => {
        while (Date.now() < floodEnds) floodResponses.push(await flood.call("GET", "/v1/me", { headers: testHooks({ "X-Test-Hold-Ms": "300" }) }));
      }),
    );
    await sleep(800);
    const quietResponses: ApiResponse[] = [];
    for (let i = 0; i < 10; i++) {
      quietResponses.push(await quiet.call("GET", "/v1/me"));
      await sleep(150);
    }
    await flooding;

    expect(quietResponses.map((r) => r.status)).toEqual(Array(10).fill(200));
    const floodWaits = floodResponses.filter((r) => r.status === 200).map(queueWaitMs);
    const quietWaits = quietResponses.map(queueWaitMs);
    // The shard was busy: the flood's own requests queued behind each other...
    expect(median(floodWaits)).toBeGreaterThanOrEqual(150);
    // ...while each quiet request waited for about one seat to come back, not for the flood's queue
    // (in arrival order it would wait as long as the flood's requests do).
    expect(median(quietWaits)).toBeLessThan(median(floodWaits) / 3);
    expect(Math.max(...quietWaits)).toBeLessThan(median(floodWaits));
    for (const response of floodResponses.filter((r) => r.status !== 200)) {
      if (response.status === 503) expectProblem(response, 503, "unavailable");
      else expectProblem(response, 429, "concurrency_limited");
      expect(Number(response.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    }

    // Usage stays exact: admitted requests, and the tenant-limit refusals as `rejected` (a full shard is not the tenant's limit).
    const floodTotals = await flushedUsageTotals(flood);
    expect(floodTotals.requests).toBe(floodResponses.filter((r) => r.status === 200).length);
    expect(floodTotals.rejected).toBe(floodResponses.filter((r) => r.status === 429).length);
    expect((await flushedUsageTotals(quiet)).requests).toBe(10);

    // Queue waits per plan are in /metrics (bounded labels: one histogram per plan).
    const metrics = await admin("GET", "/metrics");
    expect(metrics.status).toBe(200);
    const count = (plan: string) => Number(new RegExp(`^tenantry_admission_wait_seconds_count\\{plan="${plan}"\\} (\\d+)`, "m").exec(metrics.text)?.[1] ?? -1);
    const sum = (plan: string) => Number(new RegExp(`^tenantry_admission_wait_seconds_sum\\{plan="${plan}"\\} ([\\d.e+-]+)`, "m").exec(metrics.text)?.[1] ?? -1);
    expect(count("pro")).toBeGreaterThanOrEqual(floodWaits.length);
    expect(sum("pro")).toBeGreaterThan(0.1);
    expect(count("free")).toBeGreaterThanOrEqual(10);
    expect(metrics.text).not.toContain(flood.id);
  });

  it("never lets the shard's tenants hold more than its seats at once", async () => {
    const tenants = await Promise.all([1, 2].map(() => activeTenant({ plan: "pro", overrides: { maxConcurrentRequests: 100, requestsPerSecond: 1000, burst: 2000 } })));
    // Eight requests holding 600 ms each, on four seats: four run at once, the other four wait for their seats.
    const started = Date.now();
    const responses = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        tenants[i % 2]!.call("GET", "/v1/me", { headers: testHooks({ "X-Test-Hold-Ms": "600" }) }).then((response) => ({ response, at: Date.now() - started })),
      ),
    );
    expect(responses.every(({ response }) => response.status === 200)).toBe(true);
    const finished = responses.map(({ at }) => at).sort((a, b) => a - b);
    // Four seats: the fifth request to finish got its seat only when one of the first four was done.
    expect(finished[4]!).toBeGreaterThanOrEqual(1150);
    expect(responses.filter(({ response }) => /queue;dur=/.test(response.headers.get("server-timing") ?? ""))).toHaveLength(4);
  });
});
