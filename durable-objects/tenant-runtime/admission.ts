import type { TenantContext } from "../../src/core/tenant-context.ts";

/** How long a lease lives unless released or renewed (LEASE_TTL_MS overrides it in tests). */
export const DEFAULT_LEASE_TTL_MS = 30_000;

/** How long a gateway WebSocket's slot lives unless its edge renews it (a dead isolate leaks nothing). */
export const GATEWAY_SOCKET_TTL_MS = 120_000;

export interface AdmitRequest {
  /** The edge's copy; the runtime keeps whichever of its own and this one is newer. */
  context: TenantContext;
  write: boolean;
  /** Upstash did not answer in time: the runtime applies its own token bucket instead. */
  backstop: boolean;
  /** Epoch ms after which the edge has given up waiting: the runtime then takes no lease. */
  deadline: number;
}

export type AdmitRefusal =
  | "tenant_not_ready"
  | "tenant_suspended"
  | "tenant_deleted"
  | "writes_paused"
  | "concurrency_limited"
  | "rate_limited"
  | "too_late";

export type AdmitResult =
  | { ok: true; leaseId: string; context: TenantContext }
  | { ok: false; code: AdmitRefusal; retryAfterMs: number; context: TenantContext };

/** What a runtime object reports to the metrics. */
export interface RuntimeSnapshot {
  /** Open realtime connections (of the tenant, or of every tenant the object serves). */
  connections: number;
  /** Epoch ms since which the oldest usage still held here has waited for Postgres, or null when all is flushed. */
  unflushedSince: number | null;
}

/**
 * How long a write refused by an isolation migration's pause should wait: the pause holds writes
 * only for the last small delta and the switch (tens of ms, src/isolation/workflow.ts).
 */
export const WRITE_PAUSE_RETRY_MS = 100;

/** The retry hint of a status-gate refusal. */
export function statusRetryAfterMs(refusal: AdmitRefusal): number {
  return refusal === "writes_paused" ? WRITE_PAUSE_RETRY_MS : 1000;
}

/** The status gate, shared by the edge (on its cached copy) and the runtime (authoritative). */
export function statusRefusal(context: TenantContext, write: boolean): AdmitRefusal | null {
  switch (context.status) {
    case "active":
      return write && context.writesPaused ? "writes_paused" : null;
    case "suspended":
      return write ? "tenant_suspended" : null;
    case "deleted":
      return "tenant_deleted";
    default:
      return "tenant_not_ready";
  }
}
