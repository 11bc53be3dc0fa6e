import type { OutcomeCounts } from "../../src/core/outcomes.ts";
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
  /** A block of slots the isolate asks for with the request (GrantRequest), given after the request's own. */
  grant?: { grantId: string; want: number };
}

export type AdmitRefusal =
  | "tenant_not_ready"
  | "tenant_suspended"
  | "tenant_deleted"
  | "writes_paused"
  | "concurrency_limited"
  /** The shared shard's seats stayed full for as long as a request may wait (shard-admission.ts). */
  | "shard_busy"
  | "rate_limited"
  | "too_late";

export type AdmitResult =
  /** `waitedMs`: how long the request waited for a seat in a busy shard (0: none). */
  | { ok: true; leaseId: string; context: TenantContext; waitedMs?: number; grant?: GrantResult }
  | { ok: false; code: AdmitRefusal; retryAfterMs: number; context: TenantContext };

/** Names a tally batch an edge isolate reports (see edge-report-ledger.ts). */
export interface EdgeBatchId {
  /** The reporting isolate (random, made once per isolate). */
  source: string;
  /** Rises with every batch the isolate makes. */
  seq: number;
}

/**
 * What an edge isolate counted on its own, reported in batches (contract v1.1: within 1 s; see
 * src/edge/edge-tally.ts): refusals it decided without the runtime object (token bucket, quota,
 * scope, status gate), and the usage of requests it admitted with a grant.
 */
export interface EdgeCounts {
  tenantId: string;
  /** Start of the UTC minute the requests happened in: usage is counted per minute. */
  minute: number;
  /** Requests admitted with a grant, and what they did. */
  requests: number;
  readOps: number;
  writeOps: number;
  bytesIn: number;
  bytesOut: number;
  /** Refusals by a limit (usage `rejected`). */
  rejected: number;
  /** Every request's outcome, admitted or refused (metrics). */
  outcomes: Partial<OutcomeCounts>;
}

/**
 * How long an edge isolate admits requests with a grant after asking for it (or renewing it): a
 * status change reaches every edge within this and one round trip (the contract's 1 s).
 */
export const GRANT_USE_MS = 500;

/** An edge isolate asks for (or renews) a block of the tenant's concurrency slots. */
export interface GrantRequest {
  /** The edge's copy; the runtime keeps whichever of its own and this one is newer. */
  context: TenantContext;
  /** Chosen by the isolate; the same id renews the block. */
  grantId: string;
  /** Slots wanted (the runtime may give fewer). */
  want: number;
}

export type GrantResult =
  /** Admit up to `slots` requests at once, for `useForMs` from when the request was sent. */
  | { ok: true; slots: number; useForMs: number; context: TenantContext }
  /** No block now (a status other than active, a migration, a full shard): admit request by request. */
  | { ok: false; context: TenantContext };

/** Only an active tenant with no migration under way is admitted by edge isolates on their own. */
export function grantable(context: TenantContext): boolean {
  return context.status === "active" && !context.writesPaused && !context.migrating;
}

/** Upper bounds (seconds) of the admission wait histogram's buckets. */
export const WAIT_BUCKETS_S = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] as const;

/** Waits for a seat in a busy shard, per plan: a Prometheus histogram's cumulative buckets (seconds). */
export interface AdmissionWaits {
  buckets: Array<{ le: number; count: number }>;
  sum: number;
  count: number;
}

/** What a runtime object reports to the metrics. */
export interface RuntimeSnapshot {
  /** Open realtime connections (of the tenant, or of every tenant the object serves). */
  connections: number;
  /** Epoch ms since which the oldest usage still held here has waited for Postgres, or null when all is flushed. */
  unflushedSince: number | null;
  /** Admission waits since the object started, by plan (bounded: one entry per plan). */
  admissionWaits: Record<string, AdmissionWaits>;
}

/**
 * How long a write refused by an isolation migration's pause should wait: the pause holds writes
 * only for the last small delta and the switch (src/isolation/workflow.ts). From a writer's first
 * refusal to the pause's end was about 40 ms at 10 000 records on a loaded machine (docs/BENCHMARKS.md,
 * "Session 7: write pause").
 */
export const WRITE_PAUSE_RETRY_MS = 50;

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
