// The console in a real browser (Debian's chromium, headless) against the local stack: what an
// operator does, and what a tenant's administrator does with a portal link.
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admin, adminToken, baseUrl, call, createTenant, eventually } from "../../support/api.ts";
import { launchBrowser, newPage, screenshots, type BrowserHandle } from "../../support/browser.ts";

let handle: BrowserHandle;
let page: Page;
/** The tenant the operator creates in the UI, shared by the tests that follow. */
const created = { id: "", key: "", name: `Browser tenant ${Date.now().toString(36)}` };

beforeAll(async () => {
  handle = await launchBrowser();
  ({ page } = await newPage(handle.browser));
}, 60_000);
afterAll(async () => handle?.close());

const heading = (text: string | RegExp) => page.getByRole("heading", { level: 1, name: text });
const nav = (name: string) => page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true });

describe("console in a browser", () => {
  it("signs in with the admin token, kept in sessionStorage only", async () => {
    await page.goto(`${baseUrl()}/console`);
    await screenshots(page, "sign-in", false);
    await page.getByLabel("Admin token").fill("not-the-token");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("alert").textContent()).resolves.toContain("The admin token is not valid.");

    await page.getByLabel("Admin token").fill(adminToken());
    await page.getByRole("button", { name: "Sign in" }).click();
    await heading("Overview").waitFor();
    await page.getByRole("heading", { name: "Tenants by status" }).waitFor();
    const storage = (await page.evaluate(
      '({ session: sessionStorage.getItem("tenantry.adminToken"), local: localStorage.length, url: location.href })',
    )) as { session: string | null; local: number; url: string };
    expect(storage.session).toBe(adminToken());
    expect(storage.local).toBe(0);
    expect(storage.url).not.toContain(adminToken());
  });

  it("creates a tenant, watches it become active, and changes its plan", async () => {
    await nav("Tenants").click();
    await heading("Tenants").waitFor();
    await screenshots(page, "tenants");
    await page.getByRole("button", { name: "Create tenant" }).click();
    await page.getByLabel("Name").fill(created.name);
    await page.getByLabel("Plan").selectOption("pro");
    await page.getByRole("button", { name: "Create", exact: true }).click();
    created.key = (await page.getByTestId("secret-value").textContent()) ?? "";
    expect(created.key).toMatch(/^tk_/);
    await page.locator("h1 .badge-active").waitFor({ timeout: 30_000 });
    await page.locator(".step-name").first().waitFor();
    await screenshots(page, "tenant-created", false);

    await page.getByRole("link", { name: "Open the tenant" }).click();
    await page.getByTestId("tenant-plan").waitFor();
    created.id = new URL(page.url()).pathname.split("/").pop()!;
    expect(created.id).toMatch(/^ten_/);
    await page.getByLabel("Plan", { exact: true }).selectOption("enterprise");
    await page.getByRole("button", { name: "Change plan" }).click();
    await expect.poll(() => page.getByTestId("tenant-plan").textContent()).toBe("enterprise");
    expect((await admin("GET", `/v1/tenants/${created.id}`)).body.plan).toBe("enterprise");
    await expect.poll(() => page.locator('[data-limit="requestsPerSecond"]').textContent()).toBe("1,000");
    await screenshots(page, "tenant");
  }, 60_000);

  it("shows a validation error's detail from the overrides editor", async () => {
    await page.getByLabel("burst").fill("-5");
    await page.getByRole("button", { name: "Save overrides" }).click();
    await expect(page.getByRole("alert").first().textContent()).resolves.toContain("Some overrides are not valid.");
    await page.getByLabel("burst").fill("1234");
    await page.getByRole("button", { name: "Save overrides" }).click();
    await expect.poll(() => page.locator('[data-limit="burst"]').textContent()).toBe("1,234");
  });

  it("creates a key, then revokes it and the key fails", async () => {
    await page.getByRole("link", { name: "Keys", exact: true }).click();
    await page.getByLabel("Key name").fill("browser key");
    await page.getByRole("button", { name: "Create key" }).click();
    const key = (await page.getByTestId("secret-value").textContent()) ?? "";
    expect(key).toMatch(/^tk_/);
    expect((await call("GET", "/v1/me", { token: key })).status).toBe(200);
    await screenshots(page, "keys", false);

    await page.getByRole("button", { name: "Revoke browser key" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByRole("button", { name: "Revoke key" }).click();
    await page.getByRole("cell", { name: /^revoked/ }).waitFor();
    await eventually(async () => (await call("GET", "/v1/me", { token: key })).status === 401, 5_000);
  });

  it("shows usage charts with data after traffic", async () => {
    for (let i = 0; i < 6; i++) {
      expect((await call("PUT", `/v1/maps/browser/k${i}`, { token: created.key, body: { i } })).status).toBe(200);
    }
    await page.getByRole("link", { name: "Usage", exact: true }).click();
    await page.getByRole("button", { name: "Flush and refresh" }).click();
    await expect.poll(() => page.locator('[data-field="writeOps"]').textContent(), { timeout: 10_000 }).toBe("6");
    expect(Number(await page.locator('[data-field="requests"]').textContent())).toBeGreaterThanOrEqual(6);
    expect(await page.locator(".chart canvas").count()).toBeGreaterThanOrEqual(3);
    expect(Number(await page.locator(".chart").first().getAttribute("data-total"))).toBeGreaterThanOrEqual(6);
    await screenshots(page, "usage");
  });

  it("downloads the tenant's export", async () => {
    await page.getByRole("link", { name: "Export / import", exact: true }).click();
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download export" }).click()]);
    expect(download.suggestedFilename()).toBe(`${created.id}.ndjson`);
    const { readFile } = await import("node:fs/promises");
    const lines = (await readFile(await download.path(), "utf8")).trim().split("\n");
    expect(lines.length).toBeGreaterThanOrEqual(6);
    expect(lines.join("\n")).toContain('"k5"');
  });

  it("suspends (with confirmation) and resumes the tenant", async () => {
    await page.getByRole("link", { name: "Overview", exact: true }).last().click();
    await page.getByRole("button", { name: "Suspend" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Suspend" }).click();
    await page.locator("h1 .badge-suspended").waitFor();
    expect((await call("PUT", "/v1/maps/browser/after", { token: created.key, body: 1 })).status).toBe(403);
    await page.getByRole("button", { name: "Resume" }).click();
    await page.locator("h1 .badge-active").waitFor();
    expect((await admin("GET", `/v1/tenants/${created.id}`)).body.status).toBe("active");
  });

  it("shows the audit log and the plans", async () => {
    await page.getByRole("link", { name: "Audit", exact: true }).click();
    await page.getByRole("cell", { name: "tenant.suspended" }).waitFor();
    await page.getByLabel("Action").selectOption("key.revoked");
    await expect.poll(() => page.locator("table.audit tbody tr").count()).toBe(1);
    await screenshots(page, "audit", false);
    await nav("Plans").click();
    await page.getByRole("columnheader", { name: "enterprise" }).waitFor();
    await screenshots(page, "plans", false);
  });

  it("opens a portal link once; the second opening is refused", async () => {
    await page.goto(`${baseUrl()}/console/tenants/${created.id}/portal`);
    await page.getByLabel("Opens").selectOption("keys");
    await page.getByRole("button", { name: "Create link" }).click();
    const url = (await page.getByTestId("secret-value").textContent()) ?? "";
    expect(url).toContain("/portal/open/pl_");

    const tenantAdmin = await newPage(handle.browser);
    await tenantAdmin.page.goto(url, { waitUntil: "domcontentloaded" });
    expect(new URL(tenantAdmin.page.url()).pathname).toBe("/console/portal/keys");
    await tenantAdmin.page.getByRole("heading", { name: "API keys" }).waitFor();
    await tenantAdmin.page.getByRole("cell", { name: "browser key" }).waitFor();
    await expect(tenantAdmin.page.locator(".top .brand").textContent()).resolves.toBe(created.name);
    // Nothing about the session is readable by scripts.
    expect(await tenantAdmin.page.evaluate("document.cookie")).toBe("");
    await screenshots(tenantAdmin.page, "portal-keys");
    await tenantAdmin.page.getByRole("link", { name: "Usage" }).click();
    await tenantAdmin.page.getByRole("heading", { name: "Usage" }).waitFor();
    await expect.poll(() => tenantAdmin.page.locator('[data-field="writeOps"]').textContent()).toBe("6");
    await tenantAdmin.context.close();

    const other = await newPage(handle.browser);
    const response = await other.page.goto(url, { waitUntil: "domcontentloaded" });
    expect(response?.status()).toBe(401);
    await other.page.getByRole("heading", { name: "This link no longer works" }).waitFor();
    await screenshots(other.page, "portal-refused", false);
    await other.context.close();
  });

  it("renders a tenant named like markup as text, and runs none of it", async () => {
    const name = "<img src=x onerror=alert(1)>";
    const hostile = await createTenant({ name, plan: "free", metadata: { note: "<script>alert(2)</script>" } });
    const dialogs: string[] = [];
    page.on("dialog", (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await page.goto(`${baseUrl()}/console/tenants/${hostile.tenant.id}`);
    await expect.poll(() => page.getByTestId("tenant-name").textContent()).toBe(name);
    expect(await page.locator("main img").count()).toBe(0);
    await page.getByText("<script>alert(2)</script>", { exact: false }).waitFor();
    await nav("Tenants").click();
    await page.getByRole("searchbox").fill("<img");
    await page.getByRole("button", { name: "Search" }).click();
    await page.getByRole("link", { name }).waitFor();
    expect(await page.locator("main img").count()).toBe(0);
    await screenshots(page, "hostile-name", false);
    expect(dialogs).toEqual([]);
  });

  it("shows the overview with the traffic of the tenants above", async () => {
    await nav("Overview").click();
    await page.getByRole("heading", { name: "Latest audit events" }).waitFor();
    await expect.poll(() => page.locator(".chart").first().getAttribute("data-total").then(Number)).toBeGreaterThanOrEqual(6);
    await screenshots(page, "overview");
  });
});
