// The fault schedule: which fault, when (seconds after the load starts), and how it is injected.
// Dependency faults open a FaultWindow in the Observer (start → back), from which the recovery
// times (dependency back → each failed lane's first 2xx) are measured.
import { mapLimit, request } from "./client.ts";
import type { LoadContext } from "./load.ts";
import { MAP, resumeAdminLane, settleProvisioningForRestart } from "./load.ts";
import type { SoakOrigin } from "./origin.ts";
import type { SoakStack } from "./stack.ts";
import { sleep } from "./stack.ts";
import { createTenant } from "./tenants.ts";

export type FaultName = "postgres-kill" | "pgbouncer-restart" | "redis-kill" | "worker-restart" | "redeliver" | "malformed-burst" | "origin-down";

export interface ScheduledFault {
  atS: number;
  name: FaultName;
}

export interface FaultRun {
  name: FaultName;
  atS: number;
  /** How long the dependency was away, ms (0 for non-dependency faults). */
  downMs: number;
  error?: string;
}

/** How long a killed dependency stays down before it is started again. */
const DOWN_MS = 3000;
const MALFORMED_BURST = 200;
/** How long a Worker restart waits for the provisioning the load set going (see settleProvisioningForRestart). */
const SETTLE_BEFORE_RESTART_MS = 15_000;
const FIRST_FAULT_S = 8;
/** Room before the quiet end for a restart delayed by the faults before it, and for its leases to expire before the checks. */
const RESTART_BEFORE_QUIET_S = 14;
/** The last fault of the rounds starts this long before the restart. */
const ROUND_BEFORE_RESTART_S = 9;
/** One round of every fault but the Worker restart. */
const ROUND: FaultName[] = ["postgres-kill", "redeliver", "pgbouncer-restart", "malformed-burst", "redis-kill", "origin-down"];

/**
 * Rounds of the dependency and input faults, evenly spread from the start, then the Worker
 * restart, RESTART_BEFORE_QUIET_S before the last `quietS` seconds, which stay fault-free.
 * The restart comes last so that workerd's memory is judged over the Worker's longest life under
 * load, from its working set on: it has run since the stack started, through the provisioning of
 * every tenant (run.ts, docs/RELIABILITY.md "Session 12").
 */
export function faultSchedule(loadS: number, quietS: number): ScheduledFault[] {
  const restartAt = Math.max(FIRST_FAULT_S, loadS - quietS - RESTART_BEFORE_QUIET_S);
  const first = FIRST_FAULT_S;
  const last = Math.max(first, restartAt - ROUND_BEFORE_RESTART_S);
  const spacing = 11;
  const slots = Math.max(ROUND.length, Math.floor((last - first) / spacing) + 1);
  const schedule: ScheduledFault[] = [];
  for (let i = 0; i < slots; i++) schedule.push({ atS: first + Math.round(((last - first) * i) / Math.max(1, slots - 1)), name: ROUND[i % ROUND.length]! });
  schedule.push({ atS: restartAt, name: "worker-restart" });
  return schedule;
}

export interface FaultDeps {
  stack: SoakStack;
  origin: SoakOrigin;
  ctx: LoadContext;
}

export async function runFault(name: FaultName, deps: FaultDeps): Promise<number> {
  const { stack, origin, ctx } = deps;
  const observer = ctx.observer;
  const outage = async (kill: () => Promise<unknown>, start: () => Promise<unknown>, originFault = false) => {
    const window = observer.faultStarted(name, originFault);
    await kill();
    await sleep(DOWN_MS);
    await start();
    window.back = Date.now();
    return window.back - window.start;
  };
  switch (name) {
    case "postgres-kill":
      return outage(() => stack.control("postgres/kill"), () => stack.control("postgres/start"));
    case "redis-kill":
      return outage(() => stack.control("redis/kill"), () => stack.control("redis/start"));
    case "origin-down":
      return outage(() => origin.down(), () => origin.up(), true);
    case "pgbouncer-restart": {
      const window = observer.faultStarted(name);
      await stack.control("pgbouncer/restart");
      window.back = Date.now();
      return window.back - window.start;
    }
    case "worker-restart": {
      // Still provisioning after the wait: restarted anyway; "every tenant provisioned ends active" tells.
      await settleProvisioningForRestart(ctx, SETTLE_BEFORE_RESTART_MS);
      try {
        const window = observer.faultStarted(name);
        ctx.workerRestartAt = window.start;
        await stack.control("worker/restart");
        window.back = Date.now();
        return window.back - window.start;
      } finally {
        resumeAdminLane(ctx);
      }
    }
    case "redeliver": {
      // A new tenant's provisioning message, delivered three more times while it provisions.
      const tenant = await createTenant(ctx.baseUrl, ctx.adminToken, `soak-redeliver-${Date.now().toString(36)}`, ctx.originUrl);
      tenant.createdAt = Date.now();
      ctx.provisioned.push(tenant);
      ctx.tenants.push(tenant);
      ctx.enqueued.add(tenant.id);
      const reply = await request(ctx.baseUrl, "POST", "/v1/_test/provisioning/deliver", { token: ctx.adminToken, body: { tenantId: tenant.id, times: 3 } });
      if (reply.status !== 202) throw new Error(`deliver: ${reply.status} ${JSON.stringify(reply.body)}`);
      return 0;
    }
    case "malformed-burst": {
      await mapLimit(Array.from({ length: MALFORMED_BURST }, (_, i) => i), 20, async (i) => {
        const tenant = ctx.tenants[Math.floor(ctx.random() * ctx.tenants.length)]!;
        const { method, path, options } = malformed(i, tenant.key);
        const reply = await request(ctx.baseUrl, method, path, options);
        observer.record(-1, tenant.id, "malformed", reply, `${method} ${path}`);
      });
      return 0;
    }
  }
}

/** A request no client should send, of several shapes (each with the tenant's own key unless the credential is the fault). */
function malformed(i: number, key: string): { method: string; path: string; options: Parameters<typeof request>[3] } {
  switch (i % 8) {
    case 0:
      return { method: "PUT", path: `/v1/maps/${MAP}/bad-json`, options: { token: key, rawBody: '{"unterminated": ' } };
    case 1:
      return { method: "PUT", path: `/v1/maps/${MAP}/%ZZ`, options: { token: key, rawBody: "1" } };
    case 2:
      return { method: "GET", path: "/v1/maps/no%20spaces%20allowed/k", options: { token: key } };
    case 3:
      return { method: "PUT", path: `/v1/maps/${MAP}/if-match`, options: { token: key, rawBody: "1", headers: { "If-Match": "not-a-version" } } };
    case 4:
      return { method: "GET", path: `/v1/maps/${MAP}?limit=-5`, options: { token: key } };
    case 5:
      return { method: "PUT", path: `/v1/maps/${MAP}/text`, options: { token: key, rawBody: "plain text", headers: { "Content-Type": "text/plain" } } };
    case 6:
      return { method: "GET", path: `/v1/maps/${MAP}/k0`, options: { token: `tk_${"x".repeat(40)}` } };
    default:
      return { method: "POST", path: `/v1/maps/${MAP}/post`, options: { token: key, rawBody: "\u0000\u0001" } };
  }
}
