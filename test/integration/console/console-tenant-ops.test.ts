// The console in a real browser: what an operator does to one tenant's isolation and data —
// promote to dedicated and demote back (the migration's steps shown live), import with progress,
// export download. Screenshots land in test-artifacts/console/ like the other console tests.
import { readFile } from "node:fs/promises";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admin, adminToken, baseUrl } from "../../support/api.ts";
import { launchBrowser, newPage, screenshots, seenTexts, signIn, watchTexts, type BrowserHandle } from "../../support/browser.ts";
import { activeTenant, type ActiveTenant } from "../../support/tenants.ts";

let handle: BrowserHandle;
let page: Page;
let tenant: ActiveTenant;

beforeAll(async () => {
  handle = await launchBrowser();
  ({ page } = await newPage(handle.browser));
  // Pro, then enterprise: the plan change keeps it shared (only a migration moves it).
  tenant = await activeTenant({ name: `Ops tenant ${Date.now().toString(36)}`, plan: "pro" });
  expect((await admin("PATCH", `/v1/tenants/${tenant.id}`, { body: { plan: "enterprise" } })).body.isolation).toBe("shared");
  await signIn(page, baseUrl(), adminToken());
}, 90_000);
afterAll(async () => handle?.close());

/** Starts a migration from the Overview tab and waits until the UI shows it finished. */
async function migrateInUi(action: "Promote to dedicated" | "Demote to shared", confirm: "Promote" | "Demote", to: "dedicated" | "shared") {
  await watchTexts(page, ".migration h3 .badge, .migration .step");
  await page.getByRole("button", { name: action }).click();
  await page.getByRole("dialog").getByRole("button", { name: confirm, exact: true }).click();
  await page.locator(".migration h3 .badge-succeeded").waitFor({ timeout: 60_000 });
  await expect.poll(() => page.getByTestId("tenant-isolation").textContent(), { timeout: 10_000 }).toBe(to);
  const seen = await seenTexts(page);
  // The screen went from the new migration (steps pending or running) to the finished one by itself.
  const unfinished = seen.findIndex((text) => /^(queued|running|switching) \| prepare/.test(text));
  expect(unfinished, JSON.stringify(seen)).toBeGreaterThanOrEqual(0);
  expect(seen.at(-1)).toMatch(/^succeeded/);
  expect(seen.at(-1)).not.toMatch(/pending|running/);
  expect(seen.length - 1).toBeGreaterThan(unfinished);
  for (const step of ["prepare", "copy", "catch_up", "pause", "sync", "verify", "switch", "cleanup"]) {
    expect(await page.locator(".migration .step", { hasText: step }).locator(".badge-succeeded").count()).toBe(1);
  }
  expect((await admin("GET", `/v1/tenants/${tenant.id}`)).body).toMatchObject({ isolation: to, migration: { state: "succeeded", to } });
}

describe("console in a browser: isolation and data of a tenant", () => {
  it("promotes the tenant to dedicated and demotes it back, showing the migration's steps live", async () => {
    await page.goto(`${baseUrl()}/console/tenants/${tenant.id}`);
    await expect.poll(() => page.getByTestId("tenant-isolation").textContent()).toBe("shared");
    await migrateInUi("Promote to dedicated", "Promote", "dedicated");
    await screenshots(page, "tenant-promoted");
    await migrateInUi("Demote to shared", "Demote", "shared");
    expect((await tenant.call("GET", "/v1/me")).status).toBe(200);
  }, 120_000);

  it("uploads an import with progress, then downloads the export", async () => {
    const records = 400;
    const lines = Array.from({ length: records }, (_, i) =>
      JSON.stringify({ type: "record", map: "imported", key: `k${String(i).padStart(4, "0")}`, value: { i, text: "é😀".repeat(20) }, version: 1 }),
    );
    const file = Buffer.from(`${lines.join("\n")}\n${JSON.stringify({ type: "end", records })}\n`);
    await page.getByRole("link", { name: "Export / import", exact: true }).click();
    const upload = page.getByRole("button", { name: "Upload" });
    expect(await upload.isDisabled()).toBe(true);
    await page.getByLabel("NDJSON file (as produced by export)").setInputFiles({ name: "import.ndjson", mimeType: "application/x-ndjson", buffer: file });
    await upload.click();
    await page.getByRole("status").filter({ hasText: `Imported ${records} records.` }).waitFor({ timeout: 30_000 });
    const progress = page.getByRole("progressbar", { name: "Upload progress" });
    expect(Number(await progress.getAttribute("max"))).toBe(file.byteLength);
    expect(Number(await progress.getAttribute("value"))).toBe(file.byteLength);
    expect((await tenant.call("GET", "/v1/maps/imported/k0399")).body.value.i).toBe(399);
    await screenshots(page, "import", false);

    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download export" }).click()]);
    expect(download.suggestedFilename()).toBe(`${tenant.id}.ndjson`);
    const exported = (await readFile(await download.path(), "utf8")).trim().split("\n").map((line) => JSON.parse(line));
    expect(exported.filter((line) => line.type === "record")).toHaveLength(records);
    expect(exported.find((line) => line.key === "k0007")?.value.i).toBe(7);
    await page.getByText(/[\d,]+ bytes/).waitFor();
  }, 60_000);

  it("shows the problem's detail when the API refuses the import", async () => {
    // The tenant has records now: a second import is a 409 whose detail the screen shows as it is.
    await page.getByRole("button", { name: "Upload" }).click();
    await expect(page.getByRole("alert").textContent()).resolves.toContain("Import needs an empty tenant");
    expect(await page.getByRole("button", { name: "Upload" }).isDisabled()).toBe(false);
    await screenshots(page, "import-refused", false);
  });
});
