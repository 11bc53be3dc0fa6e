import type { TenantContext } from "../../src/core/tenant-context.ts";

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
