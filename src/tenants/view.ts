import { contextFromRow } from "../core/context-from-row.ts";
import type { provisioningRuns, provisioningSteps } from "../provisioning/schema.ts";
import type { TenantRow } from "../core/tenant.ts";

export type ProvisioningRunRow = typeof provisioningRuns.$inferSelect;
export type ProvisioningStepRow = typeof provisioningSteps.$inferSelect;

const iso = (date: Date | null | undefined) => (date ? date.toISOString() : null);

/** The contract's `tenant` object. */
export function tenantView(row: TenantRow, run?: ProvisioningRunRow | null, steps: ProvisioningStepRow[] = []) {
  const plan = row.plan;
  const overrides = row.overrides;
  const context = contextFromRow(row);
  return {
    id: row.id,
    name: row.name,
    plan,
    status: row.status,
    isolation: row.isolation,
    region: row.region,
    limits: context.limits,
    overrides,
    features: context.features,
    metadata: row.metadata,
    email: row.email,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    deletedAt: iso(row.deletedAt),
    purgeAfter: iso(row.purgeAfter),
    provisioning: {
      state: run?.state ?? "queued",
      attempts: run?.attempts ?? 0,
      steps: [...steps]
        .sort((a, b) => a.position - b.position)
        .map((step) => ({
          name: step.name,
          status: step.status,
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
  const { runner: _runner, copiedUpTo: _copiedUpTo, verifiedSince: _verifiedSince, ...visible } = migration;
  return visible;
}
