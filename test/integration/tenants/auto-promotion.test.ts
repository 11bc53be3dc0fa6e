import { describe, expect, it } from "vitest";
import { admin, baseUrl, eventually, expectProblem } from "../../support/api.ts";
import { activeTenant, type ActiveTenant } from "../../support/tenants.ts";

const MINUTE_MS = 60_000;
const GiB = 1024 ** 3;

/** Runs the cron handler as if it fired at `time` (Miniflare's trigger route takes the scheduled time). */
async function runCronAt(time: number): Promise<void> {
  const response = await fetch(`${baseUrl()}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent("*/5 * * * *")}&time=${time}`);
  const text = await response.text();
  if (response.status !== 200) throw new Error(`scheduled handler: ${response.status} ${text}`);
}

async function auditActions(tenantId: string, action: string): Promise<any[]> {
  const response = await admin("GET", `/v1/tenants/${tenantId}/audit?action=${action}&limit=100`);
  expect(response.status).toBe(200);
  return response.body.data;
}

async function waitForMigration(tenantId: string, to: "shared" | "dedicated"): Promise<any> {
  return await eventually(async () => {
    const tenant = (await admin("GET", `/v1/tenants/${tenantId}`)).body;
    return tenant.isolation === to && tenant.migration?.state === "succeeded" ? tenant : undefined;
  }, 60_000, 100);
}

/** Sends `count` admitted requests within one wall-clock minute and returns that minute's start. */
async function requestsInOneMinute(t: ActiveTenant, count: number): Promise<number> {
  if (Date.now() % MINUTE_MS > 45_000) await new Promise((resolve) => setTimeout(resolve, MINUTE_MS - (Date.now() % MINUTE_MS) + 200));
  const minute = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS;
  for (let i = 0; i < count; i += 1) expect((await t.call("GET", "/v1/me")).status).toBe(200);
  expect(Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS).toBe(minute);
  expect((await admin("POST", `/v1/tenants/${t.id}/usage/flush`)).status).toBe(200);
  return minute;
}

describe("automatic promotion", () => {
  it("GET /v1/plans shows each plan's autoPromote thresholds", async () => {
    const response = await admin("GET", "/v1/plans");
    expect(response.status).toBe(200);
    const byId = Object.fromEntries(response.body.data.map((plan: any) => [plan.id, plan.autoPromote]));
    expect(byId).toEqual({
      free: null,
      pro: null,
      enterprise: { storageBytes: 5 * GiB, sustainedRequestsPerSecond: 500, forMinutes: 10 },
    });
  });

  it("keeps overrides.autoPromote with the tenant, merges it on PATCH, and refuses bad thresholds", async () => {
    const t = await activeTenant({ plan: "pro", overrides: { autoPromote: { storageBytes: 1000 } } });
    expect(t.tenant.overrides).toEqual({ autoPromote: { storageBytes: 1000 } });

    const merged = await admin("PATCH", `/v1/tenants/${t.id}`, { body: { overrides: { autoPromote: { sustainedRequestsPerSecond: 2.5, forMinutes: 3 } } } });
    expect(merged.status).toBe(200);
    expect(merged.body.overrides).toEqual({ autoPromote: { storageBytes: 1000, sustainedRequestsPerSecond: 2.5, forMinutes: 3 } });

    const removed = await admin("PATCH", `/v1/tenants/${t.id}`, { body: { overrides: { autoPromote: { storageBytes: null, sustainedRequestsPerSecond: null, forMinutes: null } } } });
    expect(removed.status).toBe(200);
    expect(removed.body.overrides).toEqual({});

    for (const bad of [{ storageBytes: 0 }, { sustainedRequestsPerSecond: -1 }, { forMinutes: 1.5 }, { other: 1 }, "yes"]) {
      const response = await admin("PATCH", `/v1/tenants/${t.id}`, { body: { overrides: { autoPromote: bad } } });
      expectProblem(response, 400, "invalid_request");
      expect(response.body.errors.length).toBeGreaterThan(0);
    }
  });

  it("promotes a shared tenant whose plan has `dedicated` once its storage passes the threshold, online, audited as auto", async () => {
    const t = await activeTenant({ plan: "enterprise" });
    expect(t.tenant.isolation).toBe("dedicated");
    expect((await admin("POST", `/v1/tenants/${t.id}/isolation`, { body: { level: "shared" } })).status).toBe(202);
    await waitForMigration(t.id, "shared");
    expect((await admin("PATCH", `/v1/tenants/${t.id}`, { body: { overrides: { autoPromote: { storageBytes: 4000 } } } })).status).toBe(200);

    // Below the threshold: the job leaves it alone.
    expect((await t.call("PUT", "/v1/maps/docs/small", { body: { text: "x".repeat(100) } })).status).toBe(200);
    await runCronAt(Date.now());
    const untouched = (await admin("GET", `/v1/tenants/${t.id}`)).body;
    expect(untouched.isolation).toBe("shared");
    expect(untouched.migration).toMatchObject({ to: "shared", state: "succeeded" });

    // Past it: promoted by the next run, with every record still there.
    expect((await t.call("PUT", "/v1/maps/docs/large", { body: { text: "y".repeat(5000) } })).status).toBe(200);
    await runCronAt(Date.now());
    const promoted = await waitForMigration(t.id, "dedicated");
    expect(promoted.migration).toMatchObject({ from: "shared", to: "dedicated", reason: "auto" });
    const read = await t.call("GET", "/v1/maps/docs/large");
    expect(read.status).toBe(200);
    expect(read.body.value.text).toHaveLength(5000);

    const changed = await eventually(async () => {
      const events = await auditActions(t.id, "tenant.isolation_changed");
      return events.find((event) => event.details.to === "dedicated");
    });
    expect(changed).toMatchObject({ actor: "system", details: { from: "shared", to: "dedicated", reason: "auto" } });
    const requested = await auditActions(t.id, "tenant.isolation_requested");
    expect(requested[0]).toMatchObject({ actor: "system", details: { to: "dedicated", reason: "auto" } });
  });

  it("recommends promotion, at most once a day, to a tenant without `dedicated` that held its rate threshold", async () => {
    const t = await activeTenant({ plan: "pro", overrides: { autoPromote: { sustainedRequestsPerSecond: 0.1, forMinutes: 1 } } });
    const minute = await requestsInOneMinute(t, 12);

    // The minute is still open: nothing is judged on it yet.
    await runCronAt(minute + 30_000);
    expect(await auditActions(t.id, "tenant.promotion_recommended")).toHaveLength(0);

    await runCronAt(minute + MINUTE_MS + 1000);
    const [recommendation, ...more] = await auditActions(t.id, "tenant.promotion_recommended");
    expect(more).toHaveLength(0);
    expect(recommendation).toMatchObject({ actor: "system", details: { to: "dedicated", sustainedRequestsPerSecond: { threshold: 0.1, forMinutes: 1 } } });
    expect(recommendation.details.sustainedRequestsPerSecond.observed).toBeGreaterThanOrEqual(12 / 60);

    // Still past the threshold an hour later: no second recommendation the same day, and no move.
    await runCronAt(minute + MINUTE_MS + 1000);
    await Promise.all([runCronAt(minute + MINUTE_MS + 2000), runCronAt(minute + MINUTE_MS + 3000)]);
    expect(await auditActions(t.id, "tenant.promotion_recommended")).toHaveLength(1);
    const tenant = (await admin("GET", `/v1/tenants/${t.id}`)).body;
    expect(tenant.isolation).toBe("shared");
    expect(tenant.migration).toBeNull();
  });

  it("does not recommend when the rate did not hold for the whole window", async () => {
    const t = await activeTenant({ plan: "pro", overrides: { autoPromote: { sustainedRequestsPerSecond: 0.1, forMinutes: 2 } } });
    const minute = await requestsInOneMinute(t, 12);
    await runCronAt(minute + MINUTE_MS + 1000);
    expect(await auditActions(t.id, "tenant.promotion_recommended")).toHaveLength(0);
  });
});
