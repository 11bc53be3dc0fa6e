// Counts per request, for the capacity model (docs/CAPACITY.md, `npm run capacity`): per kind of
// work, the average Worker invocations, runtime-object calls and wall time, SQLite rows, Upstash
// commands, Postgres round trips, statements and transactions, queue messages and workerd CPU.
// Each kind runs between two readings of every counter, once the system has gone quiet (usage
// flushes included), so work done after the response is counted too:
//   the benchmark Worker's own counters (GET /bench/counts, bench/worker/op-counts.ts),
//   the local bridges' (Upstash commands; Postgres statements read off the wire),
//   the CPU of the workerd process (bench/lib/cpu.ts).
// A count the model needs that comes out missing or zero fails the scenario (checkCounts).
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import WebSocket from "ws";
import { checkCounts, COUNT_FIELDS, KINDS, type Counts, type CountsReport, type Kind, type KindCounts } from "../../scripts/capacity/counts.ts";
import { UNLIMITED, sleep, type BenchTenant } from "../lib/admin.ts";
import { cpuDelta, cpuSnapshot, type CpuTimes } from "../lib/cpu.ts";
import { figure, type BenchContext, type Figure, type Scenario, type ScenarioResult } from "../lib/scenario.ts";
import type { StackStats } from "../lib/stack.ts";
import { readTarget } from "../lib/targets.ts";
import type { WorkerCounts } from "../worker/op-counts.ts";

const QUIET_POLL_MS = 400;
/** Longer than the bench config's USAGE_FLUSH_INTERVAL_MS (2 s): usage reaches Postgres inside the window. */
const MAX_QUIET_WAIT_MS = 15_000;
const LIST_MAP = "bench-counts";

/** Four decimals; NaN stays NaN (checkCounts refuses it). */
const round = (value: number) => Math.round(value * 10_000) / 10_000;

interface Reading {
  worker: WorkerCounts;
  stack: StackStats;
  cpu: CpuTimes | undefined;
}

async function read(ctx: BenchContext): Promise<Reading> {
  const response = await fetch(`${ctx.stack.baseUrl}/bench/counts`);
  if (response.status !== 200) throw new Error(`GET /bench/counts answered ${response.status}: the benchmark Worker keeps no counters`);
  return { worker: (await response.json()) as WorkerCounts, stack: await ctx.stack.stats(), cpu: cpuSnapshot() };
}

/** What moves when anything happens anywhere: equal twice in a row means the system is quiet. */
const activity = (r: Reading) =>
  [r.worker.fetch, r.worker.doCalls, r.worker.doAlarms, r.worker.doWebSocketMessages, r.worker.queueMessagesReceived, r.stack.upstash.commands, r.stack.postgres.statements, r.stack.postgres.clientMessages].join();

/** Waits (bounded) until nothing moves for two polls, or `until` holds and nothing moves; returns the last reading. */
async function quiet(ctx: BenchContext, until: (r: Reading) => boolean = () => true): Promise<Reading> {
  const deadline = Date.now() + MAX_QUIET_WAIT_MS;
  let last = await read(ctx);
  for (;;) {
    await sleep(QUIET_POLL_MS);
    const next = await read(ctx);
    if (activity(next) === activity(last) && until(next)) return next;
    if (Date.now() > deadline) {
      if (!until(next)) throw new Error("counts: the awaited work did not happen within 15 s");
      ctx.log("  (still busy after 15 s: counting what happened so far)");
      return next;
    }
    last = next;
  }
}

function perUnit(before: Reading, after: Reading, units: number): Counts {
  const w = (field: keyof WorkerCounts) => (after.worker[field] as number) - (before.worker[field] as number);
  const pg = (field: keyof StackStats["postgres"]) => after.stack.postgres[field] - before.stack.postgres[field];
  const cpu = cpuDelta(before.cpu, after.cpu);
  const total: Counts = {
    workerInvocations: w("fetch") + w("queueBatches") + w("scheduled"),
    doCalls: w("doCalls"),
    doAlarms: w("doAlarms"),
    doWebSocketMessages: w("doWebSocketMessages"),
    doWallMs: w("doCallWallMs") + w("doAlarmWallMs") + w("doWebSocketWallMs"),
    doRowsRead: w("doRowsRead"),
    doRowsWritten: w("doRowsWritten"),
    upstashCommands: after.stack.upstash.commands - before.stack.upstash.commands,
    upstashRequests: after.stack.upstash.requests - before.stack.upstash.requests,
    pgRoundTrips: pg("clientMessages") + pg("httpRequests"),
    pgStatements: pg("statements"),
    pgTransactions: pg("transactions"),
    pgHeldRoundTrips: pg("heldRoundTrips"),
    pgConnections: pg("connections") + pg("httpRequests"),
    queueMessagesSent: w("queueMessagesSent"),
    queueMessagesReceived: w("queueMessagesReceived"),
    // NaN (caught by checkCounts) where /proc cannot be read.
    workerCpuMs: cpu?.workerd ?? Number.NaN,
  };
  return Object.fromEntries(COUNT_FIELDS.map((field) => [field, round(total[field] / units)])) as unknown as Counts;
}

/** Runs `work` between two quiet readings; `units` is how many of the kind it did. */
async function measure(
  ctx: BenchContext,
  kind: Kind,
  work: () => Promise<{ units: number; notes?: Record<string, number | string> }>,
): Promise<KindCounts> {
  const before = await quiet(ctx);
  const { units, notes } = await work();
  const after = await quiet(ctx);
  const counts = perUnit(before, after, units);
  ctx.log(`  ${kind} (${units}): ${COUNT_FIELDS.filter((f) => counts[f] !== 0).map((f) => `${f} ${counts[f]}`).join(", ")}`);
  return { kind, samples: units, counts, ...(notes ? { notes } : {}) };
}

async function sequential(ctx: BenchContext, n: number, request: (i: number) => { path: string; init: RequestInit }): Promise<{ statuses: Map<number, number>; dbTrips: number }> {
  const statuses = new Map<number, number>();
  let dbTrips = 0;
  for (let i = 0; i < n; i++) {
    const { path, init } = request(i);
    const response = await fetch(`${ctx.stack.baseUrl}${path}`, init);
    await response.arrayBuffer();
    statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    dbTrips += Number(/(?:^|,\s*)db=(\d+)/.exec(response.headers.get("x-round-trips") ?? "")?.[1] ?? 0);
  }
  return { statuses, dbTrips };
}

function expectStatus(kind: Kind, statuses: Map<number, number>, status: number, atLeast: number): void {
  const got = statuses.get(status) ?? 0;
  if (got < atLeast) throw new Error(`counts: ${kind} wanted at least ${atLeast} answers ${status}, got ${JSON.stringify(Object.fromEntries(statuses))}`);
}

function openSocket(url: string, token: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers: { Authorization: `Bearer ${token}` } });
    const timer = setTimeout(() => reject(new Error("counts: WebSocket upgrade timed out")), 10_000);
    socket.once("open", () => (clearTimeout(timer), resolve(socket)));
    socket.once("unexpected-response", (_req, res) => (clearTimeout(timer), reject(new Error(`counts: WebSocket upgrade answered ${res.statusCode}`))));
    socket.once("error", (error) => (clearTimeout(timer), reject(error)));
  });
}

/** Sends frames one at a time, each awaited by its reply. */
function frames(socket: WebSocket) {
  let nextId = 1;
  const waiting = new Map<number, (frame: { ok?: boolean; error?: unknown }) => void>();
  socket.on("message", (data) => {
    const frame = JSON.parse(String(data)) as { id?: number; ok?: boolean };
    if (typeof frame.id === "number") waiting.get(frame.id)?.(frame);
  });
  return (frame: Record<string, unknown>) =>
    new Promise<{ ok?: boolean; error?: unknown }>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => reject(new Error(`counts: no reply to ${String(frame.op)}`)), 5000);
      waiting.set(id, (reply) => (clearTimeout(timer), waiting.delete(id), resolve(reply)));
      socket.send(JSON.stringify({ id, ...frame }));
    });
}

/** Creates tenants one after another, each counted until its provisioning message has been handled. */
async function provision(ctx: BenchContext, kind: Kind, plan: string, n: number): Promise<KindCounts & { tenants: BenchTenant[] }> {
  const tenants: BenchTenant[] = [];
  const result = await measure(ctx, kind, async () => {
    for (let i = 0; i < n; i++) {
      const before = await read(ctx);
      tenants.push(await ctx.api.createTenant(plan));
      await quiet(ctx, (r) => r.worker.queueMessagesReceived > before.worker.queueMessagesReceived);
    }
    return { units: n };
  });
  // Checked after the second reading, so the status reads are not counted.
  for (const tenant of tenants) await ctx.api.waitActive(tenant.id, { everyMs: 200, timeoutMs: 30_000 });
  return { ...result, tenants };
}

export const countsScenario: Scenario = {
  id: "counts",
  title: "counts per request for the capacity model: invocations, runtime-object calls, Upstash commands, Postgres statements, queue messages, CPU",
  async run(ctx) {
    await switchCounting(ctx, true);
    try {
      return await countAll(ctx);
    } finally {
      await switchCounting(ctx, false);
    }
  },
};

async function switchCounting(ctx: BenchContext, on: boolean): Promise<void> {
  const response = await fetch(`${ctx.stack.baseUrl}/bench/counts?on=${on ? 1 : 0}`, { method: "POST" });
  if (response.status !== 200) throw new Error(`POST /bench/counts answered ${response.status}: the benchmark Worker keeps no counters`);
}

async function countAll(ctx: BenchContext): Promise<Omit<ScenarioResult, "id" | "title">> {
  const quick = ctx.profile.name === "quick";
  const n = quick ? 150 : 600;
  const target = await readTarget(ctx);
  if (target.kind !== "maps") throw new Error("counts: the maps API is not mounted; the model needs its reads and writes");
  const auth = target.headers;
  const json = { ...auth, "Content-Type": "application/json" };
  // Warm the isolate's caches and the runtime object: a cached-tenant read is what is measured.
  await sequential(ctx, 20, () => ({ path: target.path, init: { headers: auth } }));
  for (let i = 0; i < 20; i++) await ctx.api.putRecord(target.tenant, LIST_MAP, `k${i}`, { i });

  const kinds: Partial<Record<Kind, KindCounts>> = {};
  kinds.read = await measure(ctx, "read", async () => {
    const { statuses, dbTrips } = await sequential(ctx, n, () => ({ path: target.path, init: { headers: auth } }));
    expectStatus("read", statuses, 200, n);
    return { units: n, notes: { dbRoundTripsInResponse: round(dbTrips / n) } };
  });
  kinds.write = await measure(ctx, "write", async () => {
    const writes = Math.ceil(n / 2);
    const { statuses, dbTrips } = await sequential(ctx, writes, (i) => ({
      path: `/v1/maps/${LIST_MAP}/w${i % 50}`,
      init: { method: "PUT", headers: json, body: JSON.stringify({ i, note: "counts" }) },
    }));
    expectStatus("write", statuses, 200, writes);
    return { units: writes, notes: { dbRoundTripsInResponse: round(dbTrips / writes) } };
  });
  kinds.list = await measure(ctx, "list", async () => {
    const lists = Math.ceil(n / 2);
    const { statuses, dbTrips } = await sequential(ctx, lists, () => ({ path: `/v1/maps/${LIST_MAP}?limit=20`, init: { headers: auth } }));
    expectStatus("list", statuses, 200, lists);
    return { units: lists, notes: { dbRoundTripsInResponse: round(dbTrips / lists), recordsPerPage: 20 } };
  });

  const limited = await ctx.api.createActiveTenant("free", { requestsPerSecond: 1, burst: 1 });
  await sequential(ctx, 5, () => ({ path: "/v1/me", init: { headers: { Authorization: `Bearer ${limited.key}` } } }));
  kinds.refused = await measure(ctx, "refused", async () => {
    const { statuses } = await sequential(ctx, n, () => ({ path: "/v1/me", init: { headers: { Authorization: `Bearer ${limited.key}` } } }));
    expectStatus("refused", statuses, 429, Math.floor(n * 0.8));
    return { units: n, notes: { shareRefused: round((statuses.get(429) ?? 0) / n) } };
  });

  const socket = await openSocket(`${ctx.stack.baseUrl.replace(/^http/, "ws")}/v1/realtime`, target.tenant.key);
  try {
    const send = frames(socket);
    const subscribed = await send({ op: "subscribe", map: `${LIST_MAP}-rt` });
    if (!subscribed.ok) throw new Error(`counts: subscribe refused: ${JSON.stringify(subscribed.error)}`);
    kinds.realtime = await measure(ctx, "realtime", async () => {
      const messages = Math.ceil(n / 2);
      for (let i = 0; i < messages; i++) {
        const reply = await send({ op: "set", map: `${LIST_MAP}-rt`, key: `k${i % 50}`, value: { i } });
        if (!reply.ok) throw new Error(`counts: set refused: ${JSON.stringify(reply.error)}`);
      }
      return { units: messages, notes: { subscribers: 1 } };
    });
  } finally {
    socket.close();
  }

  const body = JSON.stringify({ order: 42 });
  const origin = createServer((req, res) => {
    req.resume();
    req.on("end", () => res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) }).end(body));
  });
  await new Promise<void>((resolve) => origin.listen(0, "127.0.0.1", resolve));
  try {
    const gatewayTenant = await ctx.api.createActiveTenant("pro", UNLIMITED);
    const url = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
    const patched = await ctx.api.request("PATCH", `/v1/tenants/${gatewayTenant.id}`, { body: { gateway: { origin: url } } });
    if (patched.status !== 200) throw new Error(`counts: PATCH gateway: ${patched.status} ${JSON.stringify(patched.body)}`);
    const headers = { Authorization: `Bearer ${gatewayTenant.key}` };
    await sequential(ctx, 10, () => ({ path: "/gw/orders/42", init: { headers } }));
    kinds.gateway = await measure(ctx, "gateway", async () => {
      const { statuses } = await sequential(ctx, n, () => ({ path: "/gw/orders/42", init: { headers } }));
      expectStatus("gateway", statuses, 200, n);
      return { units: n };
    });
  } finally {
    origin.closeAllConnections();
    await new Promise<void>((resolve) => origin.close(() => resolve()));
  }

  // Dedicated tenants last: their runtime objects wake every 30 s and would be counted in the other kinds.
  const tenants = quick ? 3 : 10;
  kinds.provision_shared = await provision(ctx, "provision_shared", "pro", tenants);
  const dedicated = await provision(ctx, "provision_dedicated", "enterprise", tenants);
  kinds.provision_dedicated = { kind: dedicated.kind, samples: dedicated.samples, counts: dedicated.counts };

  // All `tenants` dedicated objects are pinned and idle: their alarms over a window, per tenant-hour.
  const windowS = quick ? 61 : 121;
  ctx.log(`  warm-pinned: ${tenants} idle dedicated tenants for ${windowS} s`);
  const warm = await measure(ctx, "warm_hour", async () => {
    await sleep(windowS * 1000);
    return { units: (tenants * windowS) / 3600, notes: { tenants, windowS } };
  });
  kinds.warm_hour = { ...warm, samples: tenants * windowS };

  const report: CountsReport = { version: 1, measuredAt: new Date().toISOString(), kinds: kinds as Record<Kind, KindCounts> };
  checkCounts(report); // fails the scenario, loudly, when a count is missing
  const figures: Figure[] = (Object.keys(KINDS) as Kind[]).flatMap((kind) => {
    const c = report.kinds[kind].counts;
    return [
      figure(`${kind}_do_trips`, `${kind}: runtime-object calls + alarms per unit`, c.doCalls + c.doAlarms, "trips"),
      figure(`${kind}_pg_trips`, `${kind}: Postgres round trips per unit`, c.pgRoundTrips, "trips"),
      figure(`${kind}_upstash_trips`, `${kind}: Upstash requests per unit`, c.upstashRequests, "trips"),
      figure(`${kind}_cpu_ms`, `${kind}: workerd CPU per unit`, c.workerCpuMs, "ms"),
    ];
  });
  return { status: "ok", loads: [], figures, details: report as unknown as Record<string, unknown> };
}
