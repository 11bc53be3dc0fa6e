// Runs the Worker locally in workerd through Miniflare (started as a child process by
// local-stack.ts; stopped by SIGTERM or SIGINT).
//
// Why not `wrangler dev`: it puts a proxy Worker in front of yours, and that proxy loses requests.
// Under concurrent load a request it forwards now and then fails with "Network connection lost"
// (a kept-alive connection closed under it). It then answers a PUT or POST with its own 503 "Your
// worker restarted mid-request" — the Worker never restarted — and parks a GET until the next
// request comes in, so the last GET of a burst can wait forever (cloudflare/workers-sdk#14641,
// #15252). Here clients talk to workerd itself, as they talk to Cloudflare's edge in production.
//
// The Worker is bundled by wrangler (`wrangler deploy --dry-run`: the same bundle a deploy uploads)
// when the bundle folder holds none yet; a restart runs the same bundle, so one stack runs one
// version of the code however the sources change meanwhile. Its bindings come from the same
// wrangler config, so this runs what ships.
//
// Usage: worker-host.ts --config <wrangler.toml> --port <n> --persist-to <dir> --env-file <file> --bundle-dir <dir> [--no-request-log]
import { execFile } from "node:child_process";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { Log, LogLevel, Miniflare, type WorkerOptions } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { readEnvFile } from "./env-file.ts";
import { assetsFrom } from "./static-assets.ts";

const PROJECT_ROOT = path.resolve(import.meta.dirname, "../..");

const { values: args } = parseArgs({
  options: {
    config: { type: "string" },
    port: { type: "string" },
    "persist-to": { type: "string" },
    "env-file": { type: "string" },
    "bundle-dir": { type: "string" },
    "no-request-log": { type: "boolean" },
  },
});
const config = args.config ?? path.join(PROJECT_ROOT, "wrangler.toml");
const port = Number(args.port);
if (!Number.isInteger(port) || !args["persist-to"] || !args["env-file"] || !args["bundle-dir"]) {
  console.error("worker-host: --port, --persist-to, --env-file and --bundle-dir are required");
  process.exit(2);
}

/** The deploy bundle of the config's Worker in `outdir` (made if missing); returns the module's path. */
async function bundle(outdir: string): Promise<string> {
  const existing = await findModule(outdir);
  if (existing) return existing;
  await new Promise<void>((resolve, reject) => {
    execFile(
      process.execPath,
      [path.join(PROJECT_ROOT, "node_modules/wrangler/bin/wrangler.js"), "deploy", "--dry-run", "--outdir", outdir, "--config", config],
      { cwd: PROJECT_ROOT, timeout: 180_000, env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" } },
      (error, _stdout, stderr) => (error ? reject(new Error(`bundling the Worker failed: ${stderr || String(error)}`)) : resolve()),
    );
  });
  const module = await findModule(outdir);
  if (!module) throw new Error(`no bundle in ${outdir}`);
  return module;
}

async function findModule(dir: string): Promise<string | undefined> {
  const module = (await readdir(dir).catch(() => [])).find((file) => file.endsWith(".js"));
  return module && path.join(dir, module);
}

const scriptPath = await bundle(args["bundle-dir"]!);
const { workerOptions: configured } = unstable_getMiniflareWorkerOptions(config);
// With [assets], Miniflare puts an asset router in front of the Worker, and that router has no
// scheduled handler (GET /cdn-cgi/handler/scheduled fails). The Worker runs first for every path
// anyway (run_worker_first = true), so locally it gets ASSETS as a binding that reads the folder.
const { assets, ...workerOptions } = configured;
const mainWorker: WorkerOptions = {
  ...workerOptions,
  serviceBindings: { ...workerOptions.serviceBindings, ...(assets?.binding ? { [assets.binding]: assetsFrom(assets.directory) } : {}) },
  name: "tenantry",
  modules: true,
  scriptPath,
  modulesRoot: path.dirname(scriptPath),
  bindings: { ...workerOptions.bindings, ...(await readEnvFile(args["env-file"]!)) },
};
const mf = new Miniflare({
  workers: [mainWorker, ...copyApart(Number(process.env.WORKER_COPY_APART_PORT))],
  host: "127.0.0.1",
  port,
  // No fetch of Request.cf data from workers.cloudflare.com: the local stack talks only to 127.0.0.1.
  cf: false,
  defaultPersistRoot: args["persist-to"],
  // GET /cdn-cgi/handler/scheduled?cron=… runs the cron handler now (local only, like `wrangler dev --test-scheduled`).
  unsafeTriggerHandlers: true,
  log: new Log(LogLevel.INFO),
  // Each request line travels from workerd to this process: CPU a benchmark should not count.
  logRequests: !args["no-request-log"],
  // WORKER_INSPECTOR_PORT: a DevTools endpoint on the Worker's isolate (heap snapshots while
  // investigating memory, e.g. scripts/soak/heap-probe.ts). Off unless asked for.
  ...(process.env.WORKER_INSPECTOR_PORT ? { inspectorPort: Number(process.env.WORKER_INSPECTOR_PORT) } : {}),
});

/**
 * Benchmarks only (WORKER_COPY_APART_PORT, set by bench/lib/stack.ts for BENCH_NOISY_FLOOD=apart): a
 * second copy of the Worker on a socket of its own. A script runs in isolates of its own, so what the
 * copy's requests allocate is collected in another heap than the main Worker's, while they share its
 * workerd, its thread, its runtime objects (bound to the main Worker's class) and its stores. No queue
 * consumer, no cron.
 */
function copyApart(port: number): WorkerOptions[] {
  if (!Number.isInteger(port) || port <= 0) return [];
  const { queueConsumers: _consumers, ...copy } = mainWorker;
  const runtimeObjects = Object.fromEntries(
    Object.entries(mainWorker.durableObjects ?? {}).map(([binding, target]) => [
      binding,
      { className: typeof target === "string" ? target : (target as { className: string }).className, scriptName: mainWorker.name, useSQLite: true },
    ]),
  );
  return [{ ...copy, name: `${mainWorker.name}-apart`, durableObjects: runtimeObjects, unsafeDirectSockets: [{ host: "127.0.0.1", port }] }];
}

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await mf.dispose().catch(() => {});
  process.exit(0);
}
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());

const url = await mf.ready;
console.log(`Ready on ${url.origin}`);
