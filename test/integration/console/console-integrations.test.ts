// The console in a real browser: the v1.1 integrations an operator manages — webhook endpoints
// (against a real receiver on 127.0.0.1, signatures checked with the `standardwebhooks` library),
// a tenant's gateway origin and Stripe customer, the Stripe export status, and their health on the
// overview. Screenshots land in test-artifacts/console/ like the other console tests.
import type { Page } from "playwright-core";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admin, adminToken, baseUrl, eventually } from "../../support/api.ts";
import { launchBrowser, newPage, screenshots, signIn, type BrowserHandle } from "../../support/browser.ts";
import { startTestOrigin, type TestOrigin } from "../../support/gateway-origin.ts";
import { activeTenant, type ActiveTenant } from "../../support/tenants.ts";
import { startReceiver, type Receiver, type Received } from "../../support/webhook-receiver.ts";

let handle: BrowserHandle;
let page: Page;
let receiver: Receiver;
let origin: TestOrigin;
let tenant: ActiveTenant;
/** Endpoints this file made, deleted at the end so that no later test delivers to a closed receiver. */
const endpointIds = new Set<string>();
const suffix = Date.now().toString(36);
const HOOK = `/console-hook-${suffix}`;
const FAILING = `/console-failing-${suffix}`;

beforeAll(async () => {
  [handle, receiver, origin, tenant] = await Promise.all([launchBrowser(), startReceiver(), startTestOrigin(), activeTenant({ name: `Integrations ${suffix}`, plan: "pro" })]);
  ({ page } = await newPage(handle.browser));
  await signIn(page, baseUrl(), adminToken());
}, 90_000);

afterAll(async () => {
  for (const id of endpointIds) await admin("DELETE", `/v1/webhooks/${id}`).catch(() => undefined);
  await handle?.close();
  await receiver?.close();
  await origin?.close();
});

const nav = (name: string) => page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true });
const headersOf = (entry: Received) => ({
  "webhook-id": String(entry.headers["webhook-id"]),
  "webhook-timestamp": String(entry.headers["webhook-timestamp"]),
  "webhook-signature": String(entry.headers["webhook-signature"]),
});

describe("console in a browser: webhooks, gateway origin, billing", () => {
  let endpointId = "";
  let secret = "";

  it("creates a webhook endpoint with the keyboard and shows its secret once", async () => {
    await nav("Webhooks").click();
    await page.getByRole("heading", { level: 1, name: "Webhooks" }).waitFor();
    await page.getByRole("button", { name: "Add endpoint" }).click();
    await page.getByLabel("Endpoint URL").fill(receiver.url(HOOK));
    await page.getByLabel("Description (optional)").fill("<img src=x onerror=alert(1)> billing sync");
    await page.getByLabel("All events").uncheck();
    await page.getByRole("checkbox", { name: "webhook.test" }).check();
    await page.getByRole("checkbox", { name: "tenant.updated" }).check();
    // Enter in a field submits the form: no mouse needed.
    await page.getByLabel("Endpoint URL").press("Enter");
    secret = (await page.getByTestId("secret-value").textContent()) ?? "";
    expect(secret).toMatch(/^whsec_/);
    const row = page.locator("table.webhooks tr", { hasText: receiver.url(HOOK) });
    endpointId = (await row.getAttribute("data-endpoint-id")) ?? "";
    expect(endpointId).toMatch(/^whk_/);
    endpointIds.add(endpointId);
    await expect(row.locator(".badge").textContent()).resolves.toBe("no deliveries yet");
    await row.getByText("<img src=x onerror=alert(1)> billing sync").waitFor();
    expect(await page.locator("main img").count()).toBe(0);
    expect((await admin("GET", `/v1/webhooks/${endpointId}`)).body).toMatchObject({ url: receiver.url(HOOK), events: ["tenant.updated", "webhook.test"], disabled: false });
    await screenshots(page, "webhooks");
  });

  it("sends a test event and shows its delivery in the log; the receiver got it signed", async () => {
    await page.getByRole("link", { name: receiver.url(HOOK) }).click();
    await page.getByTestId("endpoint-url").waitFor();
    const send = page.getByRole("button", { name: "Send test event" });
    await send.click();
    const queued = (await page.getByRole("status").filter({ hasText: "Test event" }).locator("code").textContent()) ?? "";
    expect(queued).toMatch(/^msg_/);
    const delivered = page.locator('table.deliveries tr[data-delivery-status="delivered"]', { hasText: "webhook.test" });
    await delivered.waitFor({ timeout: 20_000 });
    await expect(delivered.getByText(queued).count()).resolves.toBe(1);
    await expect(delivered.locator("td").nth(4).textContent()).resolves.toContain("200");

    const entry = receiver.received(HOOK).find((item) => item.json?.id === queued);
    expect(entry).toBeDefined();
    const payload = new Webhook(secret).verify(entry!.body, headersOf(entry!)) as { type: string };
    expect(payload.type).toBe("webhook.test");
    await screenshots(page, "webhook-deliveries");
  }, 45_000);

  it("edits, disables, enables the endpoint and rotates its secret", async () => {
    await page.getByRole("button", { name: "Edit" }).click();
    await page.getByLabel("Description (optional)").fill("Billing sync (edited)");
    await page.getByRole("checkbox", { name: "tenant.suspended" }).check();
    await page.getByRole("button", { name: "Save endpoint" }).click();
    await page.getByText("Billing sync (edited)").waitFor();
    expect((await admin("GET", `/v1/webhooks/${endpointId}`)).body.events).toEqual(["tenant.updated", "tenant.suspended", "webhook.test"]);

    await page.getByRole("button", { name: "Disable" }).click();
    await page.locator("h1 .badge-disabled").waitFor();
    expect(await page.getByRole("button", { name: "Send test event" }).isDisabled()).toBe(true);
    expect((await admin("GET", `/v1/webhooks/${endpointId}`)).body.disabled).toBe(true);
    await page.getByRole("button", { name: "Enable" }).click();
    await page.locator("h1 .badge-active").waitFor();

    await page.getByRole("button", { name: "Rotate secret" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Rotate", exact: true }).click();
    const rotated = (await page.getByTestId("secret-value").textContent()) ?? "";
    expect(rotated).toMatch(/^whsec_/);
    expect(rotated).not.toBe(secret);
    // The new secret signs the next message (and the old one still does, for 24 h).
    const before = receiver.received(HOOK).length;
    await page.getByRole("button", { name: "Send test event" }).click();
    const entry = await eventually(async () => receiver.received(HOOK)[before], 20_000);
    expect(new Webhook(rotated).verify(entry.body, headersOf(entry))).toMatchObject({ type: "webhook.test" });
  }, 45_000);

  it("shows a failing endpoint on the overview, beside the Stripe export status", async () => {
    receiver.script(FAILING, ["500"]);
    const failing = await admin("POST", "/v1/webhooks", { body: { url: receiver.url(FAILING), events: ["webhook.test"] } });
    expect(failing.status).toBe(201);
    endpointIds.add(failing.body.id);
    expect((await admin("POST", `/v1/webhooks/${failing.body.id}/test`)).status).toBe(202);
    await eventually(async () => receiver.received(FAILING).length > 0, 20_000);

    await nav("Overview").click();
    const card = page.getByTestId("webhooks-card");
    await card.getByRole("link", { name: receiver.url(FAILING) }).waitFor();
    expect(Number(await card.locator('[data-health="failing"]').textContent())).toBeGreaterThanOrEqual(1);
    expect(Number(await card.locator('[data-health="healthy"]').textContent())).toBeGreaterThanOrEqual(1);
    await page.getByTestId("exports-card").getByRole("heading", { name: "Stripe export, last 24 h" }).waitFor();
    await screenshots(page, "overview-integrations");

    await card.getByRole("link", { name: receiver.url(FAILING) }).click();
    const row = page.locator("table.deliveries tr", { hasText: "webhook.test" }).first();
    await expect.poll(() => row.locator("td").nth(4).textContent(), { timeout: 10_000 }).toContain("500");
  }, 45_000);

  it("deletes an endpoint after confirmation", async () => {
    await page.getByRole("button", { name: "Delete" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete endpoint" }).click();
    await page.getByRole("heading", { level: 1, name: "Webhooks" }).waitFor();
    const id = [...endpointIds].at(-1)!;
    expect((await admin("GET", `/v1/webhooks/${id}`)).status).toBe(404);
    endpointIds.delete(id);
  });

  it("edits the tenant's gateway origin, validated, and /gw/ goes there", async () => {
    await page.goto(`${baseUrl()}/console/tenants/${tenant.id}/integrations`);
    await page.getByRole("heading", { name: "Gateway origin" }).waitFor();
    await expect(page.getByTestId("gateway-current").textContent()).resolves.toContain("No origin of its own");
    const field = page.getByLabel("Origin URL");

    await field.fill("not a url");
    await page.getByRole("button", { name: "Save origin" }).click();
    await expect(page.getByRole("alert").textContent()).resolves.toContain("Not a URL");
    // The browser lets plain http through; the API (development rules) refuses it for a non-loopback host.
    await field.fill("http://example.com");
    await page.getByRole("button", { name: "Save origin" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("Expected an https:// URL");
    await expect(field.getAttribute("aria-invalid")).resolves.toBe("true");

    await field.fill(origin.url);
    await page.getByLabel("Timeout (ms, optional)").fill("5000");
    await page.getByRole("button", { name: "Save origin" }).click();
    await expect.poll(() => page.getByTestId("gateway-current").textContent()).toContain(origin.url);
    await expect(page.getByTestId("gateway-current").textContent()).resolves.toContain("5,000 ms");
    expect((await admin("GET", `/v1/tenants/${tenant.id}`)).body.gateway).toEqual({ origin: origin.url, timeoutMs: 5000 });
    const forwarded = await eventually(async () => {
      const response = await tenant.call("GET", `/gw/from-console-${suffix}`);
      return response.status === 200 && origin.received.some((entry) => entry.url === `/from-console-${suffix}`);
    }, 5_000);
    expect(forwarded).toBe(true);
  });

  it("edits the tenant's Stripe customer, validated", async () => {
    const field = page.getByLabel("Stripe customer id");
    await field.fill("cus with spaces");
    await page.getByRole("button", { name: "Save customer" }).click();
    await expect(page.getByRole("alert").textContent()).resolves.toContain("The Stripe customer id is not valid.");
    await field.fill(`cus_Console${suffix}`);
    await page.getByRole("button", { name: "Save customer" }).click();
    await expect.poll(() => page.getByTestId("billing-current").textContent()).toContain(`cus_Console${suffix}`);
    expect((await admin("GET", `/v1/tenants/${tenant.id}`)).body.billing).toEqual({ stripeCustomerId: `cus_Console${suffix}` });
    await page.getByRole("heading", { name: "Webhooks receiving this tenant's events" }).waitFor();
    await screenshots(page, "tenant-integrations");

    await page.getByRole("button", { name: "Remove customer" }).click();
    await expect.poll(() => page.getByTestId("billing-current").textContent()).toContain("No Stripe customer");
    expect((await admin("GET", `/v1/tenants/${tenant.id}`)).body.billing).toBeNull();
    await page.getByRole("button", { name: "Remove origin" }).click();
    await expect.poll(() => page.getByTestId("gateway-current").textContent()).toContain("No origin of its own");
  });

  it("shows the Stripe export status and the API's detail when an export cannot run", async () => {
    await nav("Billing").click();
    await page.getByRole("heading", { level: 1, name: "Billing export" }).waitFor();
    await page.getByRole("heading", { name: "Exported hours" }).waitFor();
    const run = page.getByRole("button", { name: "Run export now" });
    await run.click();
    // This stack has no STRIPE_SECRET_KEY: the API answers 409 and says why; the screen shows that detail.
    const detail = (await admin("POST", "/v1/billing/exports/run", { body: {} })).body.detail as string;
    expect(detail).toMatch(/Stripe export is off/);
    await expect.poll(() => page.getByRole("alert").textContent()).toBe(detail);
    expect(await run.isDisabled()).toBe(false);
    await screenshots(page, "billing");
  });
});
