// Stripe meter export against a local stand-in for Stripe (test/support/fake-stripe.ts). Tenants'
// `billing` is set with SQL here (owner role): the API for it comes with the tenant fields.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admin, call, control, createTenant, eventually, expectProblem, testHooks } from "../../support/api.ts";
import { database } from "../../support/postgres.ts";
import { FakeStripe } from "../../support/fake-stripe.ts";
import { triggerScheduled } from "../../support/control-plane.ts";

const HOUR = 3_600_000;
const SECRET_KEY = "sk_test_tenantry_integration";
const METERS = { requests: "tenantry_requests", writeOps: "tenantry_write_ops" };

const stripe = new FakeStripe(SECRET_KEY);
const pool = database();

const hoursAgo = (n: number) => new Date(Math.floor(Date.now() / HOUR) * HOUR - n * HOUR);

async function billedTenant(customer: string): Promise<string> {
  const { tenant } = await createTenant({ name: `billing-${customer}` });
  await pool.query(`update tenants set billing = $2 where id = $1`, [tenant.id, JSON.stringify({ stripeCustomerId: customer })]);
  return tenant.id;
}

/** Usage as the runtime objects would have flushed it, spread over minutes of the hour. */
async function addUsage(tenantId: string, hour: Date, usage: { requests?: number; writeOps?: number; readOps?: number }): Promise<void> {
  const minutes = [3, 17, 42];
  const share = (total = 0, i: number) => Math.floor(total / minutes.length) + (i === 0 ? total % minutes.length : 0);
  for (const [i, minute] of minutes.entries()) {
    await pool.query(
      `insert into usage_minutes (tenant_id, minute, requests, write_ops, read_ops) values ($1, $2, $3, $4, $5)
       on conflict (tenant_id, minute) do update set requests = usage_minutes.requests + excluded.requests,
         write_ops = usage_minutes.write_ops + excluded.write_ops, read_ops = usage_minutes.read_ops + excluded.read_ops`,
      [tenantId, new Date(hour.getTime() + minute * 60_000), share(usage.requests, i), share(usage.writeOps, i), share(usage.readOps, i)],
    );
  }
}

const identifier = (tenantId: string, field: string, hour: Date) => `${tenantId}:${field}:${hour.toISOString()}`;

async function runExport(hour: Date, headers: Record<string, string> = {}) {
  const response = await admin("POST", "/v1/billing/exports/run", { body: { hour: hour.toISOString() }, headers });
  expect(response.status, response.text).toBe(202);
  expect(response.body.hour).toBe(hour.toISOString());
}

async function exportOf(hour: Date): Promise<any> {
  const response = await admin("GET", `/v1/billing/exports?from=${hour.toISOString()}&to=${new Date(hour.getTime() + HOUR).toISOString()}`);
  expect(response.status, response.text).toBe(200);
  return response.body.data[0];
}

const settled = (hour: Date) => eventually(async () => {
  const row = await exportOf(hour);
  return row && row.status !== "pending" ? row : undefined;
}, 20_000);

describe("Stripe meter export", () => {
  beforeAll(async () => {
    await stripe.start();
    // Off until configured: an operator's run says so.
    expectProblem(await admin("POST", "/v1/billing/exports/run", { body: {} }), 409, "conflict");
    await control("worker/restart", { STRIPE_SECRET_KEY: SECRET_KEY, STRIPE_METERS: JSON.stringify(METERS), STRIPE_API_BASE: stripe.url });
  }, 120_000);

  afterAll(async () => {
    await control("worker/restart", { STRIPE_SECRET_KEY: null, STRIPE_METERS: null, STRIPE_API_BASE: null });
    await stripe.stop();
  }, 120_000);

  it("sends one well-formed event per tenant, mapped non-zero field and hour, and a second run sends nothing", async () => {
    stripe.reset();
    const hour = hoursAgo(5);
    const a = await billedTenant("cus_alpha");
    const b = await billedTenant("cus_beta");
    const unbilled = (await createTenant({ name: "not billed" })).tenant.id;
    await addUsage(a, hour, { requests: 1234, writeOps: 56, readOps: 9 });
    await addUsage(b, hour, { requests: 7 }); // writeOps 0: no event
    await addUsage(unbilled, hour, { requests: 99 });

    await runExport(hour);
    const row = await settled(hour);
    expect(row).toMatchObject({ hour: hour.toISOString(), tenants: 2, events: 3, status: "sent", failures: [] });

    expect(stripe.requests.every((request) => request.violations.length === 0), JSON.stringify(stripe.requests.map((r) => r.violations))).toBe(true);
    const sent = stripe.requests.filter((request) => request.answered === 200).map((request) => request.params);
    expect(sent).toHaveLength(3);
    expect(sent).toEqual(
      expect.arrayContaining([
        {
          event_name: "tenantry_requests",
          "payload[stripe_customer_id]": "cus_alpha",
          "payload[value]": "1234",
          timestamp: String(hour.getTime() / 1000),
          identifier: identifier(a, "requests", hour),
        },
        expect.objectContaining({ event_name: "tenantry_write_ops", "payload[value]": "56", identifier: identifier(a, "writeOps", hour) }),
        expect.objectContaining({ "payload[stripe_customer_id]": "cus_beta", "payload[value]": "7", identifier: identifier(b, "requests", hour) }),
      ]),
    );
    expect(stripe.requests.every((request) => request.authorization === `Bearer ${SECRET_KEY}`)).toBe(true);

    const before = stripe.requests.length;
    await runExport(hour);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await exportOf(hour)).status).toBe("sent");
    expect(stripe.requests.length).toBe(before);
  });

  it("finishes a run that died half-way without a second event for any identifier", async () => {
    stripe.reset();
    const hour = hoursAgo(6);
    const tenants = [await billedTenant("cus_c1"), await billedTenant("cus_c2"), await billedTenant("cus_c3")];
    for (const [i, tenant] of tenants.entries()) await addUsage(tenant, hour, { requests: 10 + i });
    const expected = tenants.map((tenant) => identifier(tenant, "requests", hour)).sort();

    // The run stops right after Stripe accepted the 2nd event, before it is recorded as sent.
    await runExport(hour, testHooks({ "X-Test-Stop-After-Events": "2" }));
    await eventually(async () => stripe.requests.length >= 2);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(stripe.requests).toHaveLength(2);
    expect((await exportOf(hour)).status).toBe("pending");

    await runExport(hour);
    expect(await settled(hour)).toMatchObject({ status: "sent", tenants: 3, events: 3 });
    // Stripe holds each identifier once; only the one whose acceptance was not recorded went twice.
    expect([...stripe.accepted.keys()].filter((key) => key.endsWith(hour.toISOString())).sort()).toEqual(expected);
    const sends = expected.map((key) => stripe.requestsFor(key).length);
    expect(sends.sort()).toEqual([1, 1, 2]);
    expect(stripe.requests.every((request) => request.violations.length === 0)).toBe(true);
  });

  it("retries a 429 with backoff until Stripe takes the event", async () => {
    stripe.reset();
    const hour = hoursAgo(7);
    const tenant = await billedTenant("cus_busy");
    await addUsage(tenant, hour, { writeOps: 3 });
    stripe.rateLimitNext = 2;
    await runExport(hour);
    expect(await settled(hour)).toMatchObject({ status: "sent", events: 1 });
    expect(stripe.requestsFor(identifier(tenant, "writeOps", hour)).map((request) => request.answered)).toEqual([429, 429, 200]);
  });

  it("keeps going past a tenant Stripe refuses (4xx): the hour is partial and names it", async () => {
    stripe.reset();
    const hour = hoursAgo(8);
    const good = await billedTenant("cus_good");
    const bad = await billedTenant("cus_missing");
    stripe.unknownCustomers.add("cus_missing");
    await addUsage(good, hour, { requests: 5, writeOps: 2 });
    await addUsage(bad, hour, { requests: 8 });
    await runExport(hour);
    const row = await settled(hour);
    expect(row).toMatchObject({ status: "partial", tenants: 2, events: 3 });
    expect(row.failures).toEqual([{ tenantId: bad, error: expect.stringContaining("No such customer") }]);
    expect(stripe.accepted.has(identifier(good, "requests", hour))).toBe(true);
    expect(stripe.accepted.has(identifier(good, "writeOps", hour))).toBe(true);
    // A 4xx is final: no retry within the run.
    expect(stripe.requestsFor(identifier(bad, "requests", hour))).toHaveLength(1);

    // The operator fixes the customer and runs the hour again: only the refused event goes out.
    await pool.query(`update tenants set billing = $2 where id = $1`, [bad, JSON.stringify({ stripeCustomerId: "cus_found" })]);
    const before = stripe.requests.length;
    await runExport(hour);
    await eventually(async () => (await exportOf(hour)).status === "sent");
    expect(await exportOf(hour)).toMatchObject({ status: "sent", failures: [] });
    expect(stripe.requests.slice(before).map((request) => request.params["payload[stripe_customer_id]"])).toEqual(["cus_found"]);
  });

  it("skips and reports an hour older than 35 days, sending nothing", async () => {
    stripe.reset();
    const hour = hoursAgo(36 * 24);
    const tenant = await billedTenant("cus_old");
    await addUsage(tenant, hour, { requests: 4 });
    await runExport(hour);
    const row = await settled(hour);
    expect(row).toMatchObject({ status: "failed", events: 1, failures: [{ tenantId: tenant, error: expect.stringContaining("35 days") }] });
    expect(stripe.requests).toHaveLength(0);
  });

  it("exports the last closed hour from the cron", async () => {
    stripe.reset();
    // The cron waits two minutes after an hour ends for the last usage to be flushed.
    const hour = new Date(Math.floor((Date.now() - 2 * 60_000) / HOUR) * HOUR - HOUR);
    const tenant = await billedTenant("cus_cron");
    await addUsage(tenant, hour, { requests: 21 });
    await triggerScheduled();
    await eventually(async () => stripe.accepted.has(identifier(tenant, "requests", hour)), 20_000);
    expect(await settled(hour)).toMatchObject({ status: "sent" });
  });

  it("lists exports with the admin token only and checks its input", async () => {
    const response = await admin("GET", `/v1/billing/exports?from=${hoursAgo(9).toISOString()}&to=${hoursAgo(4).toISOString()}`);
    expect(response.status).toBe(200);
    expect(response.body.data.map((row: any) => row.hour)).toEqual([8, 7, 6, 5].map((n) => hoursAgo(n).toISOString()));
    for (const row of response.body.data) expect(Object.keys(row).sort()).toEqual(["events", "failures", "hour", "status", "tenants"]);

    expectProblem(await call("GET", "/v1/billing/exports"), 401, "unauthenticated");
    expectProblem(await admin("GET", `/v1/billing/exports?from=${hoursAgo(1).toISOString()}&to=${hoursAgo(2).toISOString()}`), 400, "invalid_request");
    expectProblem(await admin("GET", "/v1/billing/exports?from=yesterday"), 400, "invalid_request");
    const unaligned = await admin("POST", "/v1/billing/exports/run", { body: { hour: new Date(hoursAgo(3).getTime() + 60_000).toISOString() } });
    expect(expectProblem(unaligned, 400, "invalid_request").errors).toEqual([expect.objectContaining({ path: "body.hour" })]);
    expectProblem(await admin("POST", "/v1/billing/exports/run", { body: { hour: hoursAgo(0).toISOString() } }), 400, "invalid_request");
    expectProblem(await admin("POST", "/v1/billing/exports/run", { body: { hour: 5 } }), 400, "invalid_request");
  });
});
