import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureConsoleBuilt } from "../../scripts/stack/console-build.js";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");
const outdirs: string[] = [];

// The Worker's [assets] folder (the console) must exist for wrangler to bundle.
beforeAll(ensureConsoleBuilt, 120_000);

afterAll(async () => {
  for (const dir of outdirs) await rm(dir, { recursive: true, force: true });
});

describe("wrangler deploy --dry-run", () => {
  it.each(["production", "staging"])("bundles the %s environment", async (environment) => {
    const outdir = await mkdtemp(path.join(os.tmpdir(), "tenantry-bundle-"));
    outdirs.push(outdir);
    const { stdout, stderr } = await run(
      process.execPath,
      [path.join(root, "node_modules/wrangler/bin/wrangler.js"), "deploy", "--dry-run", "--env", environment, "--outdir", outdir],
      { cwd: root, env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" }, timeout: 120_000 },
    );
    const output = stdout + stderr;
    expect(output).toMatch(/--dry-run: exiting now/);
    // Every binding the Worker needs is declared for this environment.
    expect(output).toContain("env.TENANT_RUNTIME (TenantRuntime)");
    expect(output).toContain(`env.PROVISIONING_QUEUE (tenantry-${environment}-provisioning)`);
    expect(output).toContain("env.ASSETS");
    const files = await readdir(outdir);
    const bundle = files.find((file) => file.endsWith(".js"));
    expect(bundle).toBeTruthy();
    expect((await stat(path.join(outdir, bundle!))).size).toBeGreaterThan(10_000);
  });
});
