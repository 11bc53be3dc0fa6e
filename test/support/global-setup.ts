// Starts the same local stack as `npm run dev` (in a fresh temporary folder) for the integration
// suite, and a small control server so tests can stop and start its parts to simulate outages.
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { freePort } from "../../scripts/stack/ports.js";
import { startLocalStack, type LocalStack } from "../../scripts/stack/local-stack.js";
import { treeRss } from "./process-memory.ts";

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
    adminToken: string;
    databaseUrl: string;
    /** What the Worker uses: PgBouncer (transaction mode) in front of the same database. */
    pooledDatabaseUrl: string;
    upstashUrl: string;
    upstashToken: string;
    /** Redis itself, behind the Upstash bridge: for tests that make Upstash slow (commands the bridge refuses, as Upstash does). */
    redisUrl: string;
    controlUrl: string;
  }
}

/** base64 of 32 bytes; tests only. */
export const TEST_MASTER_KEY = "dGVuYW50cnktaW50ZWdyYXRpb24tdGVzdHMta2V5ISE=";

let stack: LocalStack | undefined;
let control: Server | undefined;
let stateDir: string | undefined;
let workerLines: string[] = [];
/** Requests the Worker itself found stuck: rare and what matters most, so all of them are kept. */
let stuckLines: string[] = [];
const STUCK = /request still unanswered|runtime admission timed out"/;

export async function setup(project: TestProject): Promise<void> {
  stateDir = await mkdtemp(path.join(os.tmpdir(), "tenantry-test-"));
  workerLines = [];
  stuckLines = [];
  stack = await startLocalStack({
    port: await freePort(),
    stateDir,
    vars: {
      USAGE_FLUSH_INTERVAL_MS: "500",
      TENANT_RETENTION_DAYS: "30",
      TEST_HOOKS: "1",
      LEASE_TTL_MS: "3000",
      // Known to the token tests, which verify signatures with it.
      JWT_SECRET: "integration-tests-only-jwt-secret-0123456789",
      // Known to the rotation test, which restarts the Worker with a new one.
      MASTER_KEY: TEST_MASTER_KEY,
      // Webhooks: the contract's 5 s … 6 h retries, 15 s deadline and 3-day disabling, compressed.
      WEBHOOK_RETRY_SCHEDULE_MS: "1000,2000,3000",
      WEBHOOK_TIMEOUT_MS: "1500",
      WEBHOOK_DISABLE_AFTER_MS: "14000",
    },
    workerLog: (line) => {
      workerLines.push(line);
      if (workerLines.length > 2000) workerLines.shift();
      if (STUCK.test(line)) stuckLines.push(line);
      if (process.env.TENANTRY_WORKER_LOG) console.log(`[worker] ${line}`);
    },
  });
  const running = stack;
  const actions: Record<string, (body: string) => Promise<void>> = {
    "postgres/stop": async () => running.postgres?.stop(),
    "postgres/start": async () => running.postgres?.start(),
    "redis/stop": async () => running.redis?.stop(),
    "redis/start": async () => running.redis?.start(),
    // Body: optional JSON object of variables to change for the restarted Worker (null removes one).
    "worker/restart": async (body) => running.restartWorker(body ? (JSON.parse(body) as Record<string, string | null>) : {}),
  };
  const controlPort = await freePort();
  control = createServer((req, res) => {
    if (req.method === "GET" && req.url === "/worker/memory") {
      // Resident memory of the Worker's host and its workerd, for tests that prove a body streams.
      treeRss(running.worker.pid).then(
        (rssBytes) => res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ rssBytes })),
        (error: unknown) => res.writeHead(500).end(String(error)),
      );
      return;
    }
    const action = actions[(req.url ?? "").replace(/^\//, "")];
    if (req.method !== "POST" || !action) {
      res.writeHead(404).end();
      return;
    }
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      action(body).then(
        () => res.writeHead(204).end(),
        (error: unknown) => res.writeHead(500).end(String(error)),
      );
    });
  });
  await new Promise<void>((resolve) => control!.listen(controlPort, "127.0.0.1", resolve));

  project.provide("baseUrl", stack.baseUrl);
  project.provide("adminToken", stack.adminToken);
  project.provide("databaseUrl", stack.databaseUrl);
  project.provide("pooledDatabaseUrl", stack.workerDatabaseUrl);
  project.provide("upstashUrl", stack.upstash.url);
  project.provide("upstashToken", stack.upstash.token);
  project.provide("redisUrl", stack.redis?.url ?? "");
  project.provide("controlUrl", `http://127.0.0.1:${controlPort}`);
}

/** CI sets TENANTRY_WORKER_ERRORS so that a failed run shows what the Worker logged as errors. */
function printWorkerErrors(): void {
  if (!process.env.TENANTRY_WORKER_ERRORS) return;
  const clean = (line: string) => line.replace(/\x1b\[[0-9;]*m/g, "").slice(0, 600);
  if (stuckLines.length > 0) console.log(`worker requests found stuck (${stuckLines.length}):`);
  for (const line of stuckLines) console.log(`  ${clean(line)}`);
  const errors = workerLines.filter((line) => line.includes('"level":"error"')).slice(-30);
  if (errors.length === 0) return;
  console.log(`worker errors (last ${errors.length}, outage tests cause some on purpose):`);
  for (const line of errors) console.log(`  ${clean(line)}`);
}

export async function teardown(): Promise<void> {
  printWorkerErrors();
  await new Promise<void>((resolve) => (control ? control.close(() => resolve()) : resolve()));
  await stack?.stop();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
}
