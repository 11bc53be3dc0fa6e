import { and, eq, isNull, sql } from "drizzle-orm";
import { recordAudit } from "../audit/record.ts";
import type { Database } from "../db/client.ts";
import { ApiError } from "../http/problem.ts";
import { apiKeys } from "../keys/schema.ts";
import { tenants } from "../core/tenant-table.ts";
import type { TenantRow } from "../core/tenant.ts";

export const DEFAULT_RETENTION_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

export function retentionDays(env: Pick<Env, "TENANT_RETENTION_DAYS">): number {
  const days = Number(env.TENANT_RETENTION_DAYS);
  return Number.isFinite(days) && days >= 0 ? days : DEFAULT_RETENTION_DAYS;
}

export interface SoftDeleteResult {
  row: TenantRow;
  /** Hashes of every key the tenant ever had: their cached credentials must all go. */
  keyHashes: string[];
  changed: boolean;
}

/**
 * Soft delete: status `deleted`, every key revoked in the same transaction, purge scheduled after
 * the retention period (or now, for a hard delete). Deleting a deleted tenant changes nothing
 * (idempotent), except that `purgeNow` brings its purge forward.
 */
export async function softDeleteTenant(db: Database, id: string, options: { retentionDays: number; purgeNow: boolean }): Promise<SoftDeleteResult> {
  return db.transaction(async (tx) => {
    const [row] = await tx.select().from(tenants).where(eq(tenants.id, id)).for("update");
    if (!row) throw new ApiError("not_found", "No such tenant.");
    const keys = await tx.select({ hash: apiKeys.hash }).from(apiKeys).where(eq(apiKeys.tenantId, id));
    const keyHashes = keys.map((key) => key.hash);
    const now = new Date();
    const purgeAfter = options.purgeNow ? now : new Date(now.getTime() + options.retentionDays * DAY_MS);

    if (row.status === "deleted") {
      if (!options.purgeNow) return { row, keyHashes, changed: false };
      const [updated] = await tx.update(tenants).set({ purgeAfter }).where(eq(tenants.id, id)).returning();
      return { row: updated ?? row, keyHashes, changed: true };
    }

    const [deleted] = await tx
      .update(tenants)
      .set({ status: "deleted", deletedAt: now, purgeAfter, updatedAt: now, configVersion: sql`${tenants.configVersion} + 1` })
      .where(and(eq(tenants.id, id), eq(tenants.status, row.status)))
      .returning();
    if (!deleted) throw new ApiError("conflict", "The tenant changed meanwhile; retry.");
    const revoked = await tx
      .update(apiKeys)
      .set({ revokedAt: now })
      .where(and(eq(apiKeys.tenantId, id), isNull(apiKeys.revokedAt)))
      .returning({ id: apiKeys.id });
    await recordAudit(tx, {
      tenantId: id,
      actor: "admin",
      action: "tenant.deleted",
      details: { from: row.status, hard: options.purgeNow, purgeAfter: purgeAfter.toISOString(), keysRevoked: revoked.length },
    });
    return { row: deleted, keyHashes, changed: true };
  });
}
