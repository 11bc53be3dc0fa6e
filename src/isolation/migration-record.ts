import type { Isolation } from "../core/plans.ts";
import type { Fingerprint } from "./record-copy.ts";

/**
 * The steps of an online isolation migration, in order. Before `switch` a failure rolls back. Only
 * `pause`, `sync` and `switch` hold writes, and their work grows with what changed since `verify`,
 * not with the tenant (src/isolation/workflow.ts).
 */
export const MIGRATION_STEPS = ["prepare", "copy", "catch_up", "verify", "pause", "sync", "switch", "cleanup"] as const;
export type MigrationStep = (typeof MIGRATION_STEPS)[number];

/**
 * Fault-injection names (test hooks): a failure of each step, and `migration:diverge`, a target that
 * silently differs from the source before the final verification (which must catch it).
 */
export const MIGRATION_FAULTS = [...MIGRATION_STEPS.map((step) => `migration:${step}` as const), "migration:diverge" as const];

export type MigrationState = "queued" | "running" | "switching" | "succeeded" | "failed";

export interface MigrationStepRecord {
  name: MigrationStep;
  status: "pending" | "running" | "succeeded" | "failed";
  attempts: number;
  durationMs: number | null;
  error: string | null;
}

/** Kept on the tenant row (`tenants.migration`), shown as the tenant's `migration`. */
/** `manual`: an admin asked (POST /isolation); `auto`: the promotion job found a threshold passed. */
export type MigrationReason = "manual" | "auto";

export interface MigrationRecord {
  id: string;
  from: Isolation;
  to: Isolation;
  reason: MigrationReason;
  state: MigrationState;
  steps: MigrationStepRecord[];
  error: string | null;
  /** True once storage switched to `to`: from then on the migration only goes forward. */
  switched: boolean;
  startedAt: string;
  finishedAt: string | null;
  /** Database time before the last copy pass: the next pass copies what changed since. */
  copiedUpTo: string | null;
  /** Database time just before the full verification's snapshot: every change it did not see is stamped at or after it. */
  verifiedSince: string | null;
  verified: Fingerprint | null;
  /** The longest time writes were paused, in ms (set after the switch). */
  writePauseMs: number | null;
  pausedAt: string | null;
  /**
   * Where the pause went: ms from `pausedAt` to the end of each of its phases (refusing, drained,
   * synced, switched, resumed), as the runner's clock saw them. Diagnostics for the benchmark.
   */
  pausePhasesMs?: Record<string, number>;
  /** Who runs it now (one runner at a time; a stale claim may be taken over). */
  runner: { token: string; until: string } | null;
}

export function newMigration(id: string, from: Isolation, to: Isolation, reason: MigrationReason = "manual"): MigrationRecord {
  return {
    id,
    from,
    to,
    reason,
    state: "queued",
    steps: MIGRATION_STEPS.map((name) => ({ name, status: "pending", attempts: 0, durationMs: null, error: null })),
    error: null,
    switched: false,
    startedAt: new Date().toISOString(),
    finishedAt: null,
    copiedUpTo: null,
    verifiedSince: null,
    verified: null,
    writePauseMs: null,
    pausedAt: null,
    runner: null,
  };
}

export function isMigrationRunning(record: MigrationRecord | null | undefined): boolean {
  return !!record && (record.state === "queued" || record.state === "running" || record.state === "switching");
}
