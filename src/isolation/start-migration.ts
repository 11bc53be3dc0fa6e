import { and, eq, sql } from "drizzle-orm";
import { recordAudit } from "../audit/record.ts";
import type { Database } from "../db/client.ts";
import { ApiError } from "../http/problem.ts";
import { newId } from "../lib/ids.ts";
import { planFeatures, type Isolation, type PlanId } from "../core/plans.ts";
import { tenants } from "../core/tenant-table.ts";
import type { TenantRow } from "../core/tenant.ts";
import { isMigrationRunning, newMigration, type MigrationReason, type MigrationRecord } from "./migration-record.ts";
import { loadTenant, migrationOf } from "./migration-store.ts";

const MOVABLE_STATUSES = new Set(["active", "suspended"]);

/**
 * Validates and records a request to move the tenant to `level`; the queue runs it. Refused with
 * 409 while another migration runs, 403 upgrade_required without the plan's `dedicated` feature.
 */
export async function startMigration(
  db: Database,
  tenantId: string,
  level: Isolation,
  region: string | undefined,
  reason: MigrationReason = "manual",
): Promise<{ row: TenantRow; migration: MigrationRecord }> {
  const row = await loadTenant(db, tenantId);
  if (!row) throw new ApiError("not_found", "No such tenant.");
  if (!MOVABLE_STATUSES.has(row.status)) throw new ApiError("conflict", `A ${row.status} tenant cannot change isolation.`);
  if (isMigrationRunning(migrationOf(row))) throw new ApiError("conflict", "A migration of this tenant is already running.");
  if (level === "dedicated" && !planFeatures(row.plan).includes("dedicated")) {
    throw new ApiError("upgrade_required", "Dedicated isolation needs a plan with the `dedicated` feature.");
  }
  if (row.isolation === level) throw new ApiError("conflict", `The tenant is already ${level}.`);

  const migration = newMigration(newId("job"), row.isolation, level, reason);
  const [updated] = await db
    .update(tenants)
    .set({ migration: migration as unknown as Record<string, unknown>, updatedAt: sql`now()`, ...(region ? { region } : {}) })
    .where(
      and(
        eq(tenants.id, tenantId),
        eq(tenants.isolation, row.isolation),
        sql`coalesce(${tenants.migration}->>'state', 'none') not in ('queued', 'running', 'switching')`,
      ),
    )
    .returning();
  if (!updated) throw new ApiError("conflict", "A migration of this tenant is already running.");
  await recordAudit(db, { tenantId, actor: reason === "auto" ? "system" : "admin", action: "tenant.isolation_requested", details: { migrationId: migration.id, from: row.isolation, to: level, reason } });
  return { row: updated, migration };
}
