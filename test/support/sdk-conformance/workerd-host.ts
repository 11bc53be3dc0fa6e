// The conformance checks inside workerd: worker.mjs is bundled with the built SDK by wrangler, as
// `wrangler deploy` would bundle a customer's Worker (no nodejs_compat: a Node built-in anywhere in
// the SDK fails the bundle), then runs in Miniflare and calls the local stack over 127.0.0.1.
import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Miniflare } from "miniflare";
import { CONFORMANCE_DIR, PROJECT_ROOT, type ConformanceResult } from "./runtimes.ts";

const COMPATIBILITY_DATE = "2026-04-20";

async function bundle(dir: string): Promise<string> {
  const config = path.join(dir, "wrangler.json");
  const outdir = path.join(dir, "out");
  await writeFile(config, JSON.stringify({ name: "sdk-conformance", main: path.join(CONFORMANCE_DIR, "worker.mjs"), compatibility_date: COMPATIBILITY_DATE }));
  await new Promise<void>((resolve, reject) => {
    execFile(
      process.execPath,
      [path.join(PROJECT_ROOT, "node_modules/wrangler/bin/wrangler.js"), "deploy", "--dry-run", "--outdir", outdir, "--config", config],
      { cwd: dir, timeout: 60_000, env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" } },
      (error, _stdout, stderr) => (error ? reject(new Error(`bundling the conformance Worker failed: ${stderr || String(error)}`)) : resolve()),
    );
  });
  const module = (await readdir(outdir)).find((file) => file.endsWith(".js"));
  if (!module) throw new Error(`no bundle in ${outdir}`);
  return path.join(outdir, module);
}

export async function runInWorkerd(stack: { baseUrl: string; adminToken: string }): Promise<ConformanceResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "tenantry-sdk-workerd-"));
  let mf: Miniflare | undefined;
  try {
    const scriptPath = await bundle(dir);
    mf = new Miniflare({
      modules: true,
      scriptPath,
      modulesRoot: path.dirname(scriptPath),
      compatibilityDate: COMPATIBILITY_DATE,
      // A placeholder Request.cf: Miniflare would otherwise fetch the real one from Cloudflare.
      cf: false,
      bindings: { TENANTRY_URL: stack.baseUrl, TENANTRY_ADMIN_TOKEN: stack.adminToken },
    });
    const response = await mf.dispatchFetch("http://conformance.local/");
    const text = await response.text();
    if (response.status !== 200) throw new Error(`the conformance Worker answered ${response.status}: ${text.slice(0, 2000)}`);
    return JSON.parse(text) as ConformanceResult;
  } finally {
    await mf?.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}
