// Refusals decided at the edge (token bucket, quota, scope, status gate) make no call on their
// path; each isolate tallies them and reports the tally to the runtime object within a second
// (contract v1.1), so usage stays exact (src/edge/edge-tally.ts).
import { describe, expect, it } from "vitest";
import { admin, call, expectProblem, type ApiResponse } from "../../support/api.ts";
import { flushedUsageTotals } from "../../support/control-plane.ts";
import { activeTenant } from "../../support/tenants.ts";

/** `X-Round-Trips: db=0, upstash=0, runtime=0, runtime-overlapped=0` as numbers. */
function roundTrips(response: ApiResponse): Record<string, number> {
  const header = response.headers.get("x-round-trips") ?? "";
  return Object.fromEntries(header.split(", ").map((entry) => entry.split("=")).map(([name, count]) => [name!, Number(count)]));
}

const calls = (trips: Record<string, number>) => (trips.upstash ?? 0) + (trips.runtime ?? 0) + (trips["runtime-overlapped"] ?? 0) + (trips.db ?? 0);

describe("refusals at the edge", () => {
  it("refuses a flood over the token bucket without a call to Upstash or the runtime object", async () => {
    // One token a second: after the first request, the isolate's ephemeral cache knows the bucket is empty.
    const t = await activeTenant({ plan: "free", overrides: { requestsPerSecond: 1, burst: 1 } });
    const responses: ApiResponse[] = [];
    for (let i = 0; i < 15; i++) responses.push(await t.call("GET", "/v1/me"));
    const refused = responses.filter((r) => r.status === 429);
    expect(refused.length).toBeGreaterThanOrEqual(10);
    for (const response of refused) {
      expectProblem(response, 429, "rate_limited");
      // The runtime object is never called for an edge refusal, not even to count it.
      expect(roundTrips(response).runtime).toBe(0);
      expect(roundTrips(response)["runtime-overlapped"]).toBe(0);
    }
    // The admission that took the bucket's last token told the isolate it is empty until the next
    // refill: every refusal was decided in the isolate, none asked Upstash.
    for (const response of refused) expect(calls(roundTrips(response))).toBe(0);

    const totals = await flushedUsageTotals(t);
    expect(totals.requests).toBe(responses.length - refused.length);
    expect(totals.rejected).toBe(refused.length);
  });

  it("refuses a used-up daily quota without a call once the isolate knows it is used up", async () => {
    const t = await activeTenant({ plan: "pro", overrides: { requestsPerDay: 3 } });
    const responses: ApiResponse[] = [];
    for (let i = 0; i < 10; i++) responses.push(await t.call("GET", "/v1/me"));
    expect(responses.filter((r) => r.status === 200)).toHaveLength(3);
    const refused = responses.filter((r) => r.status !== 200);
    for (const response of refused) expectProblem(response, 429, "quota_exceeded");
    // The first refusal learnt it from Upstash; every later one cost nothing.
    expect(refused.slice(1).every((response) => calls(roundTrips(response)) === 0)).toBe(true);
    const totals = await flushedUsageTotals(t);
    expect(totals).toMatchObject({ requests: 3, rejected: 7 });
  });

  it("refuses a suspended tenant's writes without calling the runtime object", async () => {
    const t = await activeTenant({ plan: "pro" });
    expect((await t.call("PUT", "/v1/maps/m/k", { body: 1 })).status).toBe(200);
    expect((await admin("PATCH", `/v1/tenants/${t.id}`, { body: { status: "suspended" } })).status).toBe(200);
    // Within a second every edge has the new status (its cached copy expires after 0.5 s).
    await new Promise((resolve) => setTimeout(resolve, 1100));
    for (let i = 0; i < 3; i++) {
      const refused = await t.call("PUT", "/v1/maps/m/k", { body: 2 });
      expectProblem(refused, 403, "tenant_suspended");
      expect(roundTrips(refused).runtime).toBe(0);
    }
  });

  it("reports the refusals to usage within about a second without being asked to flush", async () => {
    const t = await activeTenant({ plan: "free", overrides: { requestsPerSecond: 1, burst: 1 } });
    let refused = 0;
    for (let i = 0; i < 8; i++) if ((await t.call("GET", "/v1/me")).status === 429) refused++;
    expect(refused).toBeGreaterThanOrEqual(5);
    const reportedAt = Date.now();
    // The tally goes to the runtime object within 0.75 s; its alarm writes usage to Postgres every 0.5 s here.
    let rejected = -1;
    while (Date.now() - reportedAt < 8000) {
      const usage = await admin("GET", `/v1/tenants/${t.id}/usage?granularity=day`);
      rejected = usage.body.totals.rejected;
      if (rejected === refused) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(rejected).toBe(refused);
    // 0.75 s to report, half a second to the alarm's flush, and the polling: well within 5 s on a busy machine.
    expect(Date.now() - reportedAt).toBeLessThan(5000);
  });

  it("answers a refusal decided before the app as the pipeline does: same problem, RateLimit headers, Retry-After, request id, Server-Timing", async () => {
    const t = await activeTenant({ plan: "free", overrides: { requestsPerSecond: 1, burst: 1 } });
    // A tenant token is refused in the pipeline (after its lookups); the API key, known to this
    // isolate, before the app runs (src/edge/early-refusal.ts). Both find the same empty bucket.
    const token = (await admin("POST", `/v1/tenants/${t.id}/tokens`, { body: { sub: "reader", scopes: ["read"] } })).body.token as string;
    expect((await t.call("GET", "/v1/me")).status).toBe(200);
    const byKey = await t.call("GET", "/v1/me", { headers: { "X-Request-Id": "early-1" } });
    const byToken = await call("GET", "/v1/me", { token, headers: { "X-Request-Id": "pipeline-1" } });
    const early = expectProblem(byKey, 429, "rate_limited");
    const pipeline = expectProblem(byToken, 429, "rate_limited");
    const { requestId: earlyId, retryAfterMs: earlyRetry, ...earlyRest } = early;
    const { requestId: pipelineId, retryAfterMs: pipelineRetry, ...pipelineRest } = pipeline;
    expect(earlyRest).toEqual(pipelineRest);
    expect([earlyId, pipelineId]).toEqual(["early-1", "pipeline-1"]);
    expect(earlyRetry).toBeGreaterThan(0);
    expect(earlyRetry).toBeLessThanOrEqual(1000);
    for (const name of ["content-type", "ratelimit-policy", "ratelimit", "retry-after"]) expect(byKey.headers.get(name), name).toBe(byToken.headers.get(name));
    expect(byKey.headers.get("x-request-id")).toBe("early-1");
    expect(byKey.headers.get("server-timing")).toMatch(/total;dur=/);
    expect(roundTrips(byKey)).toEqual({ db: 0, upstash: 0, runtime: 0, "runtime-overlapped": 0, "upstash-ahead": 0 });
    // Both counted as the tenant's refusals.
    expect(await flushedUsageTotals(t)).toMatchObject({ requests: 1, rejected: 2 });
  });

  it("refuses early only on the data plane: the same key over its limits still gets the admin API's own answer", async () => {
    const t = await activeTenant({ plan: "free", overrides: { requestsPerSecond: 1, burst: 1 } });
    expect((await t.call("GET", "/v1/me")).status).toBe(200);
    expectProblem(await t.call("GET", "/v1/me"), 429, "rate_limited");
    // A tenant's key is no admin token: 401, not the data plane's 429.
    expectProblem(await t.call("GET", `/v1/tenants/${t.id}`), 401, "unauthenticated");
    expectProblem(await t.call("GET", "/v1/plans"), 401, "unauthenticated");
    // A path the data plane does not own is not found, whatever the key's bucket holds.
    expectProblem(await t.call("GET", "/v1/mez"), 404, "not_found");
  });
});
