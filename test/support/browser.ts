// Debian's chromium driven by playwright-core, for the console's browser tests.
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
export const ARTIFACTS = path.resolve(import.meta.dirname, "../../test-artifacts/console");

export interface BrowserHandle {
  browser: Browser;
  close(): Promise<void>;
}

/** Playwright gives every launch a fresh user-data-dir of its own (and removes it on close). */
export async function launchBrowser(): Promise<BrowserHandle> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS, timeout: 30_000 });
  await mkdir(ARTIFACTS, { recursive: true });
  return { browser, close: () => browser.close().catch(() => {}) };
}

/** A fresh context (no cookies, no storage) at desktop width. */
export async function newPage(browser: Browser, width = 1280): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  context.setDefaultTimeout(15_000);
  return { context, page: await context.newPage() };
}

/** Full-page screenshots at 1280 px (and 390 px wide unless `narrow` is false), kept as test artifacts. */
export async function screenshots(page: Page, name: string, narrow = true): Promise<void> {
  const size = page.viewportSize() ?? { width: 1280, height: 900 };
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}-1280.png`), fullPage: true });
  if (!narrow) return;
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(150);
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}-390.png`), fullPage: true });
  await page.setViewportSize(size);
}

/** Signs in to the console with the admin token (through the sign-in screen, as an operator does). */
export async function signIn(page: Page, baseUrl: string, token: string): Promise<void> {
  await page.goto(`${baseUrl}/console`);
  await page.getByLabel("Admin token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
}

/**
 * Records, inside the page, every text the elements matching `selector` show, as they change: proof
 * that the screen updated by itself (no reload) through intermediate states. Read with `seenTexts`.
 */
export async function watchTexts(page: Page, selector: string): Promise<void> {
  await page.evaluate(`(() => {
    window.__seen = [];
    const record = () => {
      const text = Array.from(document.querySelectorAll(${JSON.stringify(selector)})).map((el) => el.textContent).join(" | ");
      if (text && window.__seen[window.__seen.length - 1] !== text) window.__seen.push(text);
    };
    record();
    new MutationObserver(record).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  })()`);
}

export const seenTexts = (page: Page) => page.evaluate("window.__seen") as Promise<string[]>;
