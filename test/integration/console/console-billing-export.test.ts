// The console in a real browser with the Stripe export on (the Worker restarted with a local stand-in
// for Stripe, test/support/fake-stripe.ts): the operator sets tenants' Stripe customers, runs an hour's
// export from the Billing screen, and sees its status — a refused customer named on the hour and on
// its tenant's screen. Usage of the past hour is written with SQL (live traffic cannot date itself back).
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminToken, baseUrl, control, createTenant } from "../../support/api.ts";
import { launchBrowser, newPage, screenshots, signIn, type BrowserHandle } from "../../support/browser.ts";
import { FakeStripe } from "../../support/fake-stripe.ts";
import { database } from "../../support/postgres.ts";

const HOUR = 3_600_000;
const SECRET_KEY = "sk_test_tenantry_console";
const stripe = new FakeStripe(SECRET_KEY);
const pool = database();
/** An hour no other test exports (they use the last ten). */
const hour = new Date(Math.floor(Date.now() / HOUR) * HOUR - 14 * HOUR);
const suffix = Date.now().toString(36);

let handle: BrowserHandle;
let page: Page;
const tenants = { good: "", refused: "" };

async function addUsage(tenantId: string, requests: number): Promise<void> {
  await pool.query(
    `insert into usage_minutes (tenant_id, minute, requests) values ($1, $2, $3)
     on conflict (tenant_id, minute) do update set requests = usage_minutes.requests + excluded.requests`,
    [tenantId, new Date(hour.getTime() + 7 * 60_000), requests],
  );
}

beforeAll(async () => {
  await stripe.start();
  await control("worker/restart", { STRIPE_SECRET_KEY: SECRET_KEY, STRIPE_METERS: JSON.stringify({ requests: "tenantry_requests" }), STRIPE_API_BASE: stripe.url });
  const [good, refused] = await Promise.all([createTenant({ name: `Billed ${suffix}` }), createTenant({ name: `Refused ${suffix}` })]);
  tenants.good = good.tenant.id;
  tenants.refused = refused.tenant.id;
  await addUsage(tenants.good, 321);
  await addUsage(tenants.refused, 5);
  stripe.unknownCustomers.add(`cus_gone${suffix}`);
  handle = await launchBrowser();
  ({ page } = await newPage(handle.browser));
  await signIn(page, baseUrl(), adminToken());
}, 120_000);

afterAll(async () => {
  await handle?.close();
  await control("worker/restart", { STRIPE_SECRET_KEY: null, STRIPE_METERS: null, STRIPE_API_BASE: null });
  await stripe.stop();
}, 120_000);

async function setCustomer(tenantId: string, customer: string) {
  await page.goto(`${baseUrl()}/console/tenants/${tenantId}/integrations`);
  await page.getByLabel("Stripe customer id").fill(customer);
  await page.getByRole("button", { name: "Save customer" }).click();
  await expect.poll(() => page.getByTestId("billing-current").textContent(), { timeout: 10_000 }).toContain(customer);
}

describe("console in a browser: Stripe export", () => {
  it("runs an hour's export from the Billing screen and shows it partial, naming the refused tenant", async () => {
    await setCustomer(tenants.good, `cus_ok${suffix}`);
    await setCustomer(tenants.refused, `cus_gone${suffix}`);

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Billing", exact: true }).click();
    await page.getByLabel("Hour to export").selectOption(hour.toISOString());
    await page.getByRole("button", { name: "Run export now" }).click();
    await page.getByRole("status").filter({ hasText: "Export of" }).waitFor();
    const row = page.locator(`table.exports tr[data-hour="${hour.toISOString()}"]`);
    await row.locator(".badge-partial").waitFor({ timeout: 20_000 });
    await expect(row.getByRole("link", { name: tenants.refused }).count()).resolves.toBe(1);
    await expect(row.textContent()).resolves.toContain("No such customer");

    const sent = stripe.requests.filter((request) => request.answered === 200).map((request) => request.params);
    expect(sent).toEqual([expect.objectContaining({ "payload[stripe_customer_id]": `cus_ok${suffix}`, "payload[value]": "321", event_name: "tenantry_requests" })]);
    await screenshots(page, "billing-export");

    // The refused tenant's own screen says so too.
    await row.getByRole("link", { name: tenants.refused }).click();
    await page.getByRole("link", { name: "Integrations", exact: true }).click();
    await page.getByText("Refused by Stripe in the last 7 days:").waitFor();

    // The overview's card shows the hour.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Overview", exact: true }).click();
    await page.getByTestId("exports-card").locator(".badge-partial").first().waitFor();
  }, 60_000);
});
