// @tenantry/sdk beyond Node 22: the same conformance checks (test/support/sdk-conformance/) on the
// built SDK in the machine's Node 20 (with Node 18's globals: no WebCrypto, no WebSocket), Deno, Bun,
// workerd and headless Chromium, each against the local stack.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, newPage, type BrowserHandle } from "../../support/browser.ts";
import { adminToken, baseUrl } from "../../support/api.ts";
import { startBrowserHost } from "../../support/sdk-conformance/browser-host.ts";
import { bunBinary, CHECK_NAMES, denoBinary, ensureSdkBuilt, failures, runConformanceScript, SYSTEM_NODE, type ConformanceResult } from "../../support/sdk-conformance/runtimes.ts";
import { runInWorkerd } from "../../support/sdk-conformance/workerd-host.ts";

const stack = () => ({ baseUrl: baseUrl(), adminToken: adminToken() });

/** Every check ran, none was skipped, all passed. */
function expectConformant(result: ConformanceResult): void {
  expect(failures(result), `${result.runtime}: failed checks`).toEqual([]);
  expect(result.checks.map((c) => c.name)).toEqual(CHECK_NAMES);
  expect(result.checks.filter((c) => c.skipped).map((c) => `${c.name}: ${c.skipped}`)).toEqual([]);
  expect(result.ok).toBe(true);
}

describe("@tenantry/sdk in every runtime it claims (the built sdk/dist)", () => {
  beforeAll(async () => {
    await ensureSdkBuilt();
  }, 120_000);

  it("Node 20 with Node 18's globals (WebCrypto and WebSocket passed in, as the README says)", async () => {
    // Node 18 exposes no global crypto without a flag; this flag takes it away from Node 20 too.
    const result = await runConformanceScript(SYSTEM_NODE, ["--no-experimental-global-webcrypto"], stack());
    expect(result.runtime).toMatch(/^node (18|19|20|21)\./);
    expect(result.provided).toEqual({ crypto: true, WebSocket: true });
    expectConformant(result);
  });

  it("Deno (npm package deno, network limited to 127.0.0.1)", async () => {
    const result = await runConformanceScript(
      denoBinary(),
      ["run", "--no-prompt", "--no-lock", "--allow-net=127.0.0.1", "--allow-env=TENANTRY_URL,TENANTRY_ADMIN_TOKEN", "--allow-read=."],
      stack(),
    );
    expect(result.runtime).toMatch(/^deno 2\./);
    expect(result.provided).toEqual({ crypto: false, WebSocket: false });
    expectConformant(result);
  });

  it("Bun (npm package bun)", async () => {
    const result = await runConformanceScript(bunBinary(), [], stack());
    expect(result.runtime).toMatch(/^bun 1\./);
    expect(result.provided).toEqual({ crypto: false, WebSocket: false });
    expectConformant(result);
  });

  // Bundling and starting workerd take most of it: a loaded machine needs more than the default.
  it("workerd (bundled by wrangler without nodejs_compat, run in Miniflare)", { timeout: 90_000 }, async () => {
    expectConformant(await runInWorkerd(stack()));
  });

  describe("Chromium", () => {
    let browser: BrowserHandle;
    let host: Awaited<ReturnType<typeof startBrowserHost>>;
    beforeAll(async () => {
      host = await startBrowserHost(baseUrl());
      browser = await launchBrowser();
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
      await host?.close();
    });

    it("loads sdk/dist as ES modules (an import map, no bundler) on a same-origin page", { timeout: 60_000 }, async () => {
      const { context, page } = await newPage(browser.browser);
      const errors: string[] = [];
      // The console also logs the 404s and the 412 the checks cause on purpose: only for a page that never started.
      const consoleErrors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      page.on("console", (message) => message.type() === "error" && consoleErrors.push(message.text()));
      try {
        await page.goto(`${host.origin}/#token=${encodeURIComponent(adminToken())}`);
        await page.waitForFunction(() => "conformance" in globalThis, null, { timeout: 15_000 }).catch(() => {
          throw new Error(`the page never started the checks: ${[...errors, ...consoleErrors].join("; ") || "no error logged"}`);
        });
        const result = (await page.evaluate(() => (globalThis as unknown as { conformance: Promise<unknown> }).conformance)) as ConformanceResult;
        expect(errors).toEqual([]);
        expect(result.runtime).toMatch(/Chrome\/\d+/);
        expectConformant(result);
      } finally {
        await context.close();
      }
    });
  });
});
