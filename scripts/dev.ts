// `npm run dev`: the whole platform on this machine (PostgreSQL, Redis behind the Upstash REST
// bridge, the Neon WebSocket bridge, migrations, the Worker in workerd), stopped together on Ctrl-C.
import { createHash } from "node:crypto";
import { watch } from "node:fs";
import { stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { buildConsole } from "./stack/console-build.js";
import { LOCAL_GATEWAY_SIGNING_SECRET, PROJECT_ROOT, startLocalStack } from "./stack/local-stack.js";
import { parseNetworkModel } from "./stack/network-model.js";

const port = Number(process.env.PORT ?? 8787);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`PORT must be a TCP port, got ${process.env.PORT}`);
  process.exit(2);
}

const upstashUrl = process.env.UPSTASH_REDIS_REST_URL;
const upstashToken = process.env.UPSTASH_REDIS_REST_TOKEN;
if (Boolean(upstashUrl) !== Boolean(upstashToken)) {
  console.error("Set both UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN, or neither.");
  process.exit(2);
}

/** Whether accounts other than the owner may pass through `dir` and every folder above it. */
async function othersCanTraverse(dir: string): Promise<boolean> {
  for (let current = dir; ; current = path.dirname(current)) {
    if (((await stat(current)).mode & 0o001) === 0) return false;
    if (path.dirname(current) === current) return true;
  }
}

/**
 * One state folder per port: a second `npm run dev` on another PORT shares nothing with the first.
 * It lives in `.local/` unless root runs us from a folder the unprivileged database account cannot
 * pass through (a checkout in a `mktemp -d` folder): then in the temp folder, named by checkout.
 */
async function stateDirFor(port: number): Promise<string> {
  const inCheckout = path.join(PROJECT_ROOT, ".local", `dev-${port}`);
  if (process.getuid?.() !== 0 || (await othersCanTraverse(PROJECT_ROOT))) return inCheckout;
  const checkout = createHash("sha256").update(PROJECT_ROOT).digest("hex").slice(0, 12);
  return path.join(os.tmpdir(), `tenantry-dev-${checkout}-${port}`);
}

/** Worker settings `npm run dev` passes on as they are when set (the contract's "Local stack (v1.1)"); unset ones stay off or get local defaults. */
const PASSED_VARS = ["GATEWAY_ORIGIN", "GATEWAY_SIGNING_SECRET", "GATEWAY_SIGNING_KEY_ID", "STRIPE_SECRET_KEY", "STRIPE_METERS", "STRIPE_API_BASE"] as const;
const passedVars = Object.fromEntries(PASSED_VARS.flatMap((name) => (process.env[name] ? [[name, process.env[name]!]] : [])));

const log = (line: string) => console.log(`[tenantry] ${line}`);
const stateDir = await stateDirFor(port);
log(`state in ${stateDir}`);
// The console as it is now (npm install built it once; its sources may have changed since).
await buildConsole();
const stack = await startLocalStack({
  port,
  stateDir,
  adminToken: process.env.ADMIN_TOKEN,
  databaseUrl: process.env.DATABASE_URL,
  upstash: upstashUrl && upstashToken ? { url: upstashUrl, token: upstashToken } : undefined,
  vars: passedVars,
  log,
  workerLog: (line) => console.log(`[worker] ${line}`),
  // TENANTRY_NETWORK=edge: the Worker's hops cost what they would at the edge (docs/BENCHMARKS.md).
  network: parseNetworkModel(process.env.TENANTRY_NETWORK),
}).catch((error: unknown) => {
  console.error(`[tenantry] could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

console.log(`
Tenantry is ready.
  Base URL:     ${stack.baseUrl}   (every path of the API starts with /v1)
  Admin token:  ${stack.adminToken}
  OpenAPI:      ${stack.baseUrl}/openapi.json
  Gateway:      ${stack.baseUrl}/gw/… → ${passedVars.GATEWAY_ORIGIN ?? "each tenant's gateway.origin (GATEWAY_ORIGIN unset)"}
                signed with ${passedVars.GATEWAY_SIGNING_SECRET ? "GATEWAY_SIGNING_SECRET" : `the local secret "${LOCAL_GATEWAY_SIGNING_SECRET}"`} (docs/GATEWAY.md)

  curl -s ${stack.baseUrl}/v1/health
  curl -s -X POST ${stack.baseUrl}/v1/tenants -H "Authorization: Bearer ${stack.adminToken}" \\
       -H "Content-Type: application/json" -d '{"name":"Acme","plan":"pro"}'
`);

let stopping = false;
let reloading: Promise<void> | undefined;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log(`${signal}: stopping every process this started`);
  await reloading?.catch(() => {});
  await stack.stop();
  process.exit(0);
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
// `kill <pid of npm run dev>`: npm passes SIGTERM to the shell it runs this under, and the shell
// dies without passing it on. This process is then adopted by another parent: it stops too.
const parentAtStart = process.ppid;
setInterval(() => {
  if (process.ppid !== parentAtStart) void shutdown("parent exit");
}, 1000).unref();

function watchWorker(): void {
  const worker = stack.worker;
  // After a failed reload no Worker runs until the next save that bundles.
  if (worker.hasExited()) return;
  void worker.exited.then(() => {
    if (!stopping && !reloading && stack.worker === worker) {
      log("the Worker exited unexpectedly; stopping");
      void shutdown("worker exit");
    }
  });
}
watchWorker();

// Edits to the Worker's sources: bundle again and restart it (about ten seconds; data stays).
let reloadTimer: NodeJS.Timeout | undefined;
const reload = () => {
  if (stopping) return;
  if (reloading) {
    reloadTimer = setTimeout(reload, 300);
    return;
  }
  log("sources changed: bundling and restarting the Worker");
  reloading = stack.reloadWorker().then(
    () => log("the Worker runs the new code"),
    (error: unknown) => log(`reload failed (fix the code and save again): ${error instanceof Error ? error.message : String(error)}`),
  );
  void reloading.finally(() => {
    reloading = undefined;
    watchWorker();
  });
};
// Edits to the console: build it again (the Worker serves the new files from the next request).
let consoleTimer: NodeJS.Timeout | undefined;
watch(path.join(PROJECT_ROOT, "console/src"), { recursive: true }, () => {
  clearTimeout(consoleTimer);
  consoleTimer = setTimeout(() => {
    buildConsole().then(
      () => log("console rebuilt"),
      (error: unknown) => log(`console build failed: ${error instanceof Error ? error.message : String(error)}`),
    );
  }, 300);
});
for (const dir of ["src", "workers", "durable-objects"]) {
  watch(path.join(PROJECT_ROOT, dir), { recursive: true }, () => {
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(reload, 300);
  });
}
