// Where the runtimes of the SDK's conformance runs are, and how one run is spawned and read.
import { execFile } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";

export const PROJECT_ROOT = path.resolve(import.meta.dirname, "../../..");
export const CONFORMANCE_DIR = path.join(PROJECT_ROOT, "test/support/sdk-conformance");
const RESULT_MARKER = "CONFORMANCE_RESULT ";

export interface CheckResult {
  name: string;
  ok: boolean;
  ms: number;
  error?: string;
  skipped?: string;
}

export interface ConformanceResult {
  runtime: string;
  ok: boolean;
  checks: CheckResult[];
  /** What main.mjs passed in because the runtime had none (Node < 22: WebSocket; Node 18: WebCrypto). */
  provided?: { crypto: boolean; WebSocket: boolean };
}

/** Every check conformance.mjs makes, in order: a runtime that stops early or skips one fails. */
export const CHECK_NAMES = [
  "admin: create a tenant with an Idempotency-Key",
  "admin: wait until the tenant is active",
  "tenant: maps put and get, If-Match",
  "errors: 412 and 404 as typed problems",
  "pagination: async iterator over pages of one",
  "realtime: a subscription receives a change event",
  "webhooks: Standard Webhooks vector",
  "gateway: RFC 9421 vector",
];

/** The machine's own Node (Debian's, 20 here), not the project's Node 22: the SDK promises Node ≥ 18. */
export const SYSTEM_NODE = process.env.SYSTEM_NODE_PATH ?? "/usr/bin/node";

const require = createRequire(import.meta.url);

/** The first of `candidates` (paths inside node_modules) that is a real executable, not an npm placeholder. */
function firstBinary(what: string, candidates: string[]): string {
  for (const candidate of candidates) {
    let file: string;
    try {
      file = require.resolve(candidate);
    } catch {
      continue;
    }
    // Bun ships a 450-byte placeholder that its postinstall replaces; the binaries are ~100 MB.
    if (existsSync(file) && statSync(file).size > 1_000_000) return file;
  }
  throw new Error(`${what}: no binary in node_modules (tried ${candidates.join(", ")}); run npm ci`);
}

/**
 * Deno and Bun come from the npm packages `deno` and `bun` (devDependencies). Their postinstall
 * scripts only move the platform package's binary into place; where they did not run
 * (--ignore-scripts, or an npm that blocks unapproved scripts), the platform package has it.
 */
export const denoBinary = () => firstBinary("deno", ["deno/deno", "@deno/linux-x64-glibc/deno", "@deno/linux-arm64-glibc/deno"]);
export const bunBinary = () =>
  firstBinary("bun", ["bun/bin/bun.exe", "@oven/bun-linux-x64/bin/bun", "@oven/bun-linux-x64-baseline/bin/bun", "@oven/bun-linux-aarch64/bin/bun"]);

async function newestMtime(dir: string): Promise<number> {
  const files = await readdir(dir, { recursive: true });
  const times = await Promise.all(files.map(async (file) => (await stat(path.join(dir, file))).mtimeMs));
  return Math.max(0, ...times);
}

/** Rebuilds sdk/dist when sdk/src changed after it was built (npm ci builds it; an edit does not). */
export async function ensureSdkBuilt(): Promise<void> {
  const built = path.join(PROJECT_ROOT, "sdk/dist/index.js");
  if (existsSync(built) && (await stat(built)).mtimeMs >= (await newestMtime(path.join(PROJECT_ROOT, "sdk/src")))) return;
  await run(process.execPath, [path.join(PROJECT_ROOT, "node_modules/typescript/bin/tsc"), "-p", "sdk/tsconfig.build.json"], {}, 120_000);
}

function run(command: string, args: string[], env: Record<string, string>, timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd: PROJECT_ROOT, env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== "number") {
        reject(new Error(`${path.basename(command)} ${args.join(" ")}: ${error.message}\n${stderr}`));
        return;
      }
      resolve({ code: typeof error?.code === "number" ? error.code : 0, stdout, stderr });
    });
  });
}

/** Spawns main.mjs under `command args…` and returns the result it printed (or why there is none). */
export async function runConformanceScript(command: string, args: string[], stack: { baseUrl: string; adminToken: string }): Promise<ConformanceResult> {
  const { code, stdout, stderr } = await run(
    command,
    [...args, path.join(CONFORMANCE_DIR, "main.mjs")],
    { TENANTRY_URL: stack.baseUrl, TENANTRY_ADMIN_TOKEN: stack.adminToken, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
    45_000,
  );
  const line = stdout.split("\n").find((l) => l.startsWith(RESULT_MARKER));
  if (!line) throw new Error(`${path.basename(command)} printed no result (exit ${code}):\n${stdout}\n${stderr}`.slice(0, 4000));
  const result = JSON.parse(line.slice(RESULT_MARKER.length)) as ConformanceResult;
  if (result.ok !== (code === 0)) throw new Error(`exit code ${code} disagrees with the result ${JSON.stringify(result)}`);
  return result;
}

/** "name: error" for every failed check, for an assertion message that says what broke. */
export function failures(result: ConformanceResult): string[] {
  return result.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.error}`);
}
