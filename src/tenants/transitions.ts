import type { TenantStatus } from "../core/tenant.ts";

export type RequestedStatus = "suspended" | "active";

export type StatusTransition = { ok: true; action: "tenant.suspended" | "tenant.resumed" } | { ok: false; reason: string };

/** PATCH status: only active → suspended (suspend) and suspended → active (resume). */
export function statusTransition(current: TenantStatus, requested: RequestedStatus): StatusTransition {
  if (requested === "suspended") {
    return current === "active"
      ? { ok: true, action: "tenant.suspended" }
      : { ok: false, reason: `Only an active tenant can be suspended; this one is ${current}.` };
  }
  return current === "suspended"
    ? { ok: true, action: "tenant.resumed" }
    : { ok: false, reason: `Only a suspended tenant can be resumed; this one is ${current}.` };
}
