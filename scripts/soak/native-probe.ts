// Diagnostics: how much native memory workerd keeps per request of ONE kind. Starts the local stack
// (as the soak does: TEST_HOOKS, no request log), creates a few tenants, sends a warm-up, then rounds
// of a fixed number of requests of one kind, and after each round reads workerd's RSS and tcmalloc's
// "in use" (scripts/soak/workerd-malloc.ts, through gdb). Prints the growth per 10 000 requests.
//
//   npx tsx scripts/soak/native-probe.ts --kind write --requests 4000 --rounds 5 --tenants 300 --inspector session
//
// Kinds: notfound, health, read, list, write, gateway, refused, malformed, realtime, plan. Findings:
// docs/RELIABILITY.md, "Session 9".
//
// --inspector off: no inspector port; port: workerd's inspector port open, no session attached;
// session: sessions attached for the whole run and a full GC through them before every sample (what the
// soak does); sample: sessions opened for each sample's GC and closed after it.
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { processRss, treeRss } from "../../test/support/process-memory.ts";
import { WorkerdInspector } from "../stack/isolate-inspector.ts";
import { startLocalStack } from "../stack/local-stack.ts";
import { freePort } from "../stack/ports.ts";
import { mapLimit, request } from "./client.ts";
import { startSoakOrigin } from "./origin.ts";
import { createTenant, waitAllActive } from "./tenants.ts";
import { workerdAllocatorStats } from "./workerd-malloc.ts";
import { workerdBelow } from "./workerd-native.ts";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

const { values: args } = parseArgs({
  options: {
    kind: { type: "string", default: "read" },
    requests: { type: "string", default: "5000" },
    rounds: { type: "string", default: "4" },
    warmup: { type: "string", default: "2000" },
    tenants: { type: "string", default: "10" },
    concurrency: { type: "string", default: "8" },
    inspector: { type: "string", default: "off" },
    vars: { type: "string", default: "" },
    // A dependency down for the whole measurement (after the warm-up): the error paths' cost.
    down: { type: "string", default: "" },
  },
});
const kind = args.kind!;
const perRound = Number(args.requests);
const rounds = Number(args.rounds);
const mode = args.inspector as "off" | "port" | "session" | "sample";
const MiB = 2 ** 20;

if (mode !== "off") process.env.WORKER_INSPECTOR_PORT = String(await freePort());
const stateDir = await mkdtemp(path.join(os.tmpdir(), "tenantry-probe-"));
const extraVars = Object.fromEntries(args.vars!.split(",").filter(Boolean).map((pair) => pair.split("=") as [string, string]));
const stack = await startLocalStack({
  port: await freePort(),
  stateDir,
  requestLog: false,
  vars: { TEST_HOOKS: "1", TEST_RETRY_BACKOFF: "real", ...extraVars },
  log: () => {},
});
const origin = await startSoakOrigin();
const inspector = mode === "session" ? new WorkerdInspector(Number(process.env.WORKER_INSPECTOR_PORT)) : undefined;

/** A full GC of every isolate: through the kept sessions (session), or sessions opened for it and closed (sample). */
async function collect() {
  // workerd serves an inspector command only while the isolate runs: a few requests wake it.
  const wake = setInterval(() => void request(stack.baseUrl, "GET", "/probe-wake").catch(() => {}), 200);
  try {
    return await collectOnce();
  } finally {
    clearInterval(wake);
  }
}

async function collectOnce() {
  if (inspector) return inspector.collectAll();
  if (mode !== "sample") return undefined;
  const once = new WorkerdInspector(Number(process.env.WORKER_INSPECTOR_PORT));
  try {
    return await once.collectAll();
  } finally {
    once.close();
  }
}

async function sample(label: string, done: number) {
  const gc = await collect();
  if (gc) await new Promise((resolve) => setTimeout(resolve, 200));
  const pid = await workerdBelow(stack.worker.pid);
  const rss = pid ? await processRss(pid) : (await treeRss(stack.worker.pid)) - (await processRss(stack.worker.pid));
  const malloc = pid ? await workerdAllocatorStats(pid) : undefined;
  const line = { label, done, rssMiB: +(rss / MiB).toFixed(1), inUseMiB: malloc ? +(malloc.inUse / MiB).toFixed(2) : null, heldMiB: malloc ? +(malloc.footprint / MiB).toFixed(1) : null, liveHeapMiB: gc ? +(gc.usedBytes / MiB).toFixed(1) : null, collected: gc?.collected ?? null };
  console.log(JSON.stringify(line));
  return line;
}

try {
  const tenants = await mapLimit(Array.from({ length: Number(args.tenants) }, (_, i) => i), 8, (i) => createTenant(stack.baseUrl, stack.adminToken, `probe-${i}`, origin.url));
  await waitAllActive(stack.baseUrl, stack.adminToken, tenants.map((t) => t.id), 120_000);
  const wsUrl = `${stack.baseUrl.replace(/^http/, "ws")}/v1/realtime`;
  const statuses = new Map<string, number>();
  const one = async (i: number) => {
    const tenant = tenants[i % tenants.length]!;
    const opts = { token: tenant.key };
    let status: number | null = null;
    switch (kind) {
      case "health":
        status = (await request(stack.baseUrl, "GET", "/v1/health")).status;
        break;
      case "read":
        status = (await request(stack.baseUrl, "GET", `/v1/maps/soak/k${i % 3}`, opts)).status;
        break;
      case "list":
        status = (await request(stack.baseUrl, "GET", "/v1/maps/soak?limit=10", opts)).status;
        break;
      case "write":
        status = (await request(stack.baseUrl, "PUT", `/v1/maps/soak/k${i % 3}`, { ...opts, rawBody: JSON.stringify({ i }) })).status;
        break;
      case "gateway":
        status = (await request(stack.baseUrl, "GET", `/gw/echo?n=${i}`, opts)).status;
        break;
      case "refused":
        status = (await request(stack.baseUrl, "GET", "/v1/maps/soak/k0", { token: "tk_live_nope" })).status;
        break;
      case "malformed":
        status = (await request(stack.baseUrl, "PUT", "/v1/maps/soak/k0", { ...opts, rawBody: "{not json", headers: { "Content-Type": "text/plain" } })).status;
        break;
      case "plan":
        status = (await request(stack.baseUrl, "PATCH", `/v1/tenants/${tenant.id}`, { token: stack.adminToken, body: { plan: i % 2 ? "enterprise" : "pro" } })).status;
        break;
      case "notfound":
        status = (await request(stack.baseUrl, "GET", "/nope", opts)).status;
        break;
      case "realtime":
        status = await new Promise<number | null>((resolve) => {
          const ws = new WebSocket(wsUrl, { headers: { Authorization: `Bearer ${tenant.key}` } });
          const timer = setTimeout(() => (ws.terminate(), resolve(null)), 10_000);
          ws.once("open", () => ws.send(JSON.stringify({ id: 1, op: "subscribe", map: "soak" })));
          ws.once("message", () => ws.close());
          ws.once("close", () => (clearTimeout(timer), resolve(101)));
          ws.once("error", () => (clearTimeout(timer), resolve(null)));
        });
        break;
      default:
        throw new Error(`unknown --kind ${kind}`);
    }
    statuses.set(String(status), (statuses.get(String(status)) ?? 0) + 1);
  };
  const run = (n: number, offset: number) => mapLimit(Array.from({ length: n }, (_, i) => offset + i), Number(args.concurrency), one);
  const started = Date.now();
  await run(Number(args.warmup), 0);
  if (args.down === "redis" && stack.redis) {
    process.kill(stack.redis.pid, "SIGKILL");
    await new Promise((resolve) => setTimeout(resolve, 500));
  } else if (args.down === "postgres") await stack.postgres?.kill();
  else if (args.down === "origin") await origin.down();
  const first = await sample(`after warm-up${args.down ? `, ${args.down} down` : ""}`, 0);
  let last = first;
  for (let round = 1; round <= rounds; round++) {
    const t = Date.now();
    await run(perRound, round * perRound);
    last = await sample(`round ${round} (${((perRound * 1000) / (Date.now() - t)).toFixed(0)} req/s)`, round * perRound);
  }
  const per10k = (a: number | null, b: number | null) => (a === null || b === null ? "?" : (((b - a) * 10_000) / (rounds * perRound)).toFixed(2));
  console.log(
    `RESULT kind=${kind} inspector=${mode} down=${args.down || "-"} tenants=${args.tenants} requests=${rounds * perRound} statuses=${JSON.stringify(Object.fromEntries(statuses))} ` +
      `rss ${first.rssMiB}→${last.rssMiB} MiB (${per10k(first.rssMiB, last.rssMiB)} MiB/10k), in use ${first.inUseMiB}→${last.inUseMiB} MiB (${per10k(first.inUseMiB, last.inUseMiB)} MiB/10k), ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
} finally {
  inspector?.close();
  await origin.close();
  await stack.stop();
  await rm(stateDir, { recursive: true, force: true });
}
