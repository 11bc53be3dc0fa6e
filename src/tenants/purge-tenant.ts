import { eq } from "drizzle-orm";
import { auditEvents } from "../audit/schema.ts";
import type { Services } from "../services/open-services.ts";
import { apiKeys, revokedTokens } from "../keys/schema.ts";
import { usageBatches, usageMinutes } from "../metering/schema.ts";
import type { Isolation } from "../core/plans.ts";
import { logEvent } from "../lib/log.ts";
import { purgeTenantResources } from "./purge-resources.ts";
import { findTenantRow } from "./repository.ts";
import { tenants } from "../core/tenant-table.ts";

/**
 * Removes a deleted tenant for good: runtime state, Upstash keys, dedicated schema and role, map
 * records, usage, audit log, and finally its row (keys, provisioning and config rows cascade).
 * The row goes last, so a purge cut short is found and finished by the next scheduled run.
 * Returns false when there was nothing to purge.
 */
export async function purgeTenant(env: Env, services: Services, tenantId: string): Promise<boolean> {
  const row = await findTenantRow(services.db, tenantId);
  if (!row) return false;
  if (row.status !== "deleted") throw new Error(`refusing to purge tenant ${tenantId} in status ${row.status}`);

  const keys = await services.db.select({ hash: apiKeys.hash }).from(apiKeys).where(eq(apiKeys.tenantId, tenantId));
  await purgeTenantResources(env, services, { id: row.id, isolation: row.isolation, region: row.region }, keys.map((key) => key.hash));
  await services.db.transaction(async (tx) => {
    await tx.delete(usageMinutes).where(eq(usageMinutes.tenantId, tenantId));
    await tx.delete(usageBatches).where(eq(usageBatches.tenantId, tenantId));
    await tx.delete(revokedTokens).where(eq(revokedTokens.tenantId, tenantId));
    await tx.delete(auditEvents).where(eq(auditEvents.tenantId, tenantId));
    await tx.delete(tenants).where(eq(tenants.id, tenantId));
  });
  logEvent("info", "tenant purged", { tenantId, deletedAt: row.deletedAt?.toISOString() ?? null });
  return true;
}
