import type { LimitOverrides, PlanId } from "../plans/catalog.ts";
import { contextFromRow } from "../tenancy/context-from-row.ts";
import type { provisioningRuns, provisioningSteps } from "../provisioning/schema.ts";
import type { tenants } from "./schema.ts";
import type { TenantStatus } from "./api-schemas.ts";

export type TenantRow = typeof tenants.$inferSelect;
export type ProvisioningRunRow = typeof provisioningRuns.$inferSelect;
export type ProvisioningStepRow = typeof provisioningSteps.$inferSelect;

const iso = (date: Date | null | undefined) => (date ? date.toISOString() : null);

/** The contract's `tenant` object. */
export function tenantView(row: TenantRow, run?: ProvisioningRunRow | null, steps: ProvisioningStepRow[] = []) {
  const plan = row.plan as PlanId;
  const overrides = row.overrides as LimitOverrides;
  const context = contextFromRow(row);
  return {
    id: row.id,
    name: row.name,
    plan,
    status: row.status as TenantStatus,
    isolation: row.isolation as "shared" | "dedicated",
    region: row.region,
    limits: context.limits,
    overrides: overrides as Record<string, number | null>,
    features: context.features,
    metadata: row.metadata,
    email: row.email,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    deletedAt: iso(row.deletedAt),
    purgeAfter: iso(row.purgeAfter),
    provisioning: {
      state: (run?.state ?? "queued") as "queued" | "running" | "succeeded" | "failed",
      attempts: run?.attempts ?? 0,
      steps: [...steps]
        .sort((a, b) => a.position - b.position)
        .map((step) => ({
          name: step.name,
          status: step.status as "pending" | "running" | "succeeded" | "failed",
          attempts: step.attempts,
          durationMs: step.durationMs,
          error: step.error,
        })),
      error: run?.error ?? null,
      startedAt: iso(run?.startedAt),
      finishedAt: iso(run?.finishedAt),
    },
    migration: publicMigration(row.migration),
    gateway: row.gateway ? { origin: row.gateway.origin, timeoutMs: row.gateway.timeoutMs } : null,
    billing: row.billing ? { stripeCustomerId: row.billing.stripeCustomerId } : null,
  };
}

export type TenantView = ReturnType<typeof tenantView>;

/** The migration record without its internal bookkeeping (runner claim, copy watermark). */
function publicMigration(migration: Record<string, unknown> | null): Record<string, unknown> | null {
  if (!migration) return null;
  const { runner: _runner, copiedUpTo: _copiedUpTo, ...visible } = migration;
  return visible;
}
