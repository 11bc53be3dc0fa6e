import { describe, expect, it } from "vitest";
import { admin, control, eventually, expectProblem } from "../../support/api.ts";
import { flushedUsageTotals } from "../../support/control-plane.ts";
import { activeTenant, type ActiveTenant } from "../../support/tenants.ts";

describe("usage metering and POST /v1/tenants/{id}/usage/flush", () => {
  it("counts admitted requests, refusals, operations and bytes exactly", async () => {
    const t = await activeTenant({ plan: "pro", overrides: { requestsPerDay: 12 } });
    for (let i = 0; i < 4; i++) expect((await t.call("PUT", `/v1/maps/m/k${i}`, { body: { i } })).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await t.call("GET", `/v1/maps/m/k${i}`)).status).toBe(200);
    expect((await t.call("GET", "/v1/maps/m")).status).toBe(200);
    expect((await t.call("DELETE", "/v1/maps/m/k0")).status).toBe(204);
    const rest = await Promise.all(Array.from({ length: 10 }, () => t.call("GET", "/v1/me")));
    expect(rest.filter((r) => r.status === 200)).toHaveLength(3);

    const totals = await flushedUsageTotals(t);
    expect(totals.requests).toBe(12);
    expect(totals.rejected).toBe(7);
    expect(totals.readOps).toBe(4);
    expect(totals.writeOps).toBe(5);
    expect(totals.bytesIn).toBe(4 * JSON.stringify({ i: 0 }).length);
    expect(totals.bytesOut).toBeGreaterThan(0);
  });

  it("counts the bytes of every answer exactly, multi-byte characters and problem documents included", async () => {
    const t = await activeTenant({ plan: "pro" });
    const answers = [
      await t.call("PUT", "/v1/maps/m/ü", { body: { note: "größe ✓ 日本語", n: 1 } }),
      await t.call("GET", "/v1/maps/m/ü"),
      await t.call("GET", "/v1/maps/m"),
      await t.call("GET", "/v1/maps/m/missing"),
      await t.call("GET", "/v1/me"),
    ];
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 404, 200]);
    expect(answers[1]!.body.value).toEqual({ note: "größe ✓ 日本語", n: 1 });
    const totals = await flushedUsageTotals(t);
    expect(totals.bytesOut).toBe(answers.reduce((sum, r) => sum + Buffer.byteLength(r.text), 0));
  });

  it("answers flushes run concurrently and repeatedly with the same exact totals", async () => {
    const t = await activeTenant();
    for (let i = 0; i < 7; i++) await t.call("GET", "/v1/me");
    const flushes = await Promise.all(Array.from({ length: 5 }, () => admin("POST", `/v1/tenants/${t.id}/usage/flush`)));
    expect(flushes.every((r) => r.status === 200 && r.body.flushed === true)).toBe(true);
    expect((await flushedUsageTotals(t)).requests).toBe(7);
    expect((await flushedUsageTotals(t)).requests).toBe(7);
    await t.call("GET", "/v1/me");
    expect((await flushedUsageTotals(t)).requests).toBe(8);
  });

  it("loses nothing while Postgres is down and counts nothing twice after it returns", async () => {
    const t = await activeTenant();
    for (let i = 0; i < 3; i++) await t.call("GET", "/v1/me");
    expect((await flushedUsageTotals(t)).requests).toBe(3);
    for (let i = 0; i < 4; i++) await t.call("GET", "/v1/me");
    await control("postgres/stop");
    try {
      const refused = await admin("POST", `/v1/tenants/${t.id}/usage/flush`);
      expectProblem(refused, 503, "unavailable");
    } finally {
      await control("postgres/start");
    }
    await eventually(async () => (await admin("POST", `/v1/tenants/${t.id}/usage/flush`)).status === 200, 15_000, 250);
    expect((await flushedUsageTotals(t)).requests).toBe(7);
  });

  it("flushes by alarm again soon after an outage, without being asked", async () => {
    const t = await activeTenant();
    await t.call("GET", "/v1/me"); // the tenant's context is now cached: /v1/me needs no Postgres
    await control("postgres/stop");
    try {
      for (let i = 0; i < 3; i++) expect((await t.call("GET", "/v1/me")).status).toBe(200);
      // Several alarm flushes fail meanwhile (500 ms interval in the test stack), growing the backoff.
      await new Promise((resolve) => setTimeout(resolve, 4000));
    } finally {
      await control("postgres/start");
    }
    const day = async () => (await admin("GET", `/v1/tenants/${t.id}/usage?granularity=day`)).body.totals?.requests;
    // The backoff is capped at 8 × the interval: the alarm gets through within seconds.
    await eventually(async () => (await day()) === 4, 10_000, 250);
  });

  it("flushes by alarm without being asked", async () => {
    const t = await activeTenant();
    for (let i = 0; i < 2; i++) await t.call("GET", "/v1/me");
    // USAGE_FLUSH_INTERVAL_MS is 500 ms in the test stack.
    await eventually(async () => (await admin("GET", `/v1/tenants/${t.id}/usage?granularity=day`)).body.totals.requests === 2, 10_000, 200);
  });

  it("flushes a dedicated tenant's usage on the same interval, although its object's next alarm is the warm pin's", async () => {
    const t = await activeTenant({ plan: "enterprise" });
    expect(t.tenant.isolation).toBe("dedicated");
    // The object was just pinned: its alarm is 30 s away. Usage must not wait for it.
    for (let i = 0; i < 2; i++) await t.call("GET", "/v1/me");
    await eventually(async () => (await admin("GET", `/v1/tenants/${t.id}/usage?granularity=day`)).body.totals.requests === 2, 5000, 200);
  });
});

describe("GET /v1/tenants/{id}/usage", () => {
  it("returns zero-filled UTC buckets over the range", async () => {
    const t = await activeTenant();
    await t.call("GET", "/v1/me");
    await admin("POST", `/v1/tenants/${t.id}/usage/flush`);
    const to = new Date(Math.ceil(Date.now() / 60_000) * 60_000);
    const from = new Date(to.getTime() - 10 * 60_000);
    const response = await admin("GET", `/v1/tenants/${t.id}/usage?granularity=minute&from=${from.toISOString()}&to=${to.toISOString()}`);
    expect(response.status).toBe(200);
    expect(response.body.tenantId).toBe(t.id);
    expect(response.body.granularity).toBe("minute");
    expect(response.body.series).toHaveLength(10);
    expect(response.body.series[0].start).toBe(from.toISOString());
    expect(response.body.series.reduce((sum: number, p: { requests: number }) => sum + p.requests, 0)).toBe(1);
    expect(response.body.totals.requests).toBe(1);
    const hourly = await admin("GET", `/v1/tenants/${t.id}/usage?granularity=hour`);
    expect(hourly.body.series.length).toBeGreaterThanOrEqual(24);
    expect(hourly.body.totals.requests).toBe(1);
  });

  it("takes a `from` inside a bucket back to the bucket's start, so its counts are whole", async () => {
    const t = await activeTenant();
    // Request, flush and query within one minute: not in a minute's last 10 seconds.
    if (Date.now() % 60_000 > 50_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - (Date.now() % 60_000) + 100));
    const minuteStart = new Date(Math.floor(Date.now() / 60_000) * 60_000);
    await t.call("GET", "/v1/me");
    await admin("POST", `/v1/tenants/${t.id}/usage/flush`);
    // A `from` after the request, in the same minute: the request's minute is in the series, with its count.
    const from = new Date(Date.now() + 1);
    expect(from.getTime() - minuteStart.getTime()).toBeLessThan(60_000);
    const response = await admin("GET", `/v1/tenants/${t.id}/usage?granularity=minute&from=${from.toISOString()}&to=${new Date(minuteStart.getTime() + 60_000).toISOString()}`);
    expect(response.body.series).toHaveLength(1);
    expect(response.body.series[0]).toMatchObject({ start: minuteStart.toISOString(), requests: 1 });
    expect(response.body.totals).toMatchObject({ start: minuteStart.toISOString(), requests: 1 });
  }, 90_000);

  it.each([
    ["granularity=week", "query.granularity"],
    ["from=yesterday", "query.from"],
    ["from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "query.from"],
    ["granularity=minute&from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", "query.granularity"],
  ])("refuses %s with 400", async (query, path) => {
    const t = await activeTenant();
    const response = await admin("GET", `/v1/tenants/${t.id}/usage?${query}`);
    const problem = expectProblem(response, 400, "invalid_request");
    expect((problem.errors as Array<{ path: string }>).map((e) => e.path)).toContain(path);
  });

  it("is 404 for an unknown tenant and 401 without the admin token", async () => {
    expectProblem(await admin("GET", "/v1/tenants/ten_00000000000000000000000000/usage"), 404, "not_found");
    expectProblem(await admin("POST", "/v1/tenants/ten_00000000000000000000000000/usage/flush"), 404, "not_found");
  });
});
