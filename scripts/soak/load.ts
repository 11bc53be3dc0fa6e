// The soak's mixed load: lanes of data-plane calls over every tenant (reads, writes with and
// without If-Match, lists, gateway calls), realtime subscribers, and one control-plane lane
// (new tenants, plan changes, key revocations). Every answer goes to the Observer.
import WebSocket from "ws";
import { request, type Reply } from "./client.ts";
import { ackWrite, unknownWrite, type OpKind } from "./ledger.ts";
import type { Observer } from "./observer.ts";
import { createTenant, type SoakTenant } from "./tenants.ts";

export const MAP = "soak";
const KEYS = ["k0", "k1", "k2"];

export interface LoadContext {
  baseUrl: string;
  adminToken: string;
  originUrl: string;
  tenants: SoakTenant[];
  /** Tenants created during the run: each must end active. */
  provisioned: SoakTenant[];
  observer: Observer;
  /** The load runs until this time (ms since the epoch). */
  until: number;
  random: () => number;
  /**
   * Set when the Worker restarts: the lanes call every tenant once, in order, before picking at
   * random again, so the working set the restart emptied is whole again early (`sweptAt`).
   */
  sweep?: { next: number; end: number; sweptAt?: number };
  /** Tenants whose provisioning the load set going (new tenants, plan changes): settled before a Worker restart. */
  enqueued: Set<string>;
  /** Set while a Worker restart is prepared and under way: the control-plane lane waits. */
  adminPaused?: boolean;
  adminBusy?: boolean;
  /** When the Worker restart began (ms since the epoch). */
  workerRestartAt?: number;
}

/** Weighted op mix of a lane (per hundred). */
const MIX: Array<[Op, number]> = [
  ["read", 30],
  ["list", 10],
  ["write", 20],
  ["write-if-match", 15],
  ["gateway", 15],
  ["extra-key", 10],
];
type Op = "read" | "list" | "write" | "write-if-match" | "gateway" | "extra-key";

function pickOp(random: () => number): Op {
  let roll = random() * 100;
  for (const [op, weight] of MIX) {
    if ((roll -= weight) < 0) return op;
  }
  return "read";
}

/** Keys being written right now: writes to one key are made one at a time, so its history is known. */
const writing = new Set<string>();
let sequence = 0;

/** After no answer or a 503, a lane waits like a client honouring Retry-After would, but at most this long. */
const MAX_BACKOFF_MS = 500;

async function call(ctx: LoadContext, lane: number, tenant: SoakTenant, kind: OpKind, method: string, path: string, options: Parameters<typeof request>[3] = {}): Promise<Reply> {
  const sentAt = Date.now();
  const reply = await request(ctx.baseUrl, method, path, { token: tenant.key, ...options });
  ctx.observer.record(lane, tenant.id, kind, reply, `${method} ${path}`, sentAt);
  if (reply.status === null || reply.status === 503) {
    const asked = reply.retryAfter === null ? MAX_BACKOFF_MS : Number(reply.retryAfter) * 1000;
    await new Promise((resolve) => setTimeout(resolve, Math.min(MAX_BACKOFF_MS, asked)));
  }
  return reply;
}

async function write(ctx: LoadContext, lane: number, tenant: SoakTenant, ifMatch: boolean): Promise<void> {
  const key = KEYS[Math.floor(ctx.random() * KEYS.length)]!;
  const id = `${tenant.id}/${key}`;
  if (writing.has(id)) return void (await call(ctx, lane, tenant, "read", "GET", `/v1/maps/${MAP}/${key}`));
  writing.add(id);
  try {
    const ledger = ctx.observer.keyLedger(tenant.id, key);
    // If-Match only where the current version is known: after an acknowledged write and nothing unconfirmed.
    const expected = ifMatch && ledger.acked && ledger.unknown.length === 0 ? ledger.acked.version : undefined;
    const value = JSON.stringify({ s: ++sequence, lane });
    const headers: Record<string, string> = expected === undefined ? {} : { "If-Match": `"${expected}"` };
    const reply = await call(ctx, lane, tenant, "write", "PUT", `/v1/maps/${MAP}/${key}`, { rawBody: value, headers });
    if (reply.status === 200) ackWrite(ledger, Number(reply.body.version), value);
    else if (reply.status === 412) {
      if (expected !== undefined) ctx.observer.violation("no acknowledged write lost or reverted", `412 on ${id} with If-Match "${expected}", the last acknowledged version and nothing unconfirmed since`);
    } else if (reply.status === null || reply.status >= 500) {
      // Refusals (401, 403, 429, tenant_not_ready) wrote nothing; anything else may have.
      if (reply.code !== "tenant_not_ready") unknownWrite(ledger, value);
    }
  } finally {
    writing.delete(id);
  }
}

function pickTenant(ctx: LoadContext): SoakTenant {
  const sweep = ctx.sweep;
  // Tenants created under load join the list: the sweep covers those there when it began.
  if (sweep && sweep.next < sweep.end) {
    const tenant = ctx.tenants[sweep.next++]!;
    if (sweep.next === sweep.end) sweep.sweptAt = Date.now();
    return tenant;
  }
  return ctx.tenants[Math.floor(ctx.random() * ctx.tenants.length)]!;
}

async function laneStep(ctx: LoadContext, lane: number): Promise<void> {
  const tenant = pickTenant(ctx);
  const op = pickOp(ctx.random);
  switch (op) {
    case "read":
      return void (await call(ctx, lane, tenant, "read", "GET", `/v1/maps/${MAP}/${KEYS[Math.floor(ctx.random() * KEYS.length)]}`));
    case "list":
      return void (await call(ctx, lane, tenant, "list", "GET", `/v1/maps/${MAP}?limit=10`));
    case "write":
    case "write-if-match":
      return write(ctx, lane, tenant, op === "write-if-match");
    case "gateway":
      return void (await call(ctx, lane, tenant, "gateway", "GET", `/gw/echo?n=${sequence}`));
    case "extra-key": {
      // A tenant whose second key exists: use it (a revoked one must be refused within 1 s).
      const holders = ctx.tenants.filter((t) => t.extraKey);
      const holder = holders[Math.floor(ctx.random() * holders.length)];
      if (!holder?.extraKey) return void (await call(ctx, lane, tenant, "list", "GET", `/v1/maps/${MAP}?limit=10`));
      const { revokedAt } = holder.extraKey;
      const reply = await call(ctx, lane, { ...holder, key: holder.extraKey.key }, "read", "GET", `/v1/maps/${MAP}/k0`);
      if (revokedAt !== undefined && Date.now() - revokedAt > 2000 && reply.status !== null && reply.status < 300) {
        ctx.observer.violation("a revoked key is refused within 1 s", `${holder.extraKey.id} answered ${reply.status} ${Date.now() - revokedAt} ms after its revocation`);
      }
      return;
    }
  }
}

export async function runLanes(ctx: LoadContext, lanes: number): Promise<void> {
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      while (Date.now() < ctx.until) await laneStep(ctx, lane);
    }),
  );
}

/** Realtime subscribers: each keeps one socket subscribed to the soak map, reconnecting when it drops. */
export async function runSubscribers(ctx: LoadContext, count: number, stats: { events: number; connects: number }): Promise<void> {
  const wsUrl = `${ctx.baseUrl.replace(/^http/, "ws")}/v1/realtime`;
  await Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const tenant = ctx.tenants[index * Math.floor(ctx.tenants.length / count)]!;
      while (Date.now() < ctx.until) {
        await new Promise<void>((resolve) => {
          const ws = new WebSocket(wsUrl, { headers: { Authorization: `Bearer ${tenant.key}` } });
          let settled = false;
          let answered = false;
          const done = () => {
            clearInterval(stopper);
            if (!settled) resolve();
            settled = true;
          };
          // Bounded: the socket closes itself when the load ends.
          const stopper = setInterval(() => {
            if (Date.now() >= ctx.until) ws.terminate();
          }, 250);
          ws.once("unexpected-response", (_req, res) => {
            answered = true;
            let text = "";
            res.on("data", (chunk: Buffer) => (text += chunk.toString()));
            res.on("end", () => {
              let problem: any;
              try {
                problem = JSON.parse(text);
              } catch {}
              ctx.observer.record(-1, tenant.id, "upgrade", { status: res.statusCode ?? null, body: problem, code: problem?.code, detail: problem?.detail, retryAfter: res.headers["retry-after"] as string | null ?? null }, "GET /v1/realtime");
              ws.terminate();
              done();
            });
          });
          ws.once("upgrade", () => (answered = true) && ctx.observer.record(-1, tenant.id, "upgrade", { status: 101, body: undefined, retryAfter: null }, "GET /v1/realtime"));
          ws.once("open", () => {
            stats.connects++;
            ws.send(JSON.stringify({ id: 1, op: "subscribe", map: MAP }));
          });
          ws.on("message", (data) => {
            if (String(data).includes('"event":"change"')) stats.events++;
          });
          ws.once("error", (error) => {
            // No upgrade answer at all: whether it was admitted is unknown.
            if (!answered) {
              ctx.observer.record(-1, tenant.id, "upgrade", { status: null, body: undefined, retryAfter: null, error: String(error) }, "GET /v1/realtime");
            }
            done();
          });
          ws.once("close", () => done());
        });
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }),
  );
}

/** The control-plane lane: new tenants (provisioning under load), plan changes, key revocations. */
export async function runAdminLane(ctx: LoadContext, everyMs: number): Promise<void> {
  const admin = (method: string, path: string, body?: unknown) => request(ctx.baseUrl, method, path, { token: ctx.adminToken, ...(body === undefined ? {} : { body }) });
  let step = 0;
  while (Date.now() < ctx.until) {
    await new Promise((resolve) => setTimeout(resolve, everyMs));
    if (ctx.adminPaused) continue;
    ctx.adminBusy = true;
    try {
      await adminStep(ctx, admin, step++);
    } finally {
      ctx.adminBusy = false;
    }
  }
}

async function adminStep(ctx: LoadContext, admin: (method: string, path: string, body?: unknown) => Promise<Reply>, step: number): Promise<void> {
  const tenant = ctx.tenants[Math.floor(ctx.random() * ctx.tenants.length)]!;
  switch (step % 4) {
    case 0: {
      const created = await createTenant(ctx.baseUrl, ctx.adminToken, `soak-new-${Date.now().toString(36)}-${step}`, ctx.originUrl).catch(() => undefined);
      if (created) {
        created.createdAt = Date.now();
        ctx.provisioned.push(created);
        ctx.tenants.push(created);
        ctx.enqueued.add(created.id);
      }
      return;
    }
    case 1: {
      const plan = tenant.plan === "pro" ? "enterprise" : "pro";
      // A plan change runs the plan's provisioning steps again, through the queue.
      ctx.enqueued.add(tenant.id);
      const reply = await admin("PATCH", `/v1/tenants/${tenant.id}`, { plan });
      if (reply.status === 200) tenant.plan = plan;
      return;
    }
    case 2: {
      if (tenant.extraKey) return;
      const reply = await admin("POST", `/v1/tenants/${tenant.id}/keys`, { name: "soak-extra" });
      if (reply.status === 201) tenant.extraKey = { id: reply.body.id, key: reply.body.key };
      return;
    }
    case 3: {
      const holder = ctx.tenants.find((t) => t.extraKey && t.extraKey.revokedAt === undefined);
      if (!holder?.extraKey) return;
      const reply = await admin("DELETE", `/v1/tenants/${holder.id}/keys/${holder.extraKey.id}`);
      if (reply.status === 204) holder.extraKey.revokedAt = Date.now();
      return;
    }
  }
}

/**
 * Before a Worker restart: the control-plane lane pauses, and the provisioning the load set going
 * is waited for (at most `timeoutMs`). Miniflare's queue lives in workerd's memory, so a restart
 * loses messages not yet consumed (Cloudflare Queues keep them; the platform's sweep re-sends a
 * stalled run after 10 minutes, longer than a soak). Redelivery is a fault of its own. Returns the
 * tenants still provisioning; `resumeAdminLane` ends the pause.
 */
export async function settleProvisioningForRestart(ctx: LoadContext, timeoutMs: number): Promise<string[]> {
  ctx.adminPaused = true;
  const deadline = Date.now() + timeoutMs;
  while (ctx.adminBusy && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  let unsettled = [...ctx.enqueued];
  while (unsettled.length > 0 && Date.now() < deadline) {
    const states = await Promise.all(
      unsettled.map(async (id) => {
        const reply = await request(ctx.baseUrl, "GET", `/v1/tenants/${id}`, { token: ctx.adminToken });
        return { id, state: reply.status === 200 ? (reply.body?.provisioning?.state as string | undefined) : undefined };
      }),
    );
    unsettled = states.filter(({ state }) => state === undefined || state === "queued" || state === "running").map(({ id }) => id);
    if (unsettled.length > 0) await new Promise((resolve) => setTimeout(resolve, 250));
  }
  for (const id of ctx.enqueued) if (!unsettled.includes(id)) ctx.enqueued.delete(id);
  return unsettled;
}

export function resumeAdminLane(ctx: LoadContext): void {
  ctx.adminPaused = false;
}
