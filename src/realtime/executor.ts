import type { Redis } from "@upstash/redis/cloudflare";
import type { Database } from "../db/client.ts";
import { ApiError } from "../http/problem.ts";
import { checkEdgeLimits, oweQuota } from "../limits/edge-limits.ts";
import { statusRefusal, WRITE_PAUSE_RETRY_MS } from "../../durable-objects/tenant-runtime/admission.ts";
import type { UsageDelta } from "../core/usage.ts";
import { mapStore } from "../storage/maps/store.ts";
import { prepareValue } from "../storage/maps/value.ts";
import type { TenantContext } from "../core/tenant-context.ts";
import type { OperationOutcome, SocketState } from "./hub.ts";
import type { DataFrame, ErrorBody } from "./protocol.ts";

export interface ExecutorDependencies {
  context(tenantId: string): TenantContext | undefined;
  db(): Database;
  redis(): Redis;
  /** The runtime object's own token bucket, used while Upstash does not answer. */
  backstop: { take(tenantId: string, ratePerSecond: number, burst: number): { ok: boolean; retryAfterMs: number } };
  count(tenantId: string, delta: UsageDelta): void;
  defer(promise: Promise<unknown>): void;
  /** Brackets a write so a migration can wait for in-flight writes to finish. */
  writing(tenantId: string, delta: 1 | -1): void;
}

const GATE_MESSAGES = {
  tenant_not_ready: "The tenant is not ready yet; retry shortly.",
  tenant_suspended: "The tenant is suspended: reads work, writes do not.",
  tenant_deleted: "The tenant no longer exists.",
} as const;

type Admission = { ok: true; context: TenantContext } | { ok: false; error: ErrorBody };

/**
 * Any frame (subscriptions too), held to the same rules as a REST request: status gate, scope,
 * token bucket and daily quota (Upstash, or the runtime's own bucket when Upstash is away).
 * Metered as a message.
 */
export async function admitFrame(deps: ExecutorDependencies, state: SocketState, write: boolean): Promise<Admission> {
  const context = deps.context(state.tenantId);
  if (!context) return failure({ code: "unavailable", message: "The tenant's runtime state is being rebuilt; retry.", retryAfterMs: 1000 });
  deps.count(context.id, { messages: 1 });

  const gate = statusRefusal(context, write);
  if (gate === "tenant_deleted") return failure({ code: "unauthenticated", message: GATE_MESSAGES.tenant_deleted });
  if (gate === "writes_paused") {
    return failure({ code: "unavailable", message: "The tenant's data is moving; retry in a moment.", retryAfterMs: WRITE_PAUSE_RETRY_MS });
  }
  if (gate === "tenant_not_ready" || gate === "tenant_suspended") {
    return failure({ code: gate, message: GATE_MESSAGES[gate], ...(gate === "tenant_not_ready" ? { retryAfterMs: 1000 } : {}) });
  }
  if (!state.scopes.includes(write ? "write" : "read")) {
    return failure({ code: "forbidden", message: `This connection's credential lacks the "${write ? "write" : "read"}" scope.` });
  }

  const limits = await checkEdgeLimits(deps.redis, context.id, context.limits, deps.defer);
  if (limits.kind === "refused") {
    deps.count(context.id, { rejected: 1 });
    const message = limits.code === "quota_exceeded" ? "The tenant's daily request quota is used up." : "The tenant's request rate is over its limit.";
    return failure({ code: limits.code, message, retryAfterMs: limits.retryAfterMs });
  }
  if (limits.kind === "backstop") {
    const taken = deps.backstop.take(context.id, context.limits.requestsPerSecond, context.limits.burst);
    if (!taken.ok) {
      deps.count(context.id, { rejected: 1 });
      return failure({ code: "rate_limited", message: "The tenant's request rate is over its limit.", retryAfterMs: taken.retryAfterMs });
    }
    // Admitted without Upstash: the frame still counts against the day's quota (charged on the
    // tenant's next round trip from this isolate), as a request the backstop admits does.
    oweQuota(context.id, context.limits);
  }
  return { ok: true, context };
}

/** One get/set/delete frame: admitted like a request, then the same Maps store; metered as the operation it carries. */
export async function executeFrame(deps: ExecutorDependencies, state: SocketState, frame: DataFrame): Promise<OperationOutcome> {
  const write = frame.op !== "get";
  const admission = await admitFrame(deps, state, write);
  if (!admission.ok) return admission;
  const { context } = admission;
  if (write) deps.writing(context.id, 1);
  try {
    const outcome = await run(deps.db(), context, frame);
    deps.count(context.id, write ? { writeOps: 1 } : { readOps: 1 });
    return outcome;
  } catch (error) {
    if (error instanceof ApiError) {
      const retryAfterMs = error.extras.retryAfterMs;
      return failure({ code: error.code, message: error.message, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
    }
    return failure({ code: "unavailable", message: "A dependency is unavailable; retry later.", retryAfterMs: 1000 });
  } finally {
    if (write) deps.writing(context.id, -1);
  }
}

async function run(db: Database, context: TenantContext, frame: DataFrame): Promise<OperationOutcome> {
  const store = mapStore(() => db, context);
  const address = { map: frame.map, key: frame.key };
  switch (frame.op) {
    case "get": {
      const record = await store.get(address);
      if (!record) return failure({ code: "not_found", message: "No such key in this map." });
      return ok({ map: frame.map, key: frame.key, value: record.value, version: record.version, updatedAt: record.updatedAt.toISOString() });
    }
    case "set": {
      const prepared = prepareValue(JSON.stringify(frame.value), context.limits.maxValueBytes);
      const written = await store.put(address, prepared);
      return {
        ok: true,
        result: { map: frame.map, key: frame.key, version: written.version, updatedAt: written.updatedAt.toISOString() },
        change: { map: frame.map, key: frame.key, op: "set", value: prepared.value, version: written.version },
      };
    }
    case "delete": {
      const removed = await store.delete(address);
      return {
        ok: true,
        result: { map: frame.map, key: frame.key },
        // As over REST: a deletion is a write, its event carries the version after the last one.
        change: { map: frame.map, key: frame.key, op: "delete", value: null, version: removed.version + 1 },
      };
    }
  }
}

const ok = (result: unknown): OperationOutcome => ({ ok: true, result });
const failure = (error: ErrorBody): { ok: false; error: ErrorBody } => ({ ok: false, error });
